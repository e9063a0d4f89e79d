"""Page: Data preparation (docs/02-data-preparation.md).

The running example's data set, checked with the site's validator, loaded
with `datasets`, rendered through the model's chat template, and masked so
that the loss falls on the answer only.
"""

# --8<-- [start:load_data]
from collections import Counter

from ftlab import jobs

splits = {name: jobs.load_split(name) for name in jobs.SPLITS}
for name, records in splits.items():
    print(f"{name:12} {len(records):4} postings")
# --8<-- [end:load_data]

# --8<-- [start:one_record]
record = next(r for r in splits["train"] if r["template"] == "short_paragraph")
for key, value in record.items():
    print(f"{key:10} {value}")
# --8<-- [end:one_record]

# --8<-- [start:counts]
print(f"{'':18}" + "".join(f"{name:>12}" for name in jobs.SPLITS))
for role in jobs.ROLES:
    counts = [Counter(r["role"] for r in splits[name])[role] for name in jobs.SPLITS]
    print(f"{role:18}" + "".join(f"{n:>12}" for n in counts))
for level in jobs.SENIORITIES:
    counts = [Counter(r["seniority"] for r in splits[name])[level] for name in jobs.SPLITS]
    print(f"{'  ' + level:18}" + "".join(f"{n:>12}" for n in counts))
# --8<-- [end:counts]

# --8<-- [start:lengths]
import statistics

from ftlab import load_tokenizer

tokenizer = load_tokenizer()


def token_lengths(records):
    """Tokens per posting text, as the model's tokenizer counts them."""
    texts = [r["text"] for r in records]
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


for name, records in splits.items():
    lengths = token_lengths(records)
    deciles = statistics.quantiles(lengths, n=10)
    print(
        f"{name:12} min {min(lengths):3}  p10 {deciles[0]:3.0f}  median {statistics.median(lengths):3.0f}"
        f"  p90 {deciles[-1]:3.0f}  max {max(lengths):3}"
    )
# --8<-- [end:lengths]

# --8<-- [start:histogram]
train_lengths = token_lengths(splits["train"])
for low in range(0, max(train_lengths) + 1, 20):
    n = sum(low <= length < low + 20 for length in train_lengths)
    print(f"{low:3}-{low + 19:<3} tokens {n:4} {'#' * (n // 5)}".rstrip())
# --8<-- [end:histogram]

# --8<-- [start:shapes]
for template, n in sorted(Counter(r["template"] for r in splits["train"]).items()):
    print(f"{template:20} {n:4}")
# --8<-- [end:shapes]

# --8<-- [start:checklist]
from ftlab.validate import RULES

# The outline's checklist for a good training example, as validator rules.
CHECKLIST = {
    "a clear instruction/response pair": [
        "missing-key", "type", "unknown-role", "turn-order", "no-answer", "empty", "same-pair", "prompt-mismatch"],
    "consistent formatting": ["encoding", "json", "blank-line", "not-object", "format", "system-prompt", "too-long"],
    "diverse scenarios": ["near-duplicate", "label-balance"],
    "edge cases included": [],  # a question of coverage, not of single lines: see the statistics above
    "no errors, duplicates or contradictions": ["duplicate", "conflict", "rare-label", "test-overlap"],
}
# every rule but the whole-file ones has a place on the checklist
assert set(RULES) - {"unreadable", "empty-file"} == {rule for rules in CHECKLIST.values() for rule in rules}
for point, rules in CHECKLIST.items():
    print(f"{point}:\n    {', '.join(rules) or '(see the statistics)'}")
# --8<-- [end:checklist]

# --8<-- [start:clean_check]
import json
import tempfile
from pathlib import Path

from ftlab.validate import validate_file

train_file = Path(tempfile.mkdtemp()) / "train_chat.jsonl"
with train_file.open("w", encoding="utf-8") as out:
    for r in splits["train"]:
        out.write(json.dumps(jobs.to_chat(r), ensure_ascii=False) + "\n")

report = validate_file(
    train_file, max_tokens=192, tokenizer=tokenizer,
    against=jobs.data_dir() / "test.jsonl", name="train_chat.jsonl",
)
print(report.render())
print("exit status:", report.exit_status)
# --8<-- [end:clean_check]

# --8<-- [start:load_dataset]
from datasets import load_dataset

files = {name: str(jobs.data_dir() / f"{name}.jsonl") for name in jobs.SPLITS}
dataset = load_dataset("json", data_files=files)
print(dataset["train"])
# --8<-- [end:load_dataset]

