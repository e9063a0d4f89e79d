"""A large, noisy training set and a small, clean one, for the data-quality experiment (page 02).

The outline's rule "500 perfect examples beat 5,000 noisy ones" is measured
on data from the same generator as the shipped splits (:mod:`ftlab.jobs`):

* **clean**: 500 postings of the train split, balanced over the roles
  (``TrainConfig(train_examples=500)``; nothing in this module);
* **noisy**: 5,000 postings written by the same templates, with the defects
  scraped or hastily labelled data has, at the rates of :data:`DEFECTS`;
  three versions differ only in their wrong labels: none, 10% or 30% of the
  lines (:data:`WRONG_LABEL_RATES`; the 30% set's include the 10% set's);
* **fixed**: a noisy set after ``python -m ftlab validate --fix``, the
  validator's rules with page 03's 192-token limit.

Everything is seeded: the same name gives the same bytes on every machine,
so a training run on one of these sets is keyed by its text like any other
(:func:`data_text`).  Nothing is written to the package; :func:`write` puts a
set where a reader wants to look at it.
"""

from __future__ import annotations

import json
import random
import tempfile
from functools import lru_cache
from pathlib import Path

from ftlab import jobs
from ftlab.similarity import shingles, similar_pairs
from ftlab.validate import validate_file, write_fixed

NOISY_SIZE = 5_000
SEED = "noisy-postings"
MAX_TOKENS = 192  # page 03's max_length: a longer example loses its answer to truncation
# Share of the 5,000 lines given each defect.  Copies repeat an earlier line;
# the others change a fresh posting, each posting at most one defect.
DEFECTS = {
    "exact duplicate": 0.10,
    "near duplicate": 0.05,
    "chatty answer": 0.05,
    "truncated answer": 0.03,
    "over-long": 0.05,
}
# Lines relabelled with another role, as a share of the 5,000 (their copies come on top).
WRONG_LABEL_RATES = (0.10, 0.30)
CHATTY = ("Sure! This posting is for a {role} position.", "Looks like they want a {role} here.",
          "The role is {role}, I think.")
# "noisy-0": every defect but the wrong labels, to tell their share of the harm from the rest's.
DATA_SETS = ("noisy-0",) + tuple(f"noisy-{round(rate * 100)}{fixed}" for rate in WRONG_LABEL_RATES
                                 for fixed in ("", "-fixed"))


