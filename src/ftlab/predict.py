"""Ask a model for the label of postings, parse its answer, and score it.

The same parser is used for every system on the site, base model or
fine-tuned, so comparisons are fair.  It accepts an answer when it contains
exactly one label name (case-insensitive, with a few common spellings such as
"machine learning engineer"); an answer naming no label or several different
ones counts as wrong.  Separately, *format compliance* asks the strict
question a program parsing the output would ask: is the answer exactly one of
the label strings?
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ftlab import jobs
from ftlab.task import TASKS

# Ways people (and small models) spell a role, mapped to the canonical label.
ALIASES = {
    "machine learning engineer": "ML Engineer",
    "ml engineer": "ML Engineer",
    "mlops engineer": "ML Engineer",
    "back-end engineer": "Backend Engineer",
    "back end engineer": "Backend Engineer",
    "backend developer": "Backend Engineer",
    "front-end engineer": "Frontend Engineer",
    "front end engineer": "Frontend Engineer",
    "frontend developer": "Frontend Engineer",
    "devops": "DevOps Engineer",
    "site reliability engineer": "DevOps Engineer",
    "security": "Security Engineer",
    "product manager": "Product Manager",
    "data scientist": "Data Scientist",
    "data engineer": "Data Engineer",
}

# The instruction an untrained model needs: it must be told the label set.
# It goes in the user turn: given it as a system prompt, SmolLM2-135M tends
# to chat about the posting instead of answering (measured: 3/160 correct).
ZERO_SHOT_INSTRUCTIONS = {
    "role": "Classify the job posting into exactly one of these roles: "
    + ", ".join(jobs.ROLES)
    + ". Answer with the role name only.",
    "seniority": "Classify the seniority of the job posting as exactly one of: "
    + ", ".join(jobs.SENIORITIES)
    + ". Answer with the level only.",
}

# A fine-tuned model needs no instruction at all: an empty system turn keeps
# the chat template from inserting SmolLM2's default system prompt (16 tokens
# of every training example saved).  Both adapters see the same prompt, so
# which adapter is active decides what the model answers.
FINE_TUNED_SYSTEM = ""


def prompt_for(text: str, task: str = "role", system: str | None = FINE_TUNED_SYSTEM) -> list[dict]:
    """The chat turns for one posting.

    ``system=None`` is the zero-shot prompt for an untrained model (the
    instruction and the label set in the user turn); a string is the system
    turn a fine-tuned model was trained with, followed by the bare posting.
    """
    if system is None:
        return [{"role": "user", "content": f"{ZERO_SHOT_INSTRUCTIONS[task]}\n\nPosting: {text}"}]
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


def parse_label(answer: str, labels: tuple[str, ...] = jobs.ROLES) -> str | None:
    """The single label an answer names, or None if it names none or several."""
    text = answer.strip().lower()
    found = {label for label in labels if re.search(rf"\b{re.escape(label.lower())}\b", text)}
    if labels == jobs.ROLES:
        found |= {label for alias, label in ALIASES.items() if re.search(rf"\b{re.escape(alias)}\b", text)}
    return found.pop() if len(found) == 1 else None


def complies(answer: str, labels: tuple[str, ...] = jobs.ROLES) -> bool:
    """Strict format: the answer is exactly one label and nothing else."""
    return answer.strip() in labels


def generate_answers(
    model, tokenizer, conversations: list[list[dict]], *, batch_size: int = 16, max_new_tokens: int = 8
) -> list[str]:
    """Greedy answers to chat prompts, in batches (left-padded, as generation needs)."""
    import torch

    tokenizer.padding_side = "left"
    answers = []
    for start in range(0, len(conversations), batch_size):
        batch = conversations[start : start + batch_size]
        texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in batch]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            output = model.generate(
                **inputs, max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        answers += tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return [a.strip() for a in answers]


@dataclass
class Score:
    """How a system did on a list of records."""

    correct: int
    total: int
    compliant: int
    answers: list[str] = field(repr=False)
    predictions: list[str | None] = field(repr=False)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    @property
    def compliance(self) -> float:
        return self.compliant / self.total

    def summary(self) -> str:
        return (
            f"accuracy {self.correct}/{self.total} = {self.accuracy:.1%}, "
            f"exact format {self.compliant}/{self.total} = {self.compliance:.1%}"
        )


def score(
    model, tokenizer, records: list[dict], *, task: str = "role", system: str | None = FINE_TUNED_SYSTEM,
    batch_size: int = 16,
) -> Score:
    """Generate an answer per record and compare it with the record's label.

    ``system=None`` asks with the zero-shot prompt (for the base model).
    """
    conversations = [prompt_for(r["text"], task, system) for r in records]
    answers = generate_answers(
        model, tokenizer, conversations, batch_size=batch_size, max_new_tokens=answer_tokens(system)
    )
    return score_from_answers(answers, records, task=task)


def answer_tokens(system: str | None) -> int:
    """How many tokens an answer may take.

    A fine-tuned model answers in at most 4 tokens plus end-of-turn.  An
    untrained model tends to lead in ("The role I'm referring to is a ..."):
    cut at 8 tokens it would be marked wrong before it names a role, so the
    zero-shot prompt gets 24.
    """
    return 24 if system is None else 8


def score_from_answers(answers: list[str], records: list[dict], *, task: str = "role") -> Score:
    """A :class:`Score` for answers already generated (e.g. read from a cache)."""
    field_name, labels = TASKS[task]["field"], TASKS[task]["labels"]
    predictions = [parse_label(a, labels) for a in answers]
    return Score(
        correct=sum(p == r[field_name] for p, r in zip(predictions, records)),
        total=len(records),
        compliant=sum(complies(a, labels) for a in answers),
        answers=answers,
        predictions=predictions,
    )


def cached_answers(path, records: list[dict], make_answers) -> list[str]:
    """Answers stored at ``path``, or ``make_answers()`` written there first.

    Generating 160 answers takes about a minute on 2 cores; pages and their
    notebooks ask for the same evaluations, so each is made once per cache.
    The file records the posting texts, so a changed split is never mistaken
    for the cached one.
    """
    import hashlib
    import json
    from pathlib import Path

    from ftlab.model import write_atomically

    path = Path(path)
    texts = hashlib.sha256("\n".join(r["text"] for r in records).encode()).hexdigest()
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("texts_sha256") == texts:
            return stored["answers"]
    answers = make_answers()
    stored = json.dumps({"texts_sha256": texts, "answers": answers})
    write_atomically(path, lambda partial: partial.write_text(stored, encoding="utf-8"))
    return answers
