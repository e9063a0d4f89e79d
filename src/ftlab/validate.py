"""``python -m ftlab validate FILE``: check a training-data file before training on it.

It reads JSON Lines (one example per line) in the layouts fine-tuning tools
expect, and reports every problem it finds as ``FILE:LINE: RULE: message``,
followed by a summary.  The exit status says what happened: 0 clean,
1 findings, 2 the file (or the ``--against`` file) could not be read.

Formats (``--format``, detected from the keys when ``auto``):

``messages``           ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}``
``prompt-completion``  ``{"prompt": ..., "completion": ...}`` (strings, or lists of messages as TRL takes them)
``instruction``        ``{"instruction": ..., "input": ..., "output": ...}`` (``input`` optional)
``preference``         ``{"prompt": ..., "chosen": ..., "rejected": ...}`` (pairs for DPO)

The checks run in three stages, and a line that fails one stage is not put
through the next, so one broken line gives one clear finding rather than a
cascade: (1) can the line be read as an example at all (JSON, keys, types,
roles), (2) is it a usable example (turn order, an answer, no empty content),
(3) how does it relate to the other examples (duplicates, contradictions,
length, overlap with a test file, label balance).

Near duplicates are found by the Jaccard similarity of the sets of word
3-grams ("shingles") of two inputs, computed exactly with a sparse matrix
product; pairs at or above ``NEAR_DUPLICATE_THRESHOLD`` are reported.

The input file is only ever read.  ``--fix OUT`` writes the lines that have
no finding to OUT, which must not exist yet.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from ftlab.similarity import most_similar, shingles, similar_pairs

NEAR_DUPLICATE_THRESHOLD = 0.8
CHAT_ROLES = ("system", "user", "assistant")

# Labels: the answers look like class labels when there are few distinct ones.
MAX_LABELS = 50
RARE_LABEL_SHARE = 0.1  # a label seen < 10% as often as the median label is suspicious
MEDIAN_LABEL_SHARE = 0.01  # the median is taken over labels on at least 1% of the examples
BALANCE_RATIO = 2.0  # the largest label more than twice the smallest is reported
SYSTEM_PROMPT_SHARE = 0.8  # one system prompt used this widely is the file's convention

RULES = {
    "unreadable": "the file cannot be opened (missing, a folder, no permission)",
    "encoding": "the bytes are not UTF-8 text",
    "json": "the line is not valid JSON",
    "blank-line": "an empty line between examples",
    "not-object": "the line is JSON, but not an object",
    "format": "the line uses another format than the rest of the file",
    "missing-key": "a key the format requires is missing",
    "type": "a value has the wrong type",
    "unknown-role": "a message role other than system, user or assistant",
    "turn-order": "messages out of order: system first, then user and assistant taking turns",
    "no-answer": "no assistant answer at the end to learn from",
    "empty": "a message or field is empty or only whitespace",
    "same-pair": "a preference pair whose chosen and rejected answers are the same",
    "prompt-mismatch": "a preference pair given as two conversations that do not share their prompt",
    "duplicate": "the same example appears earlier (ignoring case and whitespace)",
    "near-duplicate": f"the input shares >= {NEAR_DUPLICATE_THRESHOLD:.0%} of its word 3-grams with an earlier one",
    "conflict": "the same input appears with different answers",
    "system-prompt": "the system prompt differs from the one the file uses",
    "too-long": "more tokens than --max-tokens",
    "test-overlap": "the input is also in the --against (test) file",
    "rare-label": "an answer used far less often than the others: a typo or a label outside the set?",
    "label-balance": "some labels are much more frequent than others",
    "empty-file": "no examples at all",
}

FORMATS = ("messages", "prompt-completion", "instruction", "preference")
CONTENT_KEYS = {"messages", "prompt", "completion", "instruction", "input", "output", "chosen", "rejected"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None  # None: about the whole file
    rule: str
    message: str

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"undocumented rule {self.rule!r}; add it to RULES")

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.rule}: {self.message}"


@dataclass
class Example:
    """One usable training example, reduced to what the checks compare."""

    line: int
    raw: str
    system: str | None
    input: str  # what the model reads: the user turns, the prompt, instruction + input
    answer: str  # what the model learns to write
    chat: list[dict] | None = None  # the conversation, for counting tokens via the chat template
    plain: str | None = None  # or the plain text to count, for non-chat formats
    key: str = ""  # the whole example, normalised, for exact duplicates


@dataclass
class Report:
    path: str
    format: str = "auto"
    lines: int = 0
    examples: list[Example] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    labels: Counter | None = None
    token_counts: list[int] | None = None
    max_tokens: int | None = None
    near_threshold: float = NEAR_DUPLICATE_THRESHOLD
    raw_lines: list[str] = field(default_factory=list, repr=False)

    @property
    def exit_status(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.findings else 0

    def add(self, line: int | None, rule: str, message: str) -> None:
        self.findings.append(Finding(self.path, line, rule, message))

    def flagged_lines(self) -> set[int]:
        return {f.line for f in self.findings if f.line is not None}

    def render(self) -> str:
        # line by line, then what concerns the whole file
        ordered = sorted(self.findings, key=lambda f: (f.line is None, f.line or 0, f.rule))
        return "\n".join([str(f) for f in ordered] + self.summary())

    def summary(self) -> list[str]:
        if self.unreadable:
            return [f"{self.path}: unreadable, nothing checked"]
        lines = [
            f"{self.path}: {self.lines} lines, {len(self.examples)} usable examples, format {self.format}"
        ]
        if self.labels:
            counts = sorted(self.labels.items(), key=lambda item: (-item[1], item[0]))
            lines.append(f"labels: {len(counts)} distinct; " + ", ".join(f"{label} {n}" for label, n in counts))
        if self.token_counts:
            median = statistics.median(self.token_counts)
            lines.append(
                f"tokens: median {median:.0f}, max {max(self.token_counts)}, limit {self.max_tokens}"
            )
        by_rule = Counter(f.rule for f in self.findings)
        if by_rule:
            detail = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items()))
            lines.append(f"{len(self.findings)} finding{'s' * (len(self.findings) > 1)}: {detail}")
        else:
            lines.append("no findings")
        return lines


# --------------------------------------------------------------------------- reading


def read_lines(path: Path) -> tuple[list[str] | None, list[Finding]]:
    """The file's lines (None when it cannot be read as UTF-8 text), and findings about the file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Finding(str(path), None, "unreadable", error.strerror or str(error))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"not UTF-8: byte 0x{data[error.start]:02x} at column {column}"
        return None, [Finding(str(path), line, "encoding", message)]
    findings = []
    if text.startswith("\ufeff"):
        message = "the file starts with a byte-order mark, which many JSONL readers reject"
        findings.append(Finding(str(path), None, "encoding", message))
        text = text[1:]
    lines = text.split("\n")  # not splitlines(): JSON strings may hold U+2028 and friends
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return lines, findings


