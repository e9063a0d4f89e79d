"""The page harness fails loudly on each way a page can drift from what CI ran.

Each case builds a one-page site in a scratch folder, with this project's
conftest, harness and mkdocs.yml, and runs pytest on it in a subprocess.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GOOD_SNIPPET = '''\
# --8<-- [start:hello]
print("hello")
# --8<-- [end:hello]
'''


def run_site(tmp_path: Path, page: str, snippet: str = GOOD_SNIPPET) -> subprocess.CompletedProcess:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "conftest.py", tmp_path)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    # mkdocs.yml names a hook by path; loading the config imports it.
    (tmp_path / "src").mkdir()
    shutil.copytree(ROOT / "hooks", tmp_path / "hooks")
    shutil.copytree(ROOT / "tests" / "netguard", tmp_path / "tests" / "netguard")
    shutil.copy(ROOT / "tests" / "pages.py", tmp_path / "tests")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    tolerance: see tests/pages.py\n")
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "demo.py").write_text(snippet)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "demo.md").write_text(textwrap.dedent(page))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "docs"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


def test_a_correct_page_passes(tmp_path):
    result = run_site(tmp_path, '''\
        ```python
        --8<-- "demo.py:hello"
        ```
        <!--pytest-codeblocks:expected-output-->
        ```text
        hello
        ```
        ''')
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_wrong_expected_output_fails(tmp_path):
    result = run_site(tmp_path, '''\
        ```python
        --8<-- "demo.py:hello"
        ```
        <!--pytest-codeblocks:expected-output-->
        ```text
        goodbye
        ```
        ''')
    assert result.returncode == 1
    assert "demo.md:5: rule expected-output" in result.stdout  # the line of the shown output


def test_broken_snippet_fails(tmp_path):
    result = run_site(
        tmp_path,
        '''\
        ```python
        --8<-- "demo.py:hello"
        ```
        ''',
        snippet=GOOD_SNIPPET.replace('print("hello")', 'print(undefined_name)'),
    )
    assert result.returncode == 1
    assert "NameError" in result.stdout


def test_missing_snippet_file_fails(tmp_path):
    result = run_site(tmp_path, '''\
        ```python
        --8<-- "no_such_file.py:hello"
        ```
        ''')
    assert result.returncode == 1
    assert "snippet include failed" in result.stdout


def test_unexpanded_include_fails(tmp_path):
    # Escaped includes (;--8<--) are left as text by pymdownx: in a code block
    # pytest-codeblocks would execute the marker line as Python.
    result = run_site(tmp_path, '''\
        ```python
        ;--8<-- "demo.py:hello"
        ```
        ''')
    assert result.returncode == 1
    assert "rule unexpanded-include" in result.stdout


@pytest.mark.parametrize("info", ["py", 'python title="demo.py"', "python3"])
def test_fence_pytest_codeblocks_would_skip_fails(tmp_path, info):
    result = run_site(tmp_path, f'''\
        ```{info}
        --8<-- "demo.py:hello"
        ```
        ''')
    assert result.returncode == 1
    assert "rule runnable-fence" in result.stdout


def test_skip_needs_a_reason_the_reader_can_see(tmp_path):
    hidden = run_site(tmp_path / "hidden", '''\
        <!-- pytest.mark.skip(reason="needs a CUDA GPU") -->
        ```python
        --8<-- "demo.py:hello"
        ```
        ''')
    assert hidden.returncode == 1
    assert "rule visible-skip-reason" in hidden.stdout

    shown = run_site(tmp_path / "shown", '''\
        This block needs a CUDA GPU, so the CPU test run skips it.

        <!-- pytest.mark.skip(reason="needs a CUDA GPU") -->
        ```python
        --8<-- "demo.py:hello"
        ```
        ''')
    assert shown.returncode == 0, shown.stdout


def test_blocks_share_the_page_namespace_in_order(tmp_path):
    snippet = '''\
# --8<-- [start:define]
greeting = "hi"
# --8<-- [end:define]
# --8<-- [start:use]
print(greeting)
# --8<-- [end:use]
'''
    result = run_site(tmp_path, '''\
        ```python
        --8<-- "demo.py:define"
        ```

        ```python
        --8<-- "demo.py:use"
        ```
        <!--pytest-codeblocks:expected-output-->
        ```text
        hi
        ```
        ''', snippet=snippet)
    assert result.returncode == 0, result.stdout


PERPLEXITY_SNIPPET = '''\
# --8<-- [start:ppl]
print("bf16   perplexity  29.50   +0.0%   on 160 postings")
# --8<-- [end:ppl]
'''
TOLERANT_PAGE = '''\
    <!-- pytest.mark.tolerance(rel=0.005, abs=0.25) -->
    ```python
    --8<-- "demo.py:ppl"
    ```
    <!--pytest-codeblocks:expected-output-->
    ```text
    {shown}
    ```

    These digits may differ on another CPU, within 0.25 + 0.5%.
    '''


def tolerant_site(tmp_path, shown, page=TOLERANT_PAGE):
    return run_site(tmp_path, page.format(shown=shown), snippet=PERPLEXITY_SNIPPET)


def test_a_number_within_its_tolerance_passes(tmp_path):
    # 29.50 printed, 29.55 shown: inside 0.25 + 0.5%; so is +0.0% for +0.2%; a wider column is layout, not text.
    result = tolerant_site(tmp_path, "bf16   perplexity  29.55    +0.2%   on 160 postings")
    assert result.returncode == 0, result.stdout


def test_a_number_outside_its_tolerance_fails_naming_it(tmp_path):
    result = tolerant_site(tmp_path, "bf16   perplexity  29.95   +0.0%   on 160 postings")
    assert result.returncode == 1
    assert "demo.md:6: rule expected-output within tolerance (rel 0.005, abs 0.25)" in result.stdout
    assert "output line 1, number 1: shown 29.95, printed 29.50" in result.stdout


def test_a_changed_word_in_a_tolerant_block_fails(tmp_path):
    result = tolerant_site(tmp_path, "bf16   perplexity  29.50   +0.0%   on 160 test postings")
    assert result.returncode == 1
    assert "the text differs" in result.stdout


def test_a_changed_count_in_a_tolerant_block_fails(tmp_path):
    # Integers stay exact unless the mark says integers=True.
    result = tolerant_site(tmp_path, "bf16   perplexity  29.50   +0.0%   on 161 postings")
    assert result.returncode == 1
    assert "shown 161, printed 160 (integers must match exactly)" in result.stdout


def test_a_tolerance_the_page_does_not_state_fails(tmp_path):
    silent = TOLERANT_PAGE.replace("These digits may differ on another CPU", "Lower is better")
    result = tolerant_site(tmp_path, "bf16   perplexity  29.50   +0.0%   on 160 postings", page=silent)
    assert result.returncode == 1
    assert "rule tolerance-stated" in result.stdout
