"""Test-run set-up shared by every test: offline, no network, pages as tests.

* ``HF_HUB_OFFLINE=1`` (and friends) so nothing is fetched from a model hub.
* Connections to anything but loopback are refused, in this process and in
  every Python subprocess the tests start (see tests/netguard).
* Each Markdown page under docs/ becomes a test file: its includes are
  expanded as MkDocs expands them, and its python / bash blocks run in order
  (see tests/pages.py for the rules and why).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NETGUARD = ROOT / "tests" / "netguard"

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_name] = "1"
os.environ.setdefault("FTLAB_CACHE", str(ROOT / ".cache" / "ftlab"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Subprocesses import tests/netguard/sitecustomize.py automatically.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(NETGUARD)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
# Bash blocks call `python`: make it this interpreter, the project's venv.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])

sys.path.insert(0, str(NETGUARD))
import sitecustomize  # noqa: E402,F401  (installs the network guard here)

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "hooks"))  # site tooling (notebooks.py), not part of the package
import pages  # noqa: E402


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md" and (ROOT / "docs") in file_path.parents:
        return PageFile.from_parent(parent, path=file_path)
    return None


class PageFile(pytest.File):
    """One docs page: a rules check, then each runnable block, in order."""

    def collect(self):
        page = pages.load_page(self.path)
        self.page = page
        self.namespace = {"__name__": "__main__"}
        self.failed_block = None
        yield PageRules.from_parent(self, name="page rules", page=page)
        for block in page.runnable:
            item = PageBlock.from_parent(self, name=f"line {block.lineno}", block=block)
            for mark in block.marks:
                item.add_marker(eval(mark, {"sys": sys, "pytest": pytest}))
            yield item


    def teardown(self):
        # A page that starts a server stops it in its last block; if a block
        # failed before that, nothing the page started may outlive it.
        import psutil

        children = psutil.Process().children(recursive=True)
        for child in children:
            try:
                child.terminate()
            except psutil.NoSuchProcess:  # it ended on its own meanwhile
                pass
        _, alive = psutil.wait_procs(children, timeout=30)
        for child in alive:
            child.kill()


class PageRules(pytest.Item):
    def __init__(self, *, page, **kwargs):
        super().__init__(**kwargs)
        self.page = page

    def runtest(self):
        if self.page.problems:
            raise PageFailure("\n".join(self.page.problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PageFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: page rules"


class PageFailure(Exception):
    pass


class PageBlock(pytest.Item):
    def __init__(self, *, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    def runtest(self):
        page: PageFile = self.parent
        block = self.block
        if page.failed_block is not None:
            raise PageFailure(
                f"{self.path}:{block.lineno}: not run: the block at line {page.failed_block} "
                f"failed, and this one may depend on it"
            )
        if block.importorskip is not None:
            pytest.importorskip(block.importorskip)
        try:
            output = self._run_python() if block.syntax == "python" else self._run_shell()
        except BaseException:
            page.failed_block = block.lineno
            raise
        if block.expected_output is not None and not pages.output_matches(block, output):
            page.failed_block = block.lineno
            raise PageFailure(pages.describe_mismatch(page.page, block, output))

    def _run_python(self) -> str:
        buffer = io.StringIO()
        code = compile(self.block.code, f"{self.path}:block@{self.block.lineno}", "exec")
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            with contextlib.redirect_stdout(buffer):
                exec(code, self.parent.namespace)
        finally:
            os.chdir(cwd)
        return buffer.getvalue()

    def _run_shell(self) -> str:
        executable = "/bin/bash" if self.block.syntax == "bash" else None
        result = subprocess.run(
            self.block.code, shell=True, executable=executable, cwd=ROOT,
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise PageFailure(
                f"{self.path}:{self.block.lineno}: the {self.block.syntax} block exited with "
                f"status {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
            )
        return result.stdout

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PageFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.block.lineno, f"{self.path.name}:{self.block.lineno}"
