"""The README's measured timings name the commit they were measured on, and it is in this history."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def measured_commits() -> list[str]:
    return re.findall(r"for commit\s+`?([0-9a-f]{7,40})`?", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_timing_table_names_a_commit():
    assert measured_commits(), "README.md: the timing table must say 'for commit <sha>'"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout: the history cannot be read")
@pytest.mark.parametrize("commit", measured_commits())
def test_the_measured_commit_is_an_ancestor_of_head(commit):
    result = subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, (
        f"README.md names commit {commit} for its timings, which is not an ancestor of HEAD "
        f"({result.stderr.strip() or 'not in this history'}): measure again and name the new commit"
    )
