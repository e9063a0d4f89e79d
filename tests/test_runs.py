"""ftlab.runs: one fingerprint and writes that are whole or absent."""

import json
import sys

import pytest

from ftlab import runs


def test_a_fingerprint_changes_with_each_part_the_model_and_the_packages():
    base = runs.fingerprint({"config": {"rank": 16}}, model="m")
    assert len(base) == runs.KEY_LENGTH
    assert base == runs.fingerprint({"config": {"rank": 16}}, model="m")
    assert base != runs.fingerprint({"config": {"rank": 8}}, model="m")
    assert base != runs.fingerprint({"config": {"rank": 16}}, model="other")
    assert base != runs.fingerprint({"config": {"rank": 16}}, model="m", packages=("torch",))


def test_the_model_cannot_be_left_out_of_a_fingerprint():
    with pytest.raises(TypeError):
        runs.fingerprint({"config": 1})


def test_a_failed_fill_leaves_the_old_folder_and_no_staging(tmp_path):
    target = tmp_path / "run"
    runs.fill_folder(target, lambda folder: (folder / "a").write_text("old"))

    def fail(folder):
        (folder / "a").write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        runs.fill_folder(target, fail)
    assert (target / "a").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "x.json"
    runs.write_text_atomically(path, "old")

    def fail(partial):
        partial.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        runs.write_atomically(path, fail)
    assert path.read_text() == "old"


def test_cached_json_makes_once_and_remakes_when_the_stored_value_does_not_match(tmp_path):
    path, calls = tmp_path / "a.json", []

    def make():
        calls.append(1)
        return {"n": len(calls)}

    assert runs.cached_json(path, make) == {"n": 1}
    assert runs.cached_json(path, make) == {"n": 1}
    assert runs.cached_json(path, make, matches=lambda stored: stored["n"] == 2) == {"n": 2}
    assert json.loads(path.read_text()) == {"n": 2}


def test_a_failed_or_refused_run_leaves_no_folder_behind(tmp_path):
    target = tmp_path / "runs" / "x"
    with pytest.raises(RuntimeError, match="demo failed \\(exit 3\\)"):
        runs.fill_by_command(target, [sys.executable, "-c", "import sys; sys.exit(3)"], what="demo")

    def refuse(folder):
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        runs.fill_by_command(target, [sys.executable, "-c", "pass"], what="demo", check=refuse)
    assert not target.exists() and list((tmp_path / "runs").iterdir()) == []
    runs.fill_by_command(target, [sys.executable, "-c", "import sys, pathlib; pathlib.Path(sys.argv[1], 'ok').touch()"],
               what="demo")
    assert (target / "ok").is_file()


def test_a_commands_progress_lines_draw_a_bar_and_stay_out_of_its_error(tmp_path, capsys):
    reporting = (
        "import sys; from ftlab.runs import report_progress\n"
        "for step in (1, 2, 3): report_progress(step, 3)\n"
        "print('the real trouble', file=sys.stderr); sys.exit(int(sys.argv[1]))\n"
    )
    with pytest.raises(RuntimeError) as failure:
        runs.fill_by_command(tmp_path / "x", [sys.executable, "-c", reporting, "4"], what="demo")
    assert "the real trouble" in str(failure.value) and runs.PROGRESS not in str(failure.value)
    bar = capsys.readouterr().err
    assert "demo: 100%" in bar and "3/3" in bar