def parse_json(raw: str) -> tuple[object, str | None]:
    """The line's JSON value, or an error message."""
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as error:
        return None, f"{error.msg} (column {error.colno})"
    except (ValueError, RecursionError) as error:  # e.g. absurdly deep nesting
        return None, f"cannot be parsed: {type(error).__name__}"


def detect_format(obj: dict) -> str | None:
    """Which format a JSON object's keys belong to (None: none of them)."""
    if "messages" in obj:
        return "messages"
    if "chosen" in obj or "rejected" in obj:
        return "preference"
    if "instruction" in obj:
        return "instruction"
    if "prompt" in obj or "completion" in obj:
        return "prompt-completion"
    return None


def kind(value: object) -> str:
    """A JSON type name for error messages."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


# --------------------------------------------------------------------------- stage 1 and 2: one line


class Problems(list):
    """(rule, message) pairs for one line; keeps only the first of each rule."""

    def add(self, rule: str, message: str) -> None:
        if all(existing != rule for existing, _ in self):
            self.append((rule, message))


def message_problems(message: object, name: str, problems: Problems) -> None:
    """Stage 1 for one chat message (``name``: "message 2"): an object, a known role, string content?"""
    if not isinstance(message, dict):
        problems.add("type", f"{name} is {kind(message)}, not an object")
        return
    for key in ("role", "content"):
        if key not in message:
            problems.add("missing-key", f"{name} has no '{key}' key")
    role = message.get("role")
    if "role" in message and role not in CHAT_ROLES:
        problems.add("unknown-role", f"{name} has role {json.dumps(role)}; expected system, user or assistant")
    content = message.get("content")
    if "content" in message and not isinstance(content, str):
        problems.add("type", f"{name} content is {kind(content)}, not a string")


def conversation_problems(messages: list[dict], problems: Problems) -> None:
    """Stage 2 for a well-formed conversation: order, an answer at the end, no empty turns."""
    roles = [m["role"] for m in messages]
    for position, role in enumerate(roles[1:], 2):
        if role == "system":
            problems.add("turn-order", f"message {position} is a system message; only the first may be")
    turns = [(position, role) for position, role in enumerate(roles, 1) if role != "system"]
    if turns and turns[0][1] != "user":
        problems.add("turn-order", f"the first turn (message {turns[0][0]}) is {turns[0][1]!r}, not 'user'")
    for (first, role), (second, next_role) in zip(turns, turns[1:]):
        if role == next_role:
            problems.add("turn-order", f"messages {first} and {second} are both {role!r}; user and assistant take turns")
    if "assistant" not in roles:
        problems.add("no-answer", "no assistant message: nothing for the model to learn")
    elif roles[-1] != "assistant":
        problems.add("no-answer", f"the last message is {roles[-1]!r}; the example should end with the answer")
    for position, message in enumerate(messages, 1):
        # An empty system turn is deliberate: it keeps a chat template from
        # inserting its default system prompt (page 03 trains that way).
        if message["content"] == "" and message["role"] == "system" and position == 1:
            continue
        if not message["content"].strip():
            what = "empty" if message["content"] == "" else "only whitespace"
            problems.add("empty", f"message {position} ({message['role']}) is {what}")


def conversation_example(messages: list[dict]) -> dict:
    """The fields of an Example for a valid conversation."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    turns = [m for m in messages if m["role"] != "system"]
    return {
        "system": system,
        "input": "\n".join(m["content"] for m in turns[:-1]),
        "answer": turns[-1]["content"],
        "chat": messages,
    }


