"""The running example's tasks: labels, prompts and how an answer is read.

Both tasks see the same prompt (the bare posting, see :func:`prompt_for`):
which adapter is active decides what the model answers.  Training
(:mod:`ftlab.train`), answering (:mod:`ftlab.predict`) and evaluation all read
these facts, so they live below all three.

The answer parser accepts an answer when it contains exactly one label name
(case-insensitive, with a few common spellings such as "machine learning
engineer"); an answer naming no label or several different ones counts as
wrong.  Separately, *format compliance* asks the strict question a program
parsing the output would ask: is the answer exactly one of the label strings?
"""

from __future__ import annotations

import re

from ftlab import jobs

TASKS = {
    "role": {"field": "role", "labels": jobs.ROLES},
    "seniority": {"field": "seniority", "labels": jobs.SENIORITIES},
}

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