# --8<-- [start:stratified]
train = dataset["train"].class_encode_column("role")  # strings -> ClassLabel, which stratifying needs


stratified = train.train_test_split(test_size=0.1, stratify_by_column="role", seed=0)
random_cut = train.train_test_split(test_size=0.1, seed=0)
in_stratified, in_random = Counter(stratified["test"]["role"]), Counter(random_cut["test"]["role"])
print(f"{'held-out part':18} {'stratified':>10} {'random':>7}")
for index, role in enumerate(train.features["role"].names):
    print(f"{role:18} {in_stratified[index]:10} {in_random[index]:7}")
# --8<-- [end:stratified]

# --8<-- [start:chat_template]
example = jobs.to_chat(record)
print(tokenizer.apply_chat_template(example["messages"], tokenize=False), end="")
# --8<-- [end:chat_template]

# --8<-- [start:no_system]
def chat_tokens(messages):
    return len(tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"])


print("with our system prompt:", chat_tokens(jobs.to_chat(record)["messages"]), "tokens")
print("with no system prompt: ", chat_tokens(jobs.to_chat(record, system=None)["messages"]), "tokens")
print(tokenizer.apply_chat_template(jobs.to_chat(record, system=None)["messages"], tokenize=False).splitlines()[1])
# --8<-- [end:no_system]

# --8<-- [start:loss_mask]
pair = jobs.to_prompt_completion(record)
prompt_text = tokenizer.apply_chat_template(pair["prompt"], add_generation_prompt=True, tokenize=False)
full_text = tokenizer.apply_chat_template(pair["prompt"] + pair["completion"], tokenize=False)
prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
input_ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
assert input_ids[: len(prompt_ids)] == prompt_ids  # the prompt is a prefix, so masking by position is safe

labels = [-100] * len(prompt_ids) + input_ids[len(prompt_ids):]
trained = len(labels) - labels.count(-100)
print(f"{len(input_ids)} tokens: {labels.count(-100)} masked with -100, {trained} trained")
for token_id, label in list(zip(input_ids, labels))[-7:]:
    print(f"{tokenizer.decode([token_id])!r:>16}   label {label}")
# --8<-- [end:loss_mask]

# --8<-- [start:held_out]
def values(split, field):
    return sorted({r[field] for r in splits[split]})


print("train templates:", ", ".join(values("train", "template")))
print("test templates: ", ", ".join(values("test", "template")))
seen_text = " ".join(r["text"] for r in splits["train"] + splits["validation"])
print("test-only companies seen in train or validation:",
      [c for c in jobs.TEST_ONLY_COMPANIES if c in seen_text] or "none")
print("test postings from test-only industries:",
      sum(r["industry"] in jobs.TEST_ONLY_INDUSTRIES for r in splits["test"]), "of", len(splits["test"]))
# --8<-- [end:held_out]

# --8<-- [start:keywords]
import re

postings = [(set(re.findall(r"[a-z][a-z0-9+#.-]*", r["text"].lower())), r["role"]) for r in splits["train"]]


def keyword_rule(word, role):
    """How a rule 'this word means this role' does: (share of the role it catches, share it gets right)."""
    hits = [r for words, r in postings if word in words]
    caught = sum(r == role for r in hits)
    return caught / sum(r == role for _, r in postings), caught / len(hits)


vocabulary = sorted(set().union(*(words for words, _ in postings)))
print(f"{'role':18} {'best single word':16} {'catches':>8} {'right':>6}")
for role in jobs.ROLES:
    word = max(vocabulary, key=lambda w: (lambda c, p: c * p)(*keyword_rule(w, role)))
    catches, right = keyword_rule(word, role)
    print(f"{role:18} {word:16} {catches:8.0%} {right:6.0%}")
# --8<-- [end:keywords]

# --8<-- [start:baseline]
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

baseline = make_pipeline(CountVectorizer(ngram_range=(1, 2)), MultinomialNB())
baseline.fit([r["text"] for r in splits["train"]], [r["role"] for r in splits["train"]])
for name in ("validation", "test", "handwritten"):
    predicted = baseline.predict([r["text"] for r in splits[name]])
    accuracy = sum(p == r["role"] for p, r in zip(predicted, splits[name])) / len(predicted)
    print(f"{name:12} {accuracy:6.1%} of {len(predicted)}")
# --8<-- [end:baseline]
