"""The pins the site claims are the pins the tests ran with."""

from pathlib import Path

import pytest

from ftlab.versions import installed_version, normalize, read_lock

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def test_every_pinned_package_is_installed_at_its_pinned_version():
    pins = read_lock(LOCK)
    assert "torch" in pins and "transformers" in pins
    wrong = {
        name: (version, installed_version(name))
        for name, version in pins.items()
        if installed_version(name) != version
    }
    assert wrong == {}, f"installed versions differ from {LOCK.name}: {wrong}"


def test_a_loose_pin_is_rejected_with_file_line_and_rule(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\ntorch==2.13.0\ntransformers>=5\n")
    with pytest.raises(ValueError, match=r"requirements.lock:3: rule exact-pin"):
        read_lock(lock)


def test_names_compare_normalized():
    assert normalize("PyYAML") == normalize("pyyaml")
    assert normalize("pytest_codeblocks") == normalize("pytest-codeblocks")