def parse_chat_field(obj: dict, key: str, problems: Problems) -> str | list | None:
    """A prompt/completion/chosen/rejected value: a string, or a list of messages."""
    if key not in obj:
        problems.add("missing-key", f"no '{key}' key")
        return None
    value = obj[key]
    if isinstance(value, list):
        for position, message in enumerate(value, 1):
            message_problems(message, f"'{key}' message {position}", problems)
        return value
    if not isinstance(value, str):
        problems.add("type", f"'{key}' is {kind(value)}; expected a string or a list of messages")
        return None
    return value


def parse_messages(obj: dict, problems: Problems) -> dict | None:
    if "messages" not in obj:
        problems.add("missing-key", "no 'messages' key")
        return None
    messages = obj["messages"]
    if not isinstance(messages, list):
        problems.add("type", f"'messages' is {kind(messages)}, not a list")
        return None
    for position, message in enumerate(messages, 1):
        message_problems(message, f"message {position}", problems)
    if problems:
        return None
    if not messages:
        problems.add("no-answer", "'messages' is an empty list")
        return None
    conversation_problems(messages, problems)
    return None if problems else conversation_example(messages)


def parse_prompt_answer(obj: dict, answer_keys: tuple[str, ...], problems: Problems) -> dict | None:
    """prompt-completion and preference: a prompt plus one or two answers, all strings or all chats."""
    values = [parse_chat_field(obj, key, problems) for key in ("prompt", *answer_keys)]
    if problems:
        return None
    if len({isinstance(v, list) for v in values}) > 1:
        problems.add("type", "mixes plain strings and message lists; use one or the other")
        return None
    prompt, answer = values[0], values[1]
    if isinstance(prompt, str):
        for key, value in zip(("prompt", *answer_keys), values):
            if not value.strip():
                problems.add("empty", f"'{key}' is {'empty' if value == '' else 'only whitespace'}")
        return None if problems else {"system": None, "input": prompt, "answer": answer, "plain": prompt + max(values[1:], key=len)}
    for value in values[1:]:
        conversation_problems(prompt + value, problems)
    return None if problems else conversation_example(prompt + max(values[1:], key=len)) | {
        "input": "\n".join(m["content"] for m in prompt if m["role"] != "system"),
        "answer": "\n".join(m["content"] for m in answer),
    }