@lru_cache(maxsize=None)  # the three versions share their postings: written once per process
def fresh_postings(count: int) -> tuple[dict, ...]:
    """``count`` generated postings, roles in turn, none too long or like a validation, test or hand-written one."""
    rng = random.Random(SEED)
    held_out = [shingles(r["text"]) for split in ("validation", "test", "handwritten") for r in jobs.load_split(split)]
    postings: list[dict] = []
    while len(postings) < count:
        batch = []
        for i in range(len(postings), count):
            role = jobs.ROLES[i % len(jobs.ROLES)]
            batch.append(jobs.write_posting(rng, role, jobs.SENIORITIES[(i // len(jobs.ROLES)) % 4], held_out=False))
        # A posting too close to a held-out one would leak it into training: write another.
        leaking = {i for i, _j, _s in similar_pairs([shingles(r["text"]) for r in batch], held_out,
                                                    jobs.GENERATOR_SIMILARITY_LIMIT)}
        postings += [r for i, r in enumerate(batch) if i not in leaking and len(r["text"]) <= jobs.MAX_CHARS]
    return tuple(postings)


def other_role(rng: random.Random, role: str) -> str:
    return rng.choice([r for r in jobs.ROLES if r != role])


@lru_cache(maxsize=None)
def build(wrong_label_rate: float) -> tuple[tuple[str, ...], tuple[dict, ...]]:
    """The noisy set's lines (chat JSON) and its manifest, one entry per defective line.

    An entry is ``{"line", "defect", "wrong_label"}``: ``wrong_label`` is true
    for the lines relabelled and for the copies of them, which carry the
    wrong role along (so a little over ``wrong_label_rate`` of the lines
    have one).
    """
    rng = random.Random(f"{SEED}-defects")
    copies = {name: round(DEFECTS[name] * NOISY_SIZE) for name in ("exact duplicate", "near duplicate")}
    postings = fresh_postings(NOISY_SIZE - sum(copies.values()))
    order = list(range(len(postings)))
    rng.shuffle(order)  # which postings get which defect; nested, so the rates share their first picks
    answers = {i: postings[i]["role"] for i in order}
    texts = {i: postings[i]["text"] for i in order}
    defect: dict[int, str] = {}
    start = 0
    for name, make in (("chatty answer", lambda i: rng.choice(CHATTY).format(role=answers[i])),
                       ("truncated answer", lambda i: answers[i][: len(answers[i]) // 2])):
        for i in order[start : start + round(DEFECTS[name] * NOISY_SIZE)]:
            answers[i], defect[i] = make(i), name
        start += round(DEFECTS[name] * NOISY_SIZE)
    for i in order[start : start + round(DEFECTS["over-long"] * NOISY_SIZE)]:
        texts[i] += rng.choice((jobs.LEGAL_BOILERPLATE, jobs.ABOUT_US_BOILERPLATE))
        defect[i] = "over-long"
    start += round(DEFECTS["over-long"] * NOISY_SIZE)
    label_rng = random.Random(f"{SEED}-labels")
    for i in order[start : start + round(wrong_label_rate * NOISY_SIZE)]:
        answers[i], defect[i] = other_role(label_rng, answers[i]), "wrong label"
    # (line, defect, wrong label?) for each line, in file order
    entries = [(jobs.chat_line({"text": texts[i], "role": answers[i]}), defect.get(i), defect.get(i) == "wrong label")
               for i in range(len(postings))]
    for name, edit in (("exact duplicate", lambda line: line), ("near duplicate", near_copy)):
        for _ in range(copies[name]):
            # the line now at this position: a posting or an earlier copy, with its defects
            source = rng.randrange(len(postings))
            line, _, wrong = entries[source]
            entries.insert(rng.randint(source + 1, len(entries)), (edit(line), name, wrong))
    lines = tuple(line for line, _, _ in entries)
    manifest = tuple({"line": n, "defect": d, "wrong_label": wrong} for n, (_, d, wrong) in enumerate(entries, 1) if d)
    return lines, manifest


def near_copy(line: str) -> str:
    example = json.loads(line)
    example["messages"][1]["content"] = jobs.edited(example["messages"][1]["content"])
    return json.dumps(example, ensure_ascii=False)


def rate_of(name: str) -> float:
    if name not in DATA_SETS:
        raise ValueError(f"unknown data set {name!r}; expected one of {', '.join(DATA_SETS)}")
    return int(name.split("-")[1]) / 100


@lru_cache(maxsize=None)
def data_text(name: str) -> str:
    """The JSONL text of a data set: a noisy one as built, a fixed one as ``validate --fix`` leaves it."""
    text = "".join(line + "\n" for line in build(rate_of(name))[0])
    if not name.endswith("-fixed"):
        return text
    with tempfile.TemporaryDirectory() as scratch:
        original, fixed = Path(scratch, "noisy.jsonl"), Path(scratch, "fixed.jsonl")
        original.write_text(text, encoding="utf-8")
        report = validate_file(original, max_tokens=MAX_TOKENS, against=jobs.data_dir().joinpath("test.jsonl"))
        write_fixed(report, fixed)
        return fixed.read_text(encoding="utf-8")


def records(name: str) -> list[dict]:
    """A data set as training records: the posting as ``text``, the answer as ``role``."""
    out = []
    for line in data_text(name).splitlines():
        messages = json.loads(line)["messages"]
        out.append({"text": messages[1]["content"], "role": messages[2]["content"]})
    return out


def write(name: str, folder: str | Path) -> Path:
    """Write a data set to ``folder/<name>.jsonl`` (a new file) and return its path."""
    path = Path(folder) / f"{name}.jsonl"
    with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite
        handle.write(data_text(name))
    return path
