"""A trained adapter merged into its base and saved as a model folder of its own.

A served model should not need this project, peft, or the adapter's run
folder: ``merge_and_save`` writes what ``AutoModelForCausalLM.from_pretrained``
and any server built on it read (safetensors, config, generation config,
tokenizer with its chat template), plus ``ftlab-merged.json`` naming the run
it came from and the posting length it was trained on.
"""

from __future__ import annotations

from ftlab.runs import cache_root, fill_folder
from ftlab.train import train_adapter

# --8<-- [start:merge-and-save]
import json
from pathlib import Path

from ftlab.train import load_trained, run_log

MERGED_MARKER = "ftlab-merged.json"


def merge_and_save(run: Path, out_dir: Path) -> Path:
    """Fold a LoRA run's adapter into its base weights and save the result in ``out_dir``."""
    model, tokenizer = load_trained(run)
    merged = model.merge_and_unload()  # W + (alpha / r)·B·A in every adapted layer; peft gone
    merged.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)  # the chat template travels with the tokenizer
    config = run_log(run)["config"]
    record = {"run": run.name, "task": config["task"], "max_length": config["max_length"]}
    (out_dir / MERGED_MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return out_dir
# --8<-- [end:merge-and-save]


def merged_model(name: str) -> Path:
    """The merged folder of a named run (``job-roles``, ``seniority``), made once and cached."""
    run = train_adapter(name)
    target = cache_root() / "merged" / run.name
    if (target / MERGED_MARKER).is_file():
        return target
    # A merge killed half-way never looks complete: it happens in a folder of its own.
    return fill_folder(target, lambda staging: merge_and_save(run, staging))


def merged_record(folder: Path) -> dict:
    """What ``merge_and_save`` wrote about a merged folder (a clear error for any other folder)."""
    marker = Path(folder) / MERGED_MARKER
    if not marker.is_file():
        raise FileNotFoundError(f"{folder}: not a merged model folder (no {MERGED_MARKER}; see ftlab.export)")
    return json.loads(marker.read_text(encoding="utf-8"))
