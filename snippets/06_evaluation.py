"""Page: Evaluation (docs/06-evaluation.md).

Scores the systems earlier pages trained, on the same held-out test split,
with the metrics and significance tests of ``ftlab.metrics``.  The answers
come from the caches pages 03 and 04 filled, so this page generates nothing
it does not have to.
"""

# --8<-- [start:systems]
from ftlab import jobs
from ftlab.train import evaluate, evaluate_base, train_adapter

test = jobs.load_split("test")
golds = [record["role"] for record in test]
systems = {
    "base, zero-shot": evaluate_base("test"),  # page 03's "before"
    "LoRA, page 03": evaluate(train_adapter("job-roles"), "test"),  # page 03's "after"
}
print({name: len(score.answers) for name, score in systems.items()}, "answers to", len(golds), "postings")
# --8<-- [end:systems]

# --8<-- [start:report]
from ftlab.metrics import classification_report, wilson_interval

print(f"{'system':16} {'accuracy':>8} {'95% interval':>16} {'macro-F1':>8} {'exact format':>12} {'unparsed':>8}")
for name, score in systems.items():
    report = classification_report(golds, score.predictions)
    low, high = wilson_interval(report.correct, report.total)
    print(f"{name:16} {report.accuracy:>8.1%} {low:>7.1%} to {high:>5.1%} {report.macro_f1:>8.3f} "
          f"{score.compliance:>12.1%} {report.unparsed:>8}")
# --8<-- [end:report]

# --8<-- [start:per-role]
lora = classification_report(golds, systems["LoRA, page 03"].predictions)
print(f"{'role':18} {'precision':>9} {'recall':>6} {'F1':>5} {'postings':>8}")
for role, scores in lora.per_label.items():
    print(f"{role:18} {scores.precision:>9.2f} {scores.recall:>6.2f} {scores.f1:>5.2f} {scores.support:>8}")
# --8<-- [end:per-role]

# --8<-- [start:confusion]
SHORT = {
    "Data Scientist": "DS", "Data Engineer": "DE", "ML Engineer": "ML", "Backend Engineer": "BE",
    "Frontend Engineer": "FE", "DevOps Engineer": "Ops", "Security Engineer": "Sec", "Product Manager": "PM",
    "(unparsed)": "?",
}
print("gold \\ predicted " + "".join(f"{SHORT[column]:>5}" for column in lora.columns))
for role, row in zip(lora.labels, lora.confusion):
    print(f"{role:17}" + "".join(f"{count:>5}" for count in row))
# --8<-- [end:confusion]

# --8<-- [start:compare]
from ftlab.metrics import compare, correctness

correct = {name: correctness(golds, score.predictions) for name, score in systems.items()}
print(compare("base", correct["base, zero-shot"], "LoRA", correct["LoRA, page 03"]).verdict())
# --8<-- [end:compare]

# --8<-- [start:not-significant]
from collections import Counter

# Page 03's second adapter (6 steps of seniority training) against the rule
# "always name the most common level", on the 40 hand-written postings.
levels = [record["seniority"] for record in jobs.load_split("handwritten")]
most_common = Counter(levels).most_common(1)[0][0]
adapter = evaluate(train_adapter("seniority"), "handwritten")
print(compare(
    f"always {most_common}", [level == most_common for level in levels],
    "seniority adapter", correctness(levels, adapter.predictions),
).verdict())
# --8<-- [end:not-significant]
