"""The job-postings data set: its API, its shape, and its guards against the generator's habits."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ftlab import jobs
from ftlab.similarity import shingles, similar_pairs
from ftlab.validate import validate_file

DATA = Path(str(jobs.data_dir()))
SIZES = {"train": 960, "validation": 80, "test": 160, "handwritten": 40}


@pytest.fixture(scope="module")
def splits():
    return {name: jobs.load_split(name) for name in jobs.SPLITS}


@pytest.fixture(scope="module")
def tokenizer():
    from ftlab import ModelUnavailable, load_tokenizer

    try:
        return load_tokenizer()
    except ModelUnavailable as error:
        pytest.skip(str(error))


def test_public_constants():
    assert jobs.ROLES == (
        "Data Scientist", "Data Engineer", "ML Engineer", "Backend Engineer",
        "Frontend Engineer", "DevOps Engineer", "Security Engineer", "Product Manager",
    )
    assert jobs.SENIORITIES == ("Junior", "Mid-level", "Senior", "Lead")
    assert len(jobs.SYSTEM_PROMPT.split()) <= 12  # every training step pays for every token of it


def test_split_sizes_and_balance(splits):
    assert {name: len(records) for name, records in splits.items()} == SIZES
    for name, records in splits.items():
        assert Counter(r["role"] for r in records) == {role: SIZES[name] // 8 for role in jobs.ROLES}, name
    for name in ("train", "test"):
        assert Counter(r["seniority"] for r in splits[name]) == {s: SIZES[name] // 4 for s in jobs.SENIORITIES}
    assert sum(SIZES[s] for s in ("train", "validation", "test")) >= 1000


def test_records_have_the_documented_fields(splits):
    ids = [r["id"] for records in splits.values() for r in records]
    assert len(ids) == len(set(ids))
    for records in splits.values():
        for r in records:
            assert {"id", "text", "role", "seniority", "industry", "template"} <= set(r)
            assert r["role"] in jobs.ROLES and r["seniority"] in jobs.SENIORITIES
            assert r["text"].strip() == r["text"] and r["text"]


def test_load_split_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown split"):
        jobs.load_split("training")


def test_regenerating_gives_the_same_bytes():
    """Same seed, same files: the shipped data is exactly what the generator makes."""
    fresh = jobs.render_files()
    assert sorted(fresh) == sorted(jobs.GENERATED_FILES)
    for name, data in fresh.items():
        assert (DATA / name).read_bytes() == data, f"{name} differs: run python -m ftlab.jobs"


def test_the_check_command_agrees(capsys):
    assert jobs.main(["--check"]) == 0
    assert capsys.readouterr().out.strip() == "up to date"


def test_another_seed_gives_other_postings():
    import random

    seen: list = []
    one = jobs.make_split(random.Random("1-validation"), "validation", seen)
    other = jobs.make_split(random.Random("2-validation"), "validation", [])
    assert [r["text"] for r in one] != [r["text"] for r in other]


def test_chat_and_prompt_completion_formats():
    record = {"text": "We need someone to run Kubernetes.", "role": "DevOps Engineer"}
    assert jobs.to_chat(record) == {"messages": [
        {"role": "system", "content": jobs.SYSTEM_PROMPT},
        {"role": "user", "content": record["text"]},
        {"role": "assistant", "content": "DevOps Engineer"},
    ]}
    assert [m["role"] for m in jobs.to_chat(record, system=None)["messages"]] == ["user", "assistant"]
    pair = jobs.to_prompt_completion(record)
    assert pair["prompt"] + pair["completion"] == jobs.to_chat(record)["messages"]


# --------------------------------------------------------------------------- realism


def test_shared_tools_appear_under_several_roles(splits):
    for tool in ("Python", "Kubernetes", "SQL"):
        roles = {r["role"] for r in splits["train"] if re.search(rf"\b{tool}\b", r["text"], re.I)}
        assert len(roles) >= 4, (tool, roles)


def test_no_single_word_gives_the_label_away(splits):
    """No word both catches half of a role's postings and is right 80% of the time."""
    postings = [(set(re.findall(r"[a-z][a-z0-9+#.-]*", r["text"].lower())), r["role"]) for r in splits["train"]]
    per_role = Counter(role for _, role in postings)
    with_word = Counter(w for words, _ in postings for w in words)
    word_and_role = Counter((w, role) for words, role in postings for w in words)
    giveaways = [
        (word, role) for (word, role), n in word_and_role.items()
        if n >= 0.5 * per_role[role] and n >= 0.8 * with_word[word]
    ]
    assert giveaways == []


