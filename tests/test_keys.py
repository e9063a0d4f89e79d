"""Every kind of training run is keyed by the model, the data, its recipe version and the library versions.

A cached run is reused whenever its key matches, so a part that a run
depends on but its key leaves out would hand back a stale run.  Each change
below must give every kind of run a new key: SFT with LoRA, QLoRA and full
fine-tuning, and the preference runs (DPO, GRPO and the reward model, which
starts from the base model and so carries no SFT key).
"""

from __future__ import annotations

import json
import shutil

import pytest

from ftlab import jobs, preference, runs, train
from ftlab.ladder import trained_configs
from ftlab.preference import RUNS as PREFERENCE_RUNS


def every_kind_of_run() -> dict:
    # Page 06's trained rungs: page 03's recipe as LoRA, as QLoRA and with every weight trained.
    return {
        **{f"SFT, {name}": config for name, config in trained_configs().items()},
        **{f"preference, {name}": config for name, config in PREFERENCE_RUNS.items()},
    }


def keys() -> dict[str, str]:
    return {kind: config.key() for kind, config in every_kind_of_run().items()}


def other_model(monkeypatch, tmp_path):
    monkeypatch.setenv("FTLAB_MODEL", "HuggingFaceTB/SmolLM2-360M-Instruct")


def other_data(monkeypatch, tmp_path):
    """Every training posting edited a little (so any subset of them changes too)."""
    shutil.copytree(jobs.data_dir(), tmp_path / "data")
    path = tmp_path / "data" / "train.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("".join(json.dumps(r | {"text": r["text"] + " "}) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr(jobs, "data_dir", lambda: tmp_path / "data")


def other_recipe_versions(monkeypatch, tmp_path):
    monkeypatch.setattr(train, "RECIPE_VERSION", train.RECIPE_VERSION + 1)
    monkeypatch.setattr(preference, "PREFERENCE_RECIPE_VERSION", preference.PREFERENCE_RECIPE_VERSION + 1)


def other_transformers(monkeypatch, tmp_path):
    real = runs.installed_version
    monkeypatch.setattr(runs, "installed_version",
                        lambda package: "0.0.0-other" if package == "transformers" else real(package))


@pytest.mark.parametrize("change", [other_model, other_data, other_recipe_versions, other_transformers],
                         ids=lambda change: change.__name__)
def test_every_kind_of_run_gets_a_new_key(change, monkeypatch, tmp_path):
    before = keys()
    change(monkeypatch, tmp_path)
    after = keys()
    unchanged = [kind for kind in before if before[kind] == after[kind]]
    assert unchanged == [], f"{change.__name__} left these keys as they were: {unchanged}"


def test_a_runs_own_recipe_version_reaches_its_key(monkeypatch):
    """The reward model's key follows the preference recipe's version, not the SFT one."""
    reward = PREFERENCE_RUNS["reward"].key()
    monkeypatch.setattr(preference, "PREFERENCE_RECIPE_VERSION", preference.PREFERENCE_RECIPE_VERSION + 1)
    assert PREFERENCE_RUNS["reward"].key() != reward