def parse_instruction(obj: dict, problems: Problems) -> dict | None:
    for key in ("instruction", "output"):
        if key not in obj:
            problems.add("missing-key", f"no '{key}' key")
    for key in ("instruction", "input", "output"):
        if key in obj and not isinstance(obj[key], str):
            problems.add("type", f"'{key}' is {kind(obj[key])}, not a string")
    if problems:
        return None
    for key in ("instruction", "output"):
        if not obj[key].strip():
            problems.add("empty", f"'{key}' is {'empty' if obj[key] == '' else 'only whitespace'}")
    if problems:
        return None
    prompt = "\n".join(part for part in (obj["instruction"], obj.get("input", "")) if part)
    return {"system": None, "input": prompt, "answer": obj["output"], "plain": prompt + "\n" + obj["output"]}


def parse_preference(obj: dict, problems: Problems) -> dict | None:
    if "prompt" not in obj and isinstance(obj.get("chosen"), list) and isinstance(obj.get("rejected"), list):
        obj = split_implicit_prompt(obj, problems)
        if obj is None:
            return None
    fields = parse_prompt_answer(obj, ("chosen", "rejected"), problems)
    if fields is not None and normalise(json.dumps(obj["chosen"])) == normalise(json.dumps(obj["rejected"])):
        problems.add("same-pair", "'chosen' and 'rejected' are the same; the pair teaches nothing")
        return None
    return fields


def split_implicit_prompt(obj: dict, problems: Problems) -> dict | None:
    """A pair written as two whole conversations: both must ask the same thing and differ only in the answer."""
    chosen, rejected = obj["chosen"], obj["rejected"]
    for name, messages in (("chosen", chosen), ("rejected", rejected)):
        for position, message in enumerate(messages, 1):
            message_problems(message, f"'{name}' message {position}", problems)
    if problems:
        return None
    if not chosen or not rejected:
        problems.add("empty", f"'{'chosen' if not chosen else 'rejected'}' is an empty list")
        return None
    if chosen[:-1] != rejected[:-1]:
        differs = next((i for i, (a, b) in enumerate(zip(chosen, rejected), 1) if a != b),
                       min(len(chosen), len(rejected)))
        problems.add("prompt-mismatch", f"'chosen' and 'rejected' differ before their last message "
                     f"(at message {differs}); a pair must share its prompt")
        return None
    return {"prompt": chosen[:-1], "chosen": chosen[-1:], "rejected": rejected[-1:]}


PARSERS = {
    "messages": parse_messages,
    "prompt-completion": lambda obj, problems: parse_prompt_answer(obj, ("completion",), problems),
    "instruction": parse_instruction,
    "preference": parse_preference,
}


def choose_format(objects: list[dict], requested: str) -> str:
    """The file's format: the one asked for, or the one most lines' keys point to."""
    if requested != "auto":
        return requested
    votes = Counter(detect_format(obj) for obj in objects)
    votes.pop(None, None)
    if not votes:
        return "messages"  # nothing recognisable: report against the most common format
    return max(FORMATS, key=lambda name: votes[name])  # ties go to the earlier format


