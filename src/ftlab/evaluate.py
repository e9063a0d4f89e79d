"""Score a model on the running example: a trained run, or the base model prompted zero-shot.

Answers are generated once and cached (in the run's folder, or under
``FTLAB_CACHE/scores`` for the base model), then scored by the task's parser
(:mod:`ftlab.task`), so every page that reports a run's accuracy reads the
same answers.
"""

from __future__ import annotations

from pathlib import Path

from ftlab import jobs, predict
from ftlab.model import load_model, model_name
from ftlab.runs import ANSWERING_STACK, cache_root, fingerprint
from ftlab.task import ZERO_SHOT_INSTRUCTIONS
from ftlab.train import TrainConfig, load_trained, run_log, train_adapter


def evaluate(run: Path | TrainConfig | str, split: str = "test"):
    """Score a trained run on a split with its own task; answers are cached in the run's folder."""
    path = run if isinstance(run, Path) else train_adapter(run)
    return evaluate_records(path, jobs.load_split(split), cache_name=split)


def evaluate_records(run: Path, records: list[dict], *, cache_name: str, task: str | None = None, loader=None):
    """Score a trained run on ``records``; answers cached as ``scores/<cache_name>.json`` in the run.

    ``task`` defaults to the run's own; ``loader(run)`` returns ``(model,
    tokenizer)`` for runs that :func:`load_trained` cannot read (page 05's).
    """
    task = task or run_log(run)["config"]["task"]
    loader = loader or load_trained

    def make_answers():
        return predict.score(*loader(run), records, task=task).answers

    answers = predict.cached_answers(Path(run) / "scores" / f"{cache_name}.json", records, make_answers)
    return predict.score_from_answers(answers, records, task=task)


def evaluate_base(split: str = "test", task: str = "role"):
    """Score the untrained base model with the zero-shot prompt (cached like :func:`evaluate`)."""
    records = jobs.load_split(split)
    parts = {"task": task, "prompt": ZERO_SHOT_INSTRUCTIONS[task], "tokens": predict.answer_tokens(None)}
    key = fingerprint(parts, model=model_name(), packages=ANSWERING_STACK)
    cache = cache_root() / "scores" / f"base-{task}-{key}-{split}.json"

    def make_answers():
        return predict.score(*load_model(), records, task=task, system=None).answers

    answers = predict.cached_answers(cache, records, make_answers)
    return predict.score_from_answers(answers, records, task=task)
