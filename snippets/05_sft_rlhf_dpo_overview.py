"""Page: SFT, DPO and RLHF (docs/05-sft-dpo-rlhf.md). Being written: this script will hold the page's code."""

# --8<-- [start:status]
print("SFT, DPO and RLHF: this page's code is being written; see the site's issue list.")
# --8<-- [end:status]
