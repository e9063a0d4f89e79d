"""The noisy training sets of page 02's data-quality experiment: seeded, as stated, and keyed by their bytes."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ftlab import jobs, noisy
from ftlab.similarity import shingles, similar_pairs
from ftlab.train import NAMED_RUNS, TrainConfig, training_records


def test_each_defect_is_planted_at_its_stated_rate():
    for rate in noisy.WRONG_LABEL_RATES:
        lines, manifest = noisy.build(rate)
        assert len(lines) == noisy.NOISY_SIZE
        planted = Counter(entry["defect"] for entry in manifest)
        expected = {name: round(share * noisy.NOISY_SIZE) for name, share in noisy.DEFECTS.items()}
        assert planted == {**expected, "wrong label": round(rate * noisy.NOISY_SIZE)}


def test_the_manifest_says_what_each_line_holds():
    truth = [json.loads(line)["messages"] for line in noisy.build(0.0)[0]]  # the same file, no label changed
    for rate in noisy.WRONG_LABEL_RATES:
        lines, manifest = noisy.build(rate)
        wrong = {entry["line"] for entry in manifest if entry["wrong_label"]}
        assert len(wrong) > rate * noisy.NOISY_SIZE  # the relabelled lines and their copies
        for number, (line, true) in enumerate(zip(lines, truth), 1):
            messages = json.loads(line)["messages"]
            assert messages[:2] == true[:2]
            assert (messages[2] != true[2]) == (number in wrong), number
        kinds = {entry["line"]: entry["defect"] for entry in manifest}
        answers = {n: json.loads(lines[n - 1])["messages"][2]["content"] for n in kinds}
        assert all(answers[n] not in jobs.ROLES for n, kind in kinds.items() if kind.endswith("answer"))


def test_the_higher_rate_only_adds_wrong_labels():
    low_lines, _ = noisy.build(0.10)
    high_lines, _ = noisy.build(0.30)
    differ = [(json.loads(a)["messages"], json.loads(b)["messages"]) for a, b in zip(low_lines, high_lines) if a != b]
    # 20% more of the lines relabelled (and the copies of those lines with them); nothing else moves
    assert len(differ) >= 0.20 * noisy.NOISY_SIZE
    for low, high in differ:
        assert low[:2] == high[:2] and low[2]["content"] in jobs.ROLES and high[2]["content"] in jobs.ROLES


def test_no_noisy_posting_resembles_a_held_out_one():
    held_out = [shingles(r["text"]) for split in ("validation", "test", "handwritten") for r in jobs.load_split(split)]
    texts = [r["text"] for r in noisy.records("noisy-10")]
    assert not list(similar_pairs([shingles(t) for t in texts], held_out, jobs.GENERATOR_SIMILARITY_LIMIT))


def test_fix_keeps_a_subset_whose_answers_are_all_roles():
    noisy_lines = noisy.data_text("noisy-10").splitlines()
    fixed_lines = noisy.data_text("noisy-10-fixed").splitlines()
    assert set(fixed_lines) < set(noisy_lines) and len(fixed_lines) < len(noisy_lines)
    roles = [json.loads(line)["messages"][2]["content"] for line in fixed_lines]
    assert set(roles) == set(jobs.ROLES)  # every chatty or truncated answer is gone


def test_records_are_the_lines_as_text_and_answer():
    records = noisy.records("noisy-30")
    first = json.loads(noisy.data_text("noisy-30").splitlines()[0])["messages"]
    assert len(records) == noisy.NOISY_SIZE
    assert records[0] == {"text": first[1]["content"], "role": first[2]["content"]}


def test_unknown_sets_and_existing_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown data set 'noisy-20'"):
        noisy.data_text("noisy-20")
    with pytest.raises(ValueError, match="TrainConfig.data: 'dirty'"):
        TrainConfig(data="dirty")
    (tmp_path / "noisy-10.jsonl").write_text("mine\n")
    with pytest.raises(FileExistsError):
        noisy.write("noisy-10", tmp_path)
    assert (tmp_path / "noisy-10.jsonl").read_text() == "mine\n"


def test_a_run_on_a_noisy_set_trains_on_it_and_is_keyed_by_it():
    recipe = NAMED_RUNS["job-roles"]
    on_noisy = TrainConfig(data="noisy-10")
    assert "data" not in recipe.significant_fields()  # the train split's runs keep their keys
    assert len({on_noisy.key(), recipe.key(), TrainConfig(data="noisy-10-fixed").key()}) == 3
    assert training_records(on_noisy) == noisy.records("noisy-10")
    assert len(training_records(TrainConfig(data="noisy-10", train_examples=80))) == 80
