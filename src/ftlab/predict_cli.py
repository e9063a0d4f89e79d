"""``python -m ftlab predict [--adapter NAME|DIR] [FILE]``: classify job postings.

Reads JSON Lines (one ``{"text": "..."}`` object per line) from FILE, or from
standard input when FILE is ``-`` or missing, and prints one JSON object per
input line, in order::

    {"line": 1, "role": "Data Engineer", "answer": "Data Engineer"}
    {"line": 2, "error": "postings.jsonl:2: invalid JSON: Expecting value (column 1)"}

A line that is not a valid posting (not UTF-8, not JSON, no 'text') gets an
error object naming the line; the other lines are still classified.  Blank
lines are skipped.  A posting longer than the model was trained on is cut to
that many tokens, and its answer says so (``"cut": {"tokens": N, "kept": M}``;
``"tokens": "more than N"`` for a line over 64,000 characters, of which only
the first 64,000 are read), so memory stays bounded whatever the input.  ``role`` is the
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
# Postings are cut to this many tokens for the base model's zero-shot prompt;
# an adapter's own limit is the max_length it was trained with.
BASE_MODEL_POSTING_TOKENS = 1024
# Characters kept before tokenizing at all: far more than any limit above
# needs, and a bound on the tokenizer's own memory for a line of megabytes.
MAX_CHARS_TOKENIZED = 64_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", default="-", help="JSON Lines with a 'text' field per line ('-' or nothing: stdin)"
    )
    parser.add_argument(
        "--adapter",
        help="a trained run's folder, or the name of a page's run (job-roles, seniority); "
        "without it the base model answers a zero-shot prompt",
    )


def decode_lines(data: bytes) -> list[str | UnicodeDecodeError]:
    """The input's lines, each decoded on its own: one bad byte spoils its line only."""
    lines: list[str | UnicodeDecodeError] = []
    for raw in data.splitlines():
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            lines.append(error)
    return lines


def read_postings(lines: list, source: str) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """``(postings, errors)``: (line number, text) pairs and line number -> error message.

    ``lines`` may hold a UnicodeDecodeError where a line was not UTF-8.
    """
    postings, errors = [], {}
    for number, line in enumerate(lines, start=1):
        if isinstance(line, UnicodeDecodeError):
            errors[number] = f"{source}:{number}: not UTF-8 (byte {line.start + 1} of the line: {line.reason})"
            continue
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
    """``(model, tokenizer, task, system, posting_tokens)`` for the base model or a trained run.

    ``posting_tokens`` is the longest posting the model is shown: an adapter's
    training max_length, or BASE_MODEL_POSTING_TOKENS.
    """
    from ftlab import task, train
    from ftlab.model import load_model
    from ftlab.runs import RUN_LOG

    if adapter is None:
        model, tokenizer = load_model()
        return model, tokenizer, "role", None, BASE_MODEL_POSTING_TOKENS
    path = Path(adapter)
    if adapter in train.NAMED_RUNS:
        path = train.train_adapter(adapter)  # trains it first if the cache lacks it
    elif not (path / RUN_LOG).is_file():
        raise FileNotFoundError(
            f"--adapter {adapter}: not a run name ({', '.join(train.NAMED_RUNS)}) and not a folder "
            f"written by ftlab.train (no {RUN_LOG} in it)"
        )
    model, tokenizer = train.load_trained(path)
    config = train.run_log(path)["config"]
    return model, tokenizer, config["task"], task.FINE_TUNED_SYSTEM, config["max_length"]


def cut_to_tokens(tokenizer, text: str, limit: int) -> tuple[str, dict | None]:
    """``(text, cut)``: the posting's first ``limit`` tokens, and what was cut (None: nothing)."""
    ids = tokenizer(text[:MAX_CHARS_TOKENIZED], add_special_tokens=False)["input_ids"]
    if len(ids) <= limit and len(text) <= MAX_CHARS_TOKENIZED:
        return text, None
    counted = f"more than {len(ids)}" if len(text) > MAX_CHARS_TOKENIZED else len(ids)
    return tokenizer.decode(ids[:limit]), {"tokens": counted, "kept": limit}


def classify(model, tokenizer, texts: list[str], task: str, system: str | None,
             posting_tokens: int = BASE_MODEL_POSTING_TOKENS) -> list[dict]:
    from ftlab.predict import ask
    from ftlab.task import TASKS, parse_label

    labels = TASKS[task]["labels"]
    cuts = [cut_to_tokens(tokenizer, text, posting_tokens) for text in texts]
    answers = ask(model, tokenizer, [text for text, _ in cuts], task=task, system=system, batch_size=BATCH_SIZE)
    field = TASKS[task]["field"]
    results = [{field: parse_label(a, labels), "answer": a} for a in answers]
    for result, (_, cut) in zip(results, cuts):
        if cut:
            result["cut"] = cut
    return results


def run(args: argparse.Namespace) -> int:
    source = "<stdin>" if args.file == "-" else args.file
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        print(f"{source}: cannot read: {error}", file=sys.stderr)
        return 2
    postings, errors = read_postings(decode_lines(data), source)
    try:
        model, tokenizer, task, system, posting_tokens = load_classifier(args.adapter)
    except (FileNotFoundError, KeyError) as error:
        print(str(error).strip("'\""), file=sys.stderr)
        return 2
    texts = [t for _, t in postings]
    results = classify(model, tokenizer, texts, task, system, posting_tokens) if postings else []
    by_line = {number: result for (number, _), result in zip(postings, results)}
    by_line.update({number: {"error": message} for number, message in errors.items()})
    for number in sorted(by_line):
        print(json.dumps({"line": number, **by_line[number]}, ensure_ascii=False))
    return 1 if errors else 0