def test_many_shapes_and_lengths(splits):
    train = splits["train"]
    assert len({r["template"] for r in train}) >= 12
    assert any("\n- " in r["text"] or "\n• " in r["text"] or "\n* " in r["text"] for r in train)  # bullet lists
    assert any(len(r["text"].split()) < 15 for r in train)  # one-liners
    assert any(len(r["text"].split()) > 90 for r in train)  # paragraphs
    assert any(r["text"] == r["text"].lower() for r in train)  # all lower case, as people type


def test_token_lengths_suit_cpu_training(splits, tokenizer):
    """Median posting 60-90 tokens; every chat example fits page 03's 192-token limit."""
    import statistics

    for name in ("train", "validation", "test"):
        texts = [r["text"] for r in splits[name]]
        lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        assert 60 <= statistics.median(lengths) <= 90, name
        chats = [tokenizer.apply_chat_template(jobs.to_chat(r)["messages"], tokenize=False) for r in splits[name]]
        longest = max(len(ids) for ids in tokenizer(chats, add_special_tokens=False)["input_ids"])
        assert longest <= 192 - 8, (name, longest)  # room for page 03's longer seniority prompt


# --------------------------------------------------------------------------- guards against the generator's habits


def test_test_split_uses_only_held_out_templates_and_companies(splits):
    seen = splits["train"] + splits["validation"]
    assert {r["template"] for r in splits["test"]} == set(jobs.TEST_TEMPLATES)
    assert {r["template"] for r in seen} == set(jobs.TRAIN_TEMPLATES)
    seen_text = " ".join(r["text"] for r in seen)
    assert not [c for c in jobs.TEST_ONLY_COMPANIES if c in seen_text]
    assert not {r["industry"] for r in seen} & set(jobs.TEST_ONLY_INDUSTRIES)


def test_held_out_phrases_never_reach_train():
    for bank in jobs.ROLE_BANKS.values():
        for key in ("duties", "skills", "titles", "situations"):
            train_part = jobs.partition(bank[key], held_out=False)
            test_part = jobs.partition(bank[key], held_out=True)
            assert bank[key][3::4] and not set(bank[key][3::4]) & set(train_part)
            assert set(bank[key][3::4]) <= set(test_part)


def test_no_posting_is_close_to_one_in_another_split(splits):
    names = list(splits)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            a = [shingles(r["text"]) for r in splits[first]]
            b = [shingles(r["text"]) for r in splits[second]]
            close = list(similar_pairs(a, b, jobs.GENERATOR_SIMILARITY_LIMIT))
            assert close == [], (first, second, close[:3])


def test_handwritten_postings_are_not_the_generators():
    texts = [r["text"] for r in jobs.load_split("handwritten")]
    assert all(r["template"] == "handwritten" for r in jobs.load_split("handwritten"))
    phrases = {d for bank in jobs.ROLE_BANKS.values() for d in bank["duties"] if "{" not in d}
    assert not [p for p in phrases for t in texts if p in t.lower()]


# --------------------------------------------------------------------------- the dirty copy


def test_dirty_file_findings_with_the_real_tokenizer(tokenizer):
    """The page runs the validator with the real tokenizer: exactly the planted defects come out."""
    manifest = [json.loads(line) for line in (DATA / "dirty_manifest.jsonl").read_text().splitlines()]
    planted = {(d["line"], rule) for d in manifest for rule in d["rules"]}
    report = validate_file(DATA / "dirty.jsonl", max_tokens=192, tokenizer=tokenizer, against=DATA / "test.jsonl")
    assert {(f.line, f.rule) for f in report.findings} == planted


def test_the_dirty_file_is_mostly_clean_training_data():
    lines = (DATA / "dirty.jsonl").read_text().splitlines()
    manifest = [json.loads(line) for line in (DATA / "dirty_manifest.jsonl").read_text().splitlines()]
    assert len(manifest) >= 20
    assert all(d["line"] is None or 1 <= d["line"] <= len(lines) for d in manifest)
    assert all(d["defect"] for d in manifest)


def test_package_data_covers_the_shipped_files():
    """pyproject's package-data globs ship every data file (a wheel would lack the others)."""
    import tomllib

    package = DATA.parents[1]
    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ftlab"]
    shipped = {path for pattern in globs for path in package.glob(pattern)}  # setuptools' glob semantics
    assert set(DATA.iterdir()) <= shipped
