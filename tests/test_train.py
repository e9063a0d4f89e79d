"""ftlab.train's plumbing that needs no training: checkpoints and the training command line."""

from __future__ import annotations

import pytest

from ftlab import train
from ftlab.train import TrainConfig, checkpoints


def test_checkpoints_come_in_step_order_not_name_order(tmp_path):
    for step in (120, 40, 160, 80):
        (tmp_path / "checkpoints" / f"step-{step}").mkdir(parents=True)
    assert list(checkpoints(tmp_path)) == [40, 80, 120, 160]


def test_a_run_without_checkpoints_has_none(tmp_path):
    assert checkpoints(tmp_path) == {}


def test_the_training_command_takes_checkpoints_before_the_output_folder(tmp_path, monkeypatch):
    """train_adapter appends the staging folder after ``--checkpoints-every N``."""
    seen = {}
    monkeypatch.setattr(train, "_train_here", lambda config, out, every, device: seen.update(
        config=config, out=out, every=every, device=device))
    config = TrainConfig(steps=3)
    assert train.main([config.to_json(), "--checkpoints-every", "20", str(tmp_path)]) == 0
    assert seen == {"config": config, "out": tmp_path, "every": 20, "device": "cpu"}
    assert train.main([config.to_json(), str(tmp_path)]) == 0
    assert seen["every"] is None


def test_the_training_command_trains_on_a_gpu_only_when_told(tmp_path, monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(train, "_train_here", lambda config, out, every, device: seen.update(device=device))
    assert train.main([TrainConfig().to_json(), str(tmp_path), "--device", "cuda"]) == 0
    assert seen == {"device": "cuda"}
    with pytest.raises(SystemExit):
        train.main([TrainConfig().to_json(), str(tmp_path), "--device", "tpu"])
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_an_uncached_run_is_trained_by_the_same_command_into_the_folder_given(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(train, "fill_by_command", lambda target, command, what: seen.update(
        target=target, command=command, what=what) or target)
    config = TrainConfig(steps=3)
    assert train.train_uncached(config, tmp_path / "run", device="cuda") == tmp_path / "run"
    assert seen["command"] == train.train_command(config, "--device", "cuda")
    assert seen["command"][1:4] == ["-m", "ftlab.train", config.to_json()]
    assert seen["what"] == "training role-lora"


def test_the_sft_config_leaves_the_cpu_only_for_cuda(tmp_path):
    assert train._sft_config(TrainConfig(), tmp_path).use_cpu is True
    assert train._sft_config(TrainConfig(), tmp_path, device="cuda").use_cpu is False


def test_the_training_command_refuses_a_missing_output_folder(capsys):
    with pytest.raises(SystemExit) as stopped:
        train.main([TrainConfig().to_json()])
    assert stopped.value.code == 2
    assert "output_dir" in capsys.readouterr().err


def test_loading_a_checkpoint_the_run_did_not_keep_names_the_ones_it_kept(tmp_path):
    for step in (40, 80):
        (tmp_path / "checkpoints" / f"step-{step}").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no checkpoint at step 60; it kept \[40, 80\]"):
        train.load_trained(tmp_path, checkpoint=60)
    with pytest.raises(ValueError, match="no checkpoint at step 40; it kept none"):
        train.load_trained(tmp_path / "elsewhere", checkpoint=40)


def test_the_ways_of_computing_a_step_enter_the_key_only_when_changed():
    """Fields added after recipe 3 at TRL's defaults leave a key as it was, so committed runs still match."""
    import dataclasses

    recipe = train.NAMED_RUNS["job-roles"]
    assert recipe.key() == "0f22ec733143"  # as committed in docs/results before the fields existed
    changed = {dataclasses.replace(recipe, **{field: values[1]}).key() for field, values in train.STEP_CHOICES.items()}
    assert len(changed) == len(train.STEP_CHOICES) and recipe.key() not in changed


@pytest.mark.parametrize("field, value", [("logits", "some"), ("attention", "flash"), ("precision", "fp16")])
def test_an_unknown_way_of_computing_a_step_is_refused_by_name(field, value):
    with pytest.raises(ValueError, match=f"TrainConfig.{field}: '{value}' is not one of"):
        TrainConfig(**{field: value})


def test_a_run_log_from_before_the_fields_loads_with_trls_step():
    import json

    old = {field: value for field, value in json.loads(TrainConfig().to_json()).items() if field not in train.STEP_CHOICES}
    assert TrainConfig.from_json(json.dumps(old)) == TrainConfig()
