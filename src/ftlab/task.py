"""The running example's tasks: what each one predicts from a job posting.

Both tasks see the same prompt (the bare posting, see
:func:`ftlab.predict.prompt_for`): which adapter is active decides what the
model answers.  Training (:mod:`ftlab.train`) and answering
(:mod:`ftlab.predict`) both read this table, so it lives below both.
"""

from __future__ import annotations

from ftlab import jobs

TASKS = {
    "role": {"field": "role", "labels": jobs.ROLES},
    "seniority": {"field": "seniority", "labels": jobs.SENIORITIES},
}