def check_line(number: int, obj: object, file_format: str) -> tuple[dict | None, Problems]:
    """Stages 1 and 2 for one parsed line."""
    problems = Problems()
    if not isinstance(obj, dict):
        problems.add("not-object", f"the line is {kind(obj)}, not a JSON object")
        return None, problems
    line_format = detect_format(obj)
    if line_format is not None and line_format != file_format:
        problems.add("format", f"this line is in {line_format} format; the file is {file_format}")
        return None, problems
    return PARSERS[file_format](obj, problems), problems


def read_examples(lines: list[str], requested: str, report: Report) -> None:
    """Stages 1 and 2 for every line; usable examples go to report.examples."""
    parsed: list[tuple[int, str, object]] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            report.add(number, "blank-line", "empty line")
            continue
        obj, error = parse_json(raw)
        if error:
            report.add(number, "json", error)
        else:
            parsed.append((number, raw, obj))
    report.format = choose_format([obj for _, _, obj in parsed if isinstance(obj, dict)], requested)
    for number, raw, obj in parsed:
        fields, problems = check_line(number, obj, report.format)
        for rule, message in problems:
            report.add(number, rule, message)
        if fields is not None:
            content = {k: obj[k] for k in sorted(obj) if k in CONTENT_KEYS}  # ids and metadata don't count
            key = normalise(json.dumps(content, ensure_ascii=False))
            report.examples.append(Example(line=number, raw=raw, key=key, **fields))


# --------------------------------------------------------------------------- near duplicates


def short(text: str, width: int = 40) -> str:
    """A one-line excerpt for messages."""
    text = " ".join(text.split())
    return json.dumps(text if len(text) <= width else text[: width - 3] + "...", ensure_ascii=False)


def check_duplicates_and_conflicts(report: Report) -> set[int]:
    """Exact duplicates and same-input-different-answer; returns the lines flagged."""
    flagged: set[int] = set()
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in report.examples:
        groups[normalise(example.input)].append(example)
    for group in groups.values():
        answers = {normalise(e.answer) for e in group}
        if len(answers) > 1 and report.format != "preference":
            for example in group:
                others = ", ".join(f"line {o.line} says {short(o.answer)}" for o in group if o is not example)
                report.add(example.line, "conflict", f"same input, answer {short(example.answer)}, but {others}")
                flagged.add(example.line)
            continue
        first_by_key: dict[str, Example] = {}
        for example in group:
            if example.key in first_by_key:
                report.add(example.line, "duplicate", f"same example as line {first_by_key[example.key].line}")
                flagged.add(example.line)
            else:
                first_by_key[example.key] = example
    return flagged


def check_near_duplicates(report: Report, skip: set[int]) -> None:
    if report.format == "preference":  # many pairs per prompt is how preference data looks
        return
    candidates = [e for e in report.examples if e.line not in skip]
    sets = [shingles(e.input) for e in candidates]
    for i, (j, score) in sorted(most_similar(similar_pairs(sets, None, report.near_threshold)).items()):
        example, earlier = candidates[i], candidates[j]
        answers = "" if normalise(example.answer) == normalise(earlier.answer) else (
            f"; answers differ: {short(example.answer)} vs {short(earlier.answer)}"
        )
        report.add(example.line, "near-duplicate", f"input {score:.0%} similar to line {earlier.line}{answers}")


def check_system_prompts(report: Report) -> None:
    """Flag the few examples whose system prompt differs from the file's convention."""
    prompts = Counter(e.system for e in report.examples)
    if len(prompts) < 2:
        return
    usual, count = prompts.most_common(1)[0]
    if count < SYSTEM_PROMPT_SHARE * len(report.examples):
        return  # no convention to deviate from
    share = count / len(report.examples)
    for example in report.examples:
        if example.system != usual:
            what = "no system prompt" if example.system is None else f"system prompt {short(example.system)}"
            report.add(example.line, "system-prompt", f"{what}, unlike {share:.0%} of examples")


