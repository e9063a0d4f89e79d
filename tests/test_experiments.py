"""The registry of heavy experiments is the one list: files, README and command agree with it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ftlab.experiments import BY_NAME, EXPERIMENTS, readme_table
from ftlab.provenance import results_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_each_committed_file_was_written_by_its_experiments_command(experiment):
    path = results_dir() / f"{experiment.results}.json"
    assert path.is_file(), f"{path} is missing: run python -m ftlab measure {experiment.name}"
    made = json.loads(path.read_text(encoding="utf-8"))["provenance"]
    # A GPU experiment's file may still be the older command's, or already the new one's.
    assert made["command"] in {experiment.command, experiment.committed_by}, (
        f"{path}: written by {made['command']!r}, but the registry runs {experiment.command!r}"
    )


def test_only_a_cuda_experiment_may_keep_a_file_an_older_command_wrote():
    # A CPU experiment can always be re-run here; a GPU one waits for a GPU.
    assert all(e.needs_cuda for e in EXPERIMENTS if e.committed_by)


def test_every_committed_results_file_is_registered():
    registered = {f"{e.results}.json" for e in EXPERIMENTS}
    committed = {path.name for path in results_dir().glob("*.json")}
    assert committed - registered == set(), "add these to ftlab.experiments.EXPERIMENTS"


def test_each_experiment_runs_something_that_exists():
    for e in EXPERIMENTS:
        target = e.argv[1] if e.argv[0] == "-m" else e.argv[0]
        found = (ROOT / "src" / Path(*target.split("."))).with_suffix(".py") if e.argv[0] == "-m" else ROOT / target
        assert found.is_file(), f"{e.name}: {found} does not exist"


def test_the_readme_shows_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme, "README.md: paste the output of python -m ftlab measure --readme"


def test_make_results_runs_the_registry():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nresults:", 1)[1].split("\n\n", 1)[0]
    assert "-m ftlab measure --all" in recipe


def run_measure(*args):
    return subprocess.run([sys.executable, "-m", "ftlab", "measure", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_command_lists_the_experiments_without_running_any():
    result = run_measure("--list")
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(BY_NAME)


@pytest.mark.parametrize("args, message", [
    ((), "name an experiment or give --all"),
    (("no-such-thing",), "unknown experiment no-such-thing"),
])
def test_a_wrong_name_is_refused_with_the_known_names(args, message):
    result = run_measure(*args)
    assert result.returncode == 2
    assert message in result.stderr and "lora-speed" in result.stderr


def test_the_site_is_found_from_ftlab_site_then_the_checkout_then_the_working_directory(tmp_path, monkeypatch):
    from ftlab import provenance

    monkeypatch.setenv(provenance.SITE_VARIABLE, str(tmp_path))
    assert provenance.results_dir() == tmp_path / "docs" / "results"
    monkeypatch.delenv(provenance.SITE_VARIABLE)
    assert (provenance.site_root() / "mkdocs.yml").is_file()  # the checkout ftlab is installed from
    # An install that copied the package elsewhere: found from the working directory, or a clear error.
    monkeypatch.setattr(provenance, "__file__", str(tmp_path / "venv" / "lib" / "site-packages" / "ftlab" / "provenance.py"))
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    monkeypatch.chdir(site / "docs")
    with pytest.raises(FileNotFoundError, match="set FTLAB_SITE"):
        provenance.site_root()
    (site / "mkdocs.yml").write_text("site_name: x\n")
    assert provenance.site_root() == site
