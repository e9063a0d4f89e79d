"""Ask a model for the label of postings and score its answers.

The prompts and the answer parser are the task's (:mod:`ftlab.task`); the
same parser is used for every system on the site, base model or fine-tuned,
so comparisons are fair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ftlab.task import FINE_TUNED_SYSTEM, TASKS, complies, parse_label, prompt_for


# --8<-- [start:generate]
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
# --8<-- [end:generate]


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
    answers = ask(model, tokenizer, [r["text"] for r in records], task=task, system=system, batch_size=batch_size)
    return score_from_answers(answers, records, task=task)


def ask(
    model, tokenizer, texts: list[str], *, task: str = "role", system: str | None = FINE_TUNED_SYSTEM,
    batch_size: int = 16,
) -> list[str]:
    """The model's answer to each posting, asked with the task's prompt (``system=None``: the zero-shot one)."""
    conversations = [prompt_for(text, task, system) for text in texts]
    return generate_answers(
        model, tokenizer, conversations, batch_size=batch_size, max_new_tokens=answer_tokens(system)
    )


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


def postings_digest(records: list[dict]) -> str:
    """The sha256 of the postings' texts, in order: which postings a cached set of answers is for."""
    from ftlab.runs import digest

    return digest("\n".join(r["text"] for r in records))


def cached_answers(path, records: list[dict], make_answers) -> list[str]:
    """Answers stored at ``path``, or ``make_answers()`` written there first.

    Generating 160 answers takes about a minute on 2 cores; pages and their
    notebooks ask for the same evaluations, so each is made once per cache.
    The file records the posting texts, so a changed split is never mistaken
    for the cached one.
    """
    from ftlab.runs import cached_json

    texts = postings_digest(records)
    stored = cached_json(
        path,
        lambda: {"texts_sha256": texts, "answers": make_answers()},
        matches=lambda stored: stored.get("texts_sha256") == texts,
    )
    return stored["answers"]
