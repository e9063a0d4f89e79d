"""Page: Evaluation (docs/06-evaluation.md). Being written: this script will hold the page's code."""

# --8<-- [start:status]
print("Evaluation: this page's code is being written; see the site's issue list.")
# --8<-- [end:status]
