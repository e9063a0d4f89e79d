"""Page: LoRA basics (docs/03-lora-basics.md). Being written: this script will hold the page's code."""

# --8<-- [start:status]
print("LoRA basics: this page's code is being written; see the site's issue list.")
# --8<-- [end:status]