def check_labels(report: Report) -> None:
    """When answers look like class labels: rare labels and imbalance."""
    if report.format == "preference":
        return
    labels = Counter(e.answer.strip() for e in report.examples)
    if not labels or len(labels) > MAX_LABELS or len(labels) * 4 > len(report.examples):
        return  # free-text answers, not labels
    report.labels = labels
    # Many malformed answers, each seen a few times, would drag a median over
    # all labels down to their level; so it is taken over the labels that
    # carry at least 1% of the examples (one always does: at most 50 labels).
    median = statistics.median(n for n in labels.values() if n >= MEDIAN_LABEL_SHARE * len(report.examples))
    rare = {label for label, n in labels.items() if n < RARE_LABEL_SHARE * median}
    for example in report.examples:
        label = example.answer.strip()
        if label in rare:
            report.add(example.line, "rare-label", f"{short(label)} appears {times(labels[label])}; a typical label appears {times(median)}")
    common = {label: n for label, n in labels.items() if label not in rare}
    if len(common) > 1:
        smallest = min(common, key=lambda label: (common[label], label))
        largest = max(common, key=lambda label: (common[label], label))
        if common[largest] > BALANCE_RATIO * common[smallest]:
            report.add(None, "label-balance", f"{short(largest)} appears {times(common[largest])} but {short(smallest)} only {times(common[smallest])}")


def times(n: float) -> str:
    return "once" if n == 1 else f"{n:g} times"


def count_tokens(examples: list[Example], tokenizer) -> list[int]:
    """Tokens per example as the model will see them: chats through the chat template."""
    texts = []
    for example in examples:
        if example.chat is not None and getattr(tokenizer, "chat_template", None):
            texts.append(tokenizer.apply_chat_template(example.chat, tokenize=False))
        elif example.chat is not None:
            texts.append("\n".join(m["content"] for m in example.chat))
        else:
            texts.append(example.plain)
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def check_lengths(report: Report, tokenizer, max_tokens: int) -> None:
    report.max_tokens = max_tokens
    report.token_counts = count_tokens(report.examples, tokenizer)
    for example, n in zip(report.examples, report.token_counts):
        if n > max_tokens:
            report.add(example.line, "too-long", f"{n} tokens, limit {max_tokens}")


def test_inputs(path: Path, report: Report) -> list[tuple[int, str]] | None:
    """(line, input) of every readable example in the test file; None if it cannot be read."""
    lines, findings = read_lines(path)
    if lines is None:
        report.findings += findings
        report.unreadable = True
        return None
    inputs = []
    for number, raw in enumerate(lines, 1):
        obj, error = parse_json(raw) if raw.strip() else (None, "blank")
        if error or not isinstance(obj, dict):
            continue  # the test file's own problems are for its own validate run
        fields = PARSERS.get(detect_format(obj) or "", lambda o, p: None)(obj, Problems())
        text = fields["input"] if fields else obj.get("text")  # also raw records: {"text": ..., "label": ...}
        if isinstance(text, str) and text.strip():
            inputs.append((number, text))
    return inputs


def check_test_overlap(report: Report, against: Path) -> None:
    tests = test_inputs(against, report)
    if tests is None:
        return
    exact = {normalise(text): number for number, text in reversed(tests)}
    pairs = similar_pairs(
        [shingles(e.input) for e in report.examples], [shingles(t) for _, t in tests], report.near_threshold
    )
    near = most_similar(pairs)
    for index, example in enumerate(report.examples):
        if normalise(example.input) in exact:
            report.add(example.line, "test-overlap", f"input is test example {against}:{exact[normalise(example.input)]}")
        elif index in near:
            j, score = near[index]
            report.add(example.line, "test-overlap", f"input {score:.0%} similar to test example {against}:{tests[j][0]}")


# --------------------------------------------------------------------------- entry points


