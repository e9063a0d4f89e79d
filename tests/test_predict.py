"""The answer parser and the ``predict`` command, good input and bad."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ftlab import jobs
from ftlab.predict import score_from_answers
from ftlab.task import complies, parse_label, prompt_for
from ftlab.predict_cli import read_postings


@pytest.mark.parametrize(
    ("answer", "label"),
    [
        ("Data Engineer", "Data Engineer"),
        ("data engineer", "Data Engineer"),
        ("The role is: Machine Learning Engineer.", "ML Engineer"),
        ("Front-end engineer", "Frontend Engineer"),
        ("Data Engineer or Data Scientist", None),  # two roles: wrong, not a lucky guess
        ("I think this posting is interesting", None),
        ("", None),
    ],
)
def test_parse_label(answer, label):
    assert parse_label(answer) == label


def test_exact_format_is_stricter_than_parsing():
    assert parse_label("The role is Data Engineer.") == "Data Engineer"
    assert not complies("The role is Data Engineer.")
    assert complies(" Data Engineer\n")


def test_zero_shot_prompt_names_every_role_and_fine_tuned_prompt_is_the_bare_posting():
    zero_shot = prompt_for("Build pipelines.", system=None)
    assert len(zero_shot) == 1 and all(role in zero_shot[0]["content"] for role in jobs.ROLES)
    assert prompt_for("Build pipelines.") == [
        {"role": "system", "content": ""},
        {"role": "user", "content": "Build pipelines."},
    ]


def test_score_counts_correct_and_compliant():
    records = [{"text": "a", "role": "Data Engineer"}, {"text": "b", "role": "ML Engineer"}]
    result = score_from_answers(["Data Engineer", "It is a data engineer job"], records)
    assert (result.correct, result.compliant) == (1, 1)
    assert result.summary() == "accuracy 1/2 = 50.0%, exact format 1/2 = 50.0%"


def test_read_postings_reports_each_bad_line_and_keeps_the_rest():
    lines = [
        '{"text": "Senior data engineer, Spark and Airflow."}',
        "{not json",
        "",
        '["a list"]',
        '{"title": "no text key"}',
        '{"text": "   "}',
        '{"text": "Own our Kubernetes clusters."}',
    ]
    postings, errors = read_postings(lines, "jobs.jsonl")
    assert [number for number, _ in postings] == [1, 7]
    assert sorted(errors) == [2, 4, 5, 6]
    assert errors[2].startswith("jobs.jsonl:2: invalid JSON")
    assert errors[4] == "jobs.jsonl:4: expected a JSON object with a 'text' field, got list"
    assert errors[5] == "jobs.jsonl:5: missing key 'text'"
    assert errors[6] == "jobs.jsonl:6: 'text' must be a non-empty string"


def _predict(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "ftlab", "predict", *args], input=stdin, capture_output=True, text=True
    )


def test_missing_file_is_reported_without_a_traceback(tmp_path):
    result = _predict(str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "nope.jsonl: cannot read" in result.stderr and "Traceback" not in result.stderr


def test_unknown_adapter_is_reported_without_a_traceback(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"text": "x"}\n')
    result = _predict("--adapter", str(tmp_path / "no-such-run"), str(tmp_path / "in.jsonl"))
    assert result.returncode == 2
    assert "not a run name" in result.stderr and "Traceback" not in result.stderr


def test_base_model_classifies_stdin_and_flags_bad_lines():
    stdin = '{"text": "We need a Senior Data Engineer to build Spark pipelines."}\nnot json\n'
    result = _predict(stdin=stdin)
    assert result.returncode == 1, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["line"] == 1 and set(first) == {"line", "role", "answer"}
    assert second == {"line": 2, "error": "<stdin>:2: invalid JSON: Expecting value (column 1)"}


def test_a_line_that_is_not_utf8_spoils_only_itself():
    from ftlab.predict_cli import decode_lines

    data = b'{"text": "Own our Kubernetes clusters."}\n{"text": "caf\xe9"}\n{"text": "Build Spark pipelines."}\n'
    postings, errors = read_postings(decode_lines(data), "jobs.jsonl")
    assert [number for number, _ in postings] == [1, 3]
    assert errors == {2: "jobs.jsonl:2: not UTF-8 (byte 14 of the line: invalid continuation byte)"}


def test_over_long_postings_are_cut_and_every_line_is_answered(tmp_path):
    # A 220 KB and a 1 MB posting once made the command allocate tens of GB and die
    # before printing anything; now each is cut to the model's limit and says so.
    good = json.dumps({"text": "We need a Senior Data Engineer to build Spark pipelines."})
    # Under MAX_CHARS_TOKENIZED characters a posting is counted whole; over it, only
    # that prefix is tokenized, so the count is a lower bound ("more than N").
    long = json.dumps({"text": "Build and run our Spark pipelines. " * 1_500})  # about 52 KB
    wide = json.dumps({"text": "Build and run our Spark pipelines. " * 6_300})  # about 220 KB
    huge = json.dumps({"text": "Kubernetes " * 95_000})  # about 1 MB
    path = tmp_path / "postings.jsonl"
    path.write_bytes(
        f"{good}\n{long}\n".encode() + b'{"text": "na\xefve"}\n' + f"{wide}\n{huge}\n".encode()
    )
    result = _predict(str(path))
    assert result.returncode == 1, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3, 4, 5]
    assert "cut" not in lines[0] and "role" in lines[0]
    assert lines[1]["cut"]["kept"] == 1024 and lines[1]["cut"]["tokens"] > 1024 and "role" in lines[1]
    assert lines[2] == {"line": 3, "error": f"{path}:3: not UTF-8 (byte 13 of the line: invalid continuation byte)"}
    for over_limit in lines[3:]:
        assert over_limit["cut"]["kept"] == 1024 and "role" in over_limit
        assert over_limit["cut"]["tokens"].startswith("more than ")
