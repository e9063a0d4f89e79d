"""Page: Quantization and QLoRA (docs/04-quantization.md). Being written: this script will hold the page's code."""

# --8<-- [start:status]
print("Quantization and QLoRA: this page's code is being written; see the site's issue list.")
# --8<-- [end:status]
