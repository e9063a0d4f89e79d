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

# --8<-- [start:noisy_sets]
from ftlab import noisy

for rate in noisy.WRONG_LABEL_RATES:
    lines, manifest = noisy.build(rate)
    planted = Counter(entry["defect"] for entry in manifest)
    wrong = sum(entry["wrong_label"] for entry in manifest)
    print(f"{len(lines):,} lines, {rate:.0%} relabelled: "
          + ", ".join(f"{defect} {planted[defect]}" for defect in sorted(planted))
          + f"; lines with a wrong role, copies included: {wrong} ({wrong / len(lines):.1%})")
answers = {}
for entry in manifest:  # the 30% set's; one answer of each kind the model would learn from
    answers.setdefault(entry["defect"], json.loads(lines[entry["line"] - 1])["messages"][2]["content"])
for defect in ("wrong label", "chatty answer", "truncated answer"):
    print(f"  a {defect:<17} {answers[defect]!r}")
# --8<-- [end:noisy_sets]

# --8<-- [start:noisy_validate]
with tempfile.TemporaryDirectory() as folder:
    noisy_file = noisy.write("noisy-10", folder)
    noisy_report = validate_file(noisy_file, max_tokens=192, tokenizer=tokenizer,
                                 against=jobs.data_dir() / "test.jsonl", name="noisy-10.jsonl")
print(noisy_report.summary()[-1])
flagged = noisy_report.flagged_lines()
_, manifest = noisy.build(0.10)
print(f"{'planted defect':<18}{'lines':>6}{'flagged':>9}")
for defect in sorted({entry["defect"] for entry in manifest}):
    defect_lines = [entry["line"] for entry in manifest if entry["defect"] == defect]
    print(f"{defect:<18}{len(defect_lines):>6}{sum(line in flagged for line in defect_lines):>9}")
unplanted = flagged - {entry["line"] for entry in manifest}
print(f"{'(none planted)':<18}{'':>6}{len(unplanted):>9}")
print(f"--fix keeps {noisy_report.lines - len(flagged):,} of {noisy_report.lines:,} lines, "
      f"{sum(entry['wrong_label'] and entry['line'] not in flagged for entry in manifest)} of them with a wrong role")
# --8<-- [end:noisy_validate]

# --8<-- [start:quality_table]
from ftlab.dataquality import CLEAN, ONE_EPOCH, SAME_STEPS, arm_config, committed, correctness
from ftlab.metrics import holm, mcnemar, wilson_interval
from ftlab.provenance import machine_line

quality = committed()  # written by: python -m ftlab.dataquality (about 80 minutes)
recipe = quality["results"]["recipe"]
print(f"on {machine_line(quality)}, {quality['provenance']['date']}")
print(f"recipe: page 03's sweep choice, {recipe['steps']} steps at {recipe['learning_rate']:.0e}, seed 0")
first_seed = [row for row in quality["results"]["rows"] if row["seed"] == 0]
clean_row = next(row for row in first_seed if (row["arm"], row["budget"]) == (CLEAN, SAME_STEPS))
others = [row for row in first_seed if row is not clean_row]
p_values = holm([mcnemar(correctness(clean_row, "test"), correctness(row, "test")).p_value for row in others])
print(f"{'arm':<24}{'budget':<11}{'examples':>9}{'epochs':>7}{'train s':>8}"
      f"{'test':>8}{'95% interval':>14}{'hand-written':>13}{'p vs clean':>11}")
for row, p in [(clean_row, None)] + list(zip(others, p_values)):
    test, hand = row["test"], row["handwritten"]
    low, high = wilson_interval(test["correct"], test["total"])
    print(f"{row['arm']:<24}{row['budget']:<11}{row['examples']:>9,}{row['epochs']:>7.2f}"
          f"{row['train_seconds']:>8.0f}{test['correct'] / test['total']:>8.1%}{low:>7.0%} to {high:.0%}"
          f"{hand['correct']:>7}/{hand['total']}{'' if p is None else f'{p:.3g}':>11}")
whole = arm_config("noisy 5,000, 10% wrong", ONE_EPOCH)
done = sum(row["budget"] == ONE_EPOCH and row["arm"] != CLEAN for row in quality["results"]["rows"])
print(f"one pass over a 5,000-line set: {whole.steps} steps, {whole.steps / recipe['steps']:.1f} times the "
      f"compute; runs of it in this file: {done}")
# --8<-- [end:quality_table]

# --8<-- [start:quality_seeds]
from ftlab.metrics import seeds_and_items_bootstrap

NOISY_10 = "noisy 5,000, 10% wrong"
by_seed = {arm: [row for row in quality["results"]["rows"] if (row["arm"], row["budget"]) == (arm, SAME_STEPS)]
           for arm in (CLEAN, NOISY_10)}
for arm, rows in by_seed.items():
    scores = [row["test"]["correct"] for row in rows]
    print(f"{arm:<24} test correct by seed {scores}, spread {max(scores) - min(scores)} postings")
for split in ("test", "handwritten"):
    gap = seeds_and_items_bootstrap([correctness(row, split) for row in by_seed[CLEAN]],
                                    [correctness(row, split) for row in by_seed[NOISY_10]])
    print(f"{split:<12} noisy minus clean, mean of {len(by_seed[CLEAN])} seeds: {gap.difference:+.1%} "
          f"(95% over seeds and postings: {gap.low:+.1%} to {gap.high:+.1%})")
# --8<-- [end:quality_seeds]
