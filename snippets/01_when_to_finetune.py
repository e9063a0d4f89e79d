"""Page: When to fine-tune (docs/01-when-to-finetune.md). Being written: this script will hold the page's code."""

# --8<-- [start:status]
print("When to fine-tune: this page's code is being written; see the site's issue list.")
# --8<-- [end:status]
