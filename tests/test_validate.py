"""The training-data validator: every rule, every format, and bad input of every kind."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ftlab import jobs
from ftlab.similarity import jaccard, shingles
from ftlab.validate import RULES, Finding, validate_file, write_fixed

DATA = Path(str(jobs.data_dir()))


class FakeTokenizer:
    """One token per whitespace-separated word; no model needed."""

    chat_template = "fake"

    def apply_chat_template(self, messages, tokenize=False):
        return "\n".join(f"{m['role']}: {m['content']}" for m in messages)

    def __call__(self, texts, add_special_tokens=False):
        return {"input_ids": [text.split() for text in texts]}


def chat(user: str, answer: str, system: str | None = "Classify.") -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    return {"messages": messages + [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


POSTINGS = [
    "We need someone to run our Kubernetes clusters and keep deploys boring.",
    "Build forecasting models for demand and explain them to finance.",
    "Own the roadmap for our mobile app and talk to customers every week.",
    "Turn Figma designs into accessible React components for the storefront.",
    "Stream changes from Postgres into the lake and keep dashboards correct.",
    "Review code for security flaws and run our bug bounty programme.",
]


def write_lines(path: Path, lines: list) -> Path:
    """Write JSONL: dicts are serialised, strings written as they are."""
    path.write_text("".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines), encoding="utf-8")
    return path


def rules_by_line(report) -> set[tuple[int | None, str]]:
    return {(f.line, f.rule) for f in report.findings}


# --------------------------------------------------------------------------- clean data


def test_a_clean_file_has_no_findings(tmp_path):
    path = write_lines(tmp_path / "clean.jsonl", [chat(p, f"Label {i % 3}") for i, p in enumerate(POSTINGS)])
    report = validate_file(path, max_tokens=100, tokenizer=FakeTokenizer())
    assert report.findings == []
    assert report.exit_status == 0
    assert len(report.examples) == len(POSTINGS)


def test_the_shipped_train_split_is_clean(tmp_path):
    """The clean data, in the chat format pages train on, passes every check against the test split."""
    path = write_lines(tmp_path / "train_chat.jsonl", [jobs.to_chat(r) for r in jobs.load_split("train")])
    report = validate_file(path, against=DATA / "test.jsonl", max_tokens=192, tokenizer=FakeTokenizer())
    assert [str(f) for f in report.findings] == []
    assert sorted(report.labels.values()) == [120] * 8


# --------------------------------------------------------------------------- the dirty file


def test_every_planted_defect_is_found_and_nothing_else():
    manifest = [json.loads(line) for line in (DATA / "dirty_manifest.jsonl").read_text().splitlines()]
    planted = {(d["line"], rule) for d in manifest for rule in d["rules"]}
    report = validate_file(
        DATA / "dirty.jsonl", max_tokens=192, tokenizer=FakeTokenizer(), against=DATA / "test.jsonl"
    )
    assert rules_by_line(report) == planted
    assert report.exit_status == 1


def test_the_dirty_manifest_plants_every_kind_of_defect_the_issue_lists():
    manifest = [json.loads(line) for line in (DATA / "dirty_manifest.jsonl").read_text().splitlines()]
    rules = {rule for d in manifest for rule in d["rules"]}
    assert {"json", "missing-key", "unknown-role", "empty", "duplicate", "near-duplicate", "conflict",
            "too-long", "test-overlap", "label-balance", "rare-label"} <= rules


def test_every_rule_is_documented():
    manifest = [json.loads(line) for line in (DATA / "dirty_manifest.jsonl").read_text().splitlines()]
    assert {rule for d in manifest for rule in d["rules"]} <= set(RULES)
    with pytest.raises(ValueError):
        Finding("f.jsonl", 1, "no-such-rule", "findings must use a documented rule")


# --------------------------------------------------------------------------- one rule at a time


@pytest.mark.parametrize(
    "line, rule",
    [
        ('{"messages": [', "json"),
        ("[1, 2]", "not-object"),
        ({"conversation": []}, "missing-key"),
        ({"messages": "hello"}, "type"),
        ({"messages": [{"role": "user"}]}, "missing-key"),
        ({"messages": [{"role": "human", "content": "x"}, {"role": "assistant", "content": "y"}]}, "unknown-role"),
        ({"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "y"}]}, "type"),
        ({"messages": [{"role": "assistant", "content": "y"}, {"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}, "turn-order"),
        ({"messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "s"}, {"role": "assistant", "content": "y"}]}, "turn-order"),
        ({"messages": [{"role": "user", "content": "x"}]}, "no-answer"),
        ({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}, {"role": "user", "content": "z"}]}, "no-answer"),
        ({"messages": []}, "no-answer"),
        ({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "   "}]}, "empty"),
        ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "y"}]}, "empty"),
        ("", "blank-line"),
    ],
)
def test_each_line_rule(tmp_path, line, rule):
    good = [chat(p, "A") for p in POSTINGS[:2]]
    path = write_lines(tmp_path / "f.jsonl", good + [line])
    report = validate_file(path)
    assert rules_by_line(report) == {(3, rule)}, report.render()
    assert report.exit_status == 1


def test_exact_duplicate_ignores_case_spacing_and_metadata(tmp_path):
    copy = chat(POSTINGS[0].upper().replace(" ", "  "), "A")
    copy["id"] = "another id"
    path = write_lines(tmp_path / "f.jsonl", [chat(POSTINGS[0], "A"), chat(POSTINGS[1], "B"), copy])
    assert rules_by_line(validate_file(path)) == {(3, "duplicate")}


def test_conflict_flags_every_line_of_the_group(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [chat(POSTINGS[0], "A"), chat(POSTINGS[1], "B"), chat(POSTINGS[0], "C")])
    report = validate_file(path)
    assert rules_by_line(report) == {(1, "conflict"), (3, "conflict")}
    assert "line 3 says \"C\"" in str(report.findings[0])


def test_near_duplicate_and_its_threshold(tmp_path):
    long_text = " ".join(POSTINGS[:3])
    edited = long_text.replace("forecasting", "forecast")
    path = write_lines(tmp_path / "f.jsonl", [chat(long_text, "A"), chat(POSTINGS[4], "B"), chat(edited, "A")])
    score = jaccard(shingles(long_text), shingles(edited))
    assert 0.8 <= score < 1
    assert rules_by_line(validate_file(path)) == {(3, "near-duplicate")}
    assert validate_file(path, near_threshold=0.99).findings == []


def test_too_long_counts_tokens_of_the_rendered_chat(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [chat("word " * 50, "A"), chat(POSTINGS[0], "B")])
    report = validate_file(path, max_tokens=40, tokenizer=FakeTokenizer())
    assert rules_by_line(report) == {(1, "too-long")}
    assert report.token_counts[0] > 50


def test_test_overlap_exact_and_near(tmp_path):
    long_text = " ".join(POSTINGS[:3])
    tests = write_lines(tmp_path / "test.jsonl", [{"text": long_text, "role": "A"}, chat(POSTINGS[5], "B")])
    train = write_lines(tmp_path / "train.jsonl", [
        chat(POSTINGS[3], "A"),
        chat(long_text.replace("forecasting", "forecast"), "A"),  # near copy of a raw test record
        chat(POSTINGS[5], "B"),  # exact copy of a chat test example
    ])
    report = validate_file(train, against=tests)
    assert rules_by_line(report) == {(2, "test-overlap"), (3, "test-overlap")}
    assert f"{tests}:2" in report.render()


def test_unreadable_against_file_is_exit_2(tmp_path):
    train = write_lines(tmp_path / "train.jsonl", [chat(POSTINGS[0], "A")])
    report = validate_file(train, against=tmp_path / "missing.jsonl")
    assert report.exit_status == 2
    assert str(tmp_path / "missing.jsonl") in report.render()


def test_system_prompt_consistency(tmp_path):
    lines = [chat(p, "A") for p in POSTINGS[:5]] + [chat(POSTINGS[5], "A", system=None)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    assert rules_by_line(validate_file(path)) == {(6, "system-prompt")}


def test_labels_rare_and_imbalanced(tmp_path):
    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()
    lines = []
    for label, count in (("A", 30), ("B", 30), ("C", 10), ("Typo", 1)):
        lines += [chat(" ".join(rng.sample(words, 12)), label) for _ in range(count)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    report = validate_file(path, near_threshold=1.01)  # random word soups are not what this test is about
    found = rules_by_line(report)
    assert (71, "rare-label") in found
    assert (None, "label-balance") in found
    assert report.labels["A"] == 30


def test_many_malformed_answers_are_each_still_rare(tmp_path):
    # Twelve odd answers, each used a few times: a median over every label
    # would sit among them and call none of them rare.
    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()
    labels = [("A", 400), ("B", 400)] + [(f"Sure, it is A ({n})", 3) for n in range(12)]
    lines = [chat(" ".join(rng.sample(words, 12)), label) for label, count in labels for _ in range(count)]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines), near_threshold=1.01)
    rare = {line for line, rule in rules_by_line(report) if rule == "rare-label"}
    assert rare == set(range(801, 801 + 36))


def test_a_small_real_class_beside_a_large_one_is_not_rare(tmp_path):
    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()
    lines = [chat(" ".join(rng.sample(words, 12)), label) for label, count in (("A", 180), ("B", 10), ("C", 10))
             for _ in range(count)]
    found = rules_by_line(validate_file(write_lines(tmp_path / "f.jsonl", lines), near_threshold=1.01))
    assert {rule for _, rule in found} == {"label-balance"}


def test_free_text_answers_are_not_treated_as_labels(tmp_path):
    lines = [chat(p, f"A long, different answer number {i}") for i, p in enumerate(POSTINGS)]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert report.labels is None and report.findings == []


# --------------------------------------------------------------------------- other formats


def test_prompt_completion_format(tmp_path):
    lines = [{"prompt": p, "completion": " A"} for p in POSTINGS[:3]] + [{"prompt": POSTINGS[3]}, {"prompt": POSTINGS[4], "completion": ""}]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert report.format == "prompt-completion"
    assert rules_by_line(report) == {(4, "missing-key"), (5, "empty")}


def test_conversational_prompt_completion_format(tmp_path):
    lines = [jobs.to_prompt_completion({"text": p, "role": "A"}) for p in POSTINGS[:3]]
    bad = jobs.to_prompt_completion({"text": POSTINGS[3], "role": "A"})
    bad["completion"][0]["role"] = "user"
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines + [bad]), max_tokens=1000, tokenizer=FakeTokenizer())
    assert rules_by_line(report) == {(4, "turn-order"), (4, "no-answer")}
    assert report.examples[0].input == POSTINGS[0]


def test_instruction_format(tmp_path):
    lines = [{"instruction": "Classify.", "input": p, "output": "A"} for p in POSTINGS[:3]]
    lines += [{"instruction": "Classify.", "input": POSTINGS[3]}, {"instruction": "Classify.", "input": 3, "output": "A"}]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert report.format == "instruction"
    assert rules_by_line(report) == {(4, "missing-key"), (5, "type")}


def test_preference_format(tmp_path):
    lines = [{"prompt": p, "chosen": "good", "rejected": "bad"} for p in POSTINGS[:3]]
    lines += [{"prompt": POSTINGS[0], "chosen": "other", "rejected": "worse"}]  # many pairs per prompt is normal
    lines += [{"prompt": POSTINGS[4], "chosen": "same", "rejected": "same"}]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert report.format == "preference"
    assert rules_by_line(report) == {(5, "same-pair")}


def test_preference_pairs_as_two_conversations_must_share_the_prompt(tmp_path):
    def turns(posting, answer):
        return [{"role": "system", "content": ""}, {"role": "user", "content": posting},
                {"role": "assistant", "content": answer}]

    lines = [{"chosen": turns(p, "A"), "rejected": turns(p, "B")} for p in POSTINGS[:3]]
    lines += [{"chosen": turns(POSTINGS[3], "A"), "rejected": turns(POSTINGS[4], "B")}]
    lines += [{"chosen": turns(POSTINGS[5], "A"), "rejected": turns(POSTINGS[5], "A")}]
    lines += [{"chosen": [], "rejected": turns(POSTINGS[2] + " Remote.", "B")}]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert report.format == "preference"
    assert rules_by_line(report) == {(4, "prompt-mismatch"), (5, "same-pair"), (6, "empty")}
    mismatch = next(f for f in report.findings if f.rule == "prompt-mismatch")
    assert "at message 2" in mismatch.message


def test_an_empty_system_turn_is_allowed_but_an_empty_answer_is_not(tmp_path):
    lines = [chat(p, "A", system=None) | {"messages": [{"role": "system", "content": ""}]
                                           + chat(p, "A", system=None)["messages"]} for p in POSTINGS[:3]]
    lines += [{"messages": [{"role": "system", "content": " "}, {"role": "user", "content": POSTINGS[3]},
                            {"role": "assistant", "content": "A"}]}]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert (4, "empty") in rules_by_line(report)
    assert not any(line in (1, 2, 3) and rule == "empty" for line, rule in rules_by_line(report))


def test_a_line_in_another_format(tmp_path):
    lines = [chat(p, "A") for p in POSTINGS[:4]] + [{"prompt": POSTINGS[4], "completion": "A"}]
    assert rules_by_line(validate_file(write_lines(tmp_path / "f.jsonl", lines))) == {(5, "format")}


def test_explicit_format_overrides_detection(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [{"prompt": p, "completion": "A"} for p in POSTINGS[:2]])
    report = validate_file(path, format="messages")
    assert rules_by_line(report) == {(1, "format"), (2, "format"), (None, "empty-file")}
    with pytest.raises(ValueError):
        validate_file(path, format="csv")


# --------------------------------------------------------------------------- bad input never crashes


def test_missing_file_is_unreadable(tmp_path):
    report = validate_file(tmp_path / "nope.jsonl")
    assert report.exit_status == 2
    assert report.findings[0].rule == "unreadable"


def test_a_folder_is_unreadable(tmp_path):
    assert validate_file(tmp_path).exit_status == 2


def test_non_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(chat("ok", "A")).encode() + b"\n" + '{"text": "caf\xe9"}\n'.encode("latin-1"))
    report = validate_file(path)
    assert report.exit_status == 2
    assert str(report.findings[0]) == f"{path}:2: encoding: not UTF-8: byte 0xe9 at column 14"


def test_byte_order_mark_is_reported_and_skipped(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(chat(p, "A")) + "\n" for p in POSTINGS[:2]).encode())
    report = validate_file(path)
    assert rules_by_line(report) == {(None, "encoding")}
    assert len(report.examples) == 2


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    report = validate_file(path)
    assert rules_by_line(report) == {(None, "empty-file")}
    assert report.exit_status == 1


def test_deeply_nested_json_does_not_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    assert {rule for _, rule in rules_by_line(validate_file(path))} <= {"json", "not-object", "empty-file"}


def test_random_bytes_never_crash(tmp_path):
    rng = random.Random(1234)
    good = (DATA / "dirty.jsonl").read_bytes()[:4000]
    for case in range(90):
        if case % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        elif case % 3 == 1:  # good JSONL cut at a random byte
            data = good[: rng.randrange(len(good))]
        else:  # good JSONL with a few bytes flipped
            data = bytearray(good)
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        path = tmp_path / f"fuzz{case}.jsonl"
        path.write_bytes(data)
        report = validate_file(path, max_tokens=50, tokenizer=FakeTokenizer(), against=DATA / "test.jsonl")
        assert report.exit_status in (0, 1, 2)
        report.render()
        assert path.read_bytes() == data  # never modified


def test_truncated_lines_are_json_findings(tmp_path):
    lines = [json.dumps(chat(p, "A")) for p in POSTINGS[:4]]
    lines[2] = lines[2][:25]
    report = validate_file(write_lines(tmp_path / "f.jsonl", lines))
    assert rules_by_line(report) == {(3, "json")}
    assert "column" in report.findings[0].message


# --------------------------------------------------------------------------- --fix and the command


def test_fix_writes_the_clean_lines_to_a_new_file(tmp_path):
    source = DATA / "dirty.jsonl"
    before = source.read_bytes()
    report = validate_file(source, max_tokens=192, tokenizer=FakeTokenizer(), against=DATA / "test.jsonl")
    out = tmp_path / "fixed.jsonl"
    kept = write_fixed(report, out)
    assert source.read_bytes() == before
    assert kept == report.lines - len(report.flagged_lines())
    again = validate_file(out, max_tokens=192, tokenizer=FakeTokenizer(), against=DATA / "test.jsonl")
    # what remains: the imbalance, which removing lines cannot fix
    assert {rule for _, rule in rules_by_line(again)} == {"label-balance"}


def test_fix_never_overwrites(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [chat(POSTINGS[0], "A")])
    out = tmp_path / "exists.jsonl"
    out.write_text("keep me")
    with pytest.raises(FileExistsError):
        write_fixed(validate_file(path), out)
    assert out.read_text() == "keep me"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftlab", "validate", *args], capture_output=True, text=True)


def test_cli_exit_statuses_and_report_format(tmp_path):
    clean = write_lines(tmp_path / "clean.jsonl", [chat(p, "A") for p in POSTINGS[:3]])
    dirty = write_lines(tmp_path / "dirty.jsonl", [chat(p, "A") for p in POSTINGS[:3]] + ["{oops"])
    ok = run_cli(str(clean))
    assert ok.returncode == 0 and ok.stdout.strip().endswith("no findings")
    bad = run_cli(str(dirty))
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith(f"{dirty}:4: json: ")
    assert run_cli(str(tmp_path / "missing.jsonl")).returncode == 2


def test_cli_fix_refuses_an_existing_target(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [chat(POSTINGS[0], "A")])
    result = run_cli(str(path), "--fix", str(path))
    assert result.returncode == 2
    assert "already exists" in result.stderr
    out = tmp_path / "new.jsonl"
    assert run_cli(str(path), "--fix", str(out)).returncode == 0
    assert out.read_text() == path.read_text()
