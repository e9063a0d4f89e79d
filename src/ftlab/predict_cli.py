"""``python -m ftlab predict [--adapter NAME|DIR] [FILE]``: classify job postings.

Reads JSON Lines (one ``{"text": "..."}`` object per line) from FILE, or from
standard input when FILE is ``-`` or missing, and prints one JSON object per
input line, in order::

    {"line": 1, "role": "Data Engineer", "answer": "Data Engineer"}
    {"line": 2, "error": "postings.jsonl:2: invalid JSON: Expecting value (column 1)"}

A line that is not a valid posting gets an error object naming the line; the
other lines are still classified.  Blank lines are skipped.  ``role`` is the
label parsed from the model's answer (``null`` when the answer names no role
or several); ``answer`` is what the model actually said.

Exit status: 0 every line classified, 1 some lines were not valid postings,
2 the input or the adapter could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# How many postings go through the model at once.
BATCH_SIZE = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", default="-", help="JSON Lines with a 'text' field per line ('-' or nothing: stdin)"
    )
    parser.add_argument(
        "--adapter",
        help="a trained run's folder, or the name of a page's run (job-roles, seniority); "
        "without it the base model answers a zero-shot prompt",
    )


def read_postings(lines: list[str], source: str) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """``(postings, errors)``: (line number, text) pairs and line number -> error message."""
    postings, errors = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        problem = _posting_problem(line)
        if problem:
            errors[number] = f"{source}:{number}: {problem}"
        else:
            postings.append((number, json.loads(line)["text"]))
    return postings, errors


def _posting_problem(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"invalid JSON: {error.msg} (column {error.colno})"
    if not isinstance(record, dict):
        return f"expected a JSON object with a 'text' field, got {type(record).__name__}"
    if "text" not in record:
        return "missing key 'text'"
    if not isinstance(record["text"], str) or not record["text"].strip():
        return "'text' must be a non-empty string"
    return None


def load_classifier(adapter: str | None):
    """``(model, tokenizer, task, system)`` for the base model or a trained run."""
    from ftlab import predict, train
    from ftlab.model import load_model

    if adapter is None:
        model, tokenizer = load_model()
        return model, tokenizer, "role", None
    path = Path(adapter)
    if adapter in train.NAMED_RUNS:
        path = train.train_adapter(adapter)  # trains it first if the cache lacks it
    elif not (path / train.COMPLETE_MARKER).is_file():
        raise FileNotFoundError(
            f"--adapter {adapter}: not a run name ({', '.join(train.NAMED_RUNS)}) and not a folder "
            f"written by ftlab.train (no {train.COMPLETE_MARKER} in it)"
        )
    model, tokenizer = train.load_trained(path)
    task = train.run_log(path)["config"]["task"]
    return model, tokenizer, task, predict.FINE_TUNED_SYSTEM


def classify(model, tokenizer, texts: list[str], task: str, system: str | None) -> list[dict]:
    from ftlab import predict
    from ftlab.task import TASKS

    labels = TASKS[task]["labels"]
    conversations = [predict.prompt_for(text, task, system) for text in texts]
    answers = predict.generate_answers(
        model, tokenizer, conversations, batch_size=BATCH_SIZE, max_new_tokens=predict.answer_tokens(system)
    )
    field = TASKS[task]["field"]
    return [{field: predict.parse_label(a, labels), "answer": a} for a in answers]


def run(args: argparse.Namespace) -> int:
    source = "<stdin>" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{source}: cannot read: {error}", file=sys.stderr)
        return 2
    postings, errors = read_postings(text.splitlines(), source)
    try:
        model, tokenizer, task, system = load_classifier(args.adapter)
    except (FileNotFoundError, KeyError) as error:
        print(str(error).strip("'\""), file=sys.stderr)
        return 2
    results = classify(model, tokenizer, [t for _, t in postings], task, system) if postings else []
    by_line = {number: result for (number, _), result in zip(postings, results)}
    by_line.update({number: {"error": message} for number, message in errors.items()})
    for number in sorted(by_line):
        print(json.dumps({"line": number, **by_line[number]}, ensure_ascii=False))
    return 1 if errors else 0