def validate_file(
    path: str | Path,
    *,
    format: str = "auto",
    max_tokens: int | None = None,
    tokenizer=None,
    against: str | Path | None = None,
    near_threshold: float = NEAR_DUPLICATE_THRESHOLD,
    name: str | None = None,
) -> Report:
    """Check one JSONL training file and return a Report; never raises on bad input.

    ``tokenizer`` is needed only with ``max_tokens``; when it is None the
    site's model tokenizer is loaded (a few seconds).  ``name`` is how the
    report calls the file (default: the path as given).
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected auto or one of {', '.join(FORMATS)}")
    report = Report(path=name or str(path), near_threshold=near_threshold)
    lines, findings = read_lines(Path(path))
    report.findings += [replace(f, path=report.path) for f in findings]
    if lines is None:
        report.unreadable = True
        return report
    report.lines, report.raw_lines = len(lines), lines
    read_examples(lines, format, report)
    if not report.examples:
        report.add(None, "empty-file", "no usable examples")
        return report
    flagged = check_duplicates_and_conflicts(report)
    check_near_duplicates(report, flagged)
    check_system_prompts(report)
    check_labels(report)
    if max_tokens is not None:
        if tokenizer is None:
            from ftlab.model import load_tokenizer

            tokenizer = load_tokenizer()
        check_lengths(report, tokenizer, max_tokens)
    if against is not None:
        check_test_overlap(report, Path(against))
    return report


def write_fixed(report: Report, out: str | Path) -> int:
    """Write the lines without findings to ``out`` (which must not exist); returns how many.

    Exact and near duplicates keep their first occurrence, because only the
    later copies are flagged.  Conflicting examples are all dropped: the file
    cannot tell which answer is right.
    """
    if report.unreadable:
        raise ValueError("the report is for an unreadable file; there is nothing to write")
    drop = report.flagged_lines()
    kept = [raw for number, raw in enumerate(report.raw_lines, 1) if number not in drop]
    with open(out, "x", encoding="utf-8", newline="") as handle:  # "x": never overwrite
        handle.writelines(line + "\n" for line in kept)
    return len(kept)


def add_arguments(parser) -> None:
    parser.add_argument("file", help="the JSONL file to check (it is never modified)")
    parser.add_argument("--format", choices=("auto", *FORMATS), default="auto", help="default: detect from the keys")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="report examples longer than N tokens (loads the model's tokenizer)")
    parser.add_argument("--against", metavar="TEST_FILE", help="report inputs that also occur in this test file")
    parser.add_argument("--fix", metavar="OUT", help="write the lines without findings to OUT, a new file")
    parser.add_argument(
        "--near-threshold", type=float, default=NEAR_DUPLICATE_THRESHOLD, metavar="J",
        help=f"word 3-gram Jaccard similarity counted as a near duplicate (default {NEAR_DUPLICATE_THRESHOLD})",
    )


def run(args) -> int:
    if args.fix and Path(args.fix).exists():
        print(f"validate: {args.fix} already exists; --fix writes a new file and never overwrites one", file=sys.stderr)
        return 2
    tokenizer = None
    if args.max_tokens is not None:
        from ftlab.model import ModelUnavailable, load_tokenizer

        try:
            tokenizer = load_tokenizer()
        except ModelUnavailable as error:
            print(f"validate: --max-tokens needs the tokenizer: {error}", file=sys.stderr)
            return 2
    report = validate_file(
        args.file, format=args.format, max_tokens=args.max_tokens, tokenizer=tokenizer,
        against=args.against, near_threshold=args.near_threshold,
    )
    print(report.render())
    if args.fix and not report.unreadable:
        try:
            kept = write_fixed(report, args.fix)
        except OSError as error:
            print(f"validate: cannot write {args.fix}: {error.strerror or error}", file=sys.stderr)
            return 2
        print(f"wrote {kept} of {report.lines} lines to {args.fix}")
    return report.exit_status
