"""Page: Evaluation (docs/06-evaluation.md).

Scores the systems earlier pages trained, on the same held-out test split,
with the metrics and significance tests of ``ftlab.metrics``.  The answers
come from the caches pages 03 and 04 filled, so this page generates nothing
it does not have to.
"""

# --8<-- [start:systems]
from ftlab import jobs
from ftlab.evaluate import evaluate, evaluate_base
from ftlab.train import train_adapter

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

family = []  # every comparison on the 160 test postings: judged together at the end of the page


def judged(comparison):
    """The comparison's verdict, and the comparison kept for the family-wide correction."""
    family.append(comparison)
    return comparison.verdict()


correct = {name: correctness(golds, score.predictions) for name, score in systems.items()}
print(judged(compare("base", correct["base, zero-shot"], "LoRA", correct["LoRA, page 03"])))
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

# --8<-- [start:ladder-prompts]
from ftlab.ladder import PROMPT_RUNGS, conversation, fixed_examples
from ftlab.model import load_tokenizer

tokenizer = load_tokenizer()
posting = test[0]["text"]
print(f"{'rung':18} {'turns':>5} {'prompt tokens':>13}")
for rung in PROMPT_RUNGS[:3]:  # the retrieved examples differ from posting to posting
    turns = conversation(rung, posting, fixed_examples())
    text = tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=False)
    print(f"{rung:18} {len(turns):5} {len(tokenizer(text, add_special_tokens=False)['input_ids']):13}")
# --8<-- [end:ladder-prompts]

# --8<-- [start:ladder-table]
from ftlab.provenance import load_results, machine_line

ladder = load_results("06-ladder")
rows = {row["rung"]: row for row in ladder["results"]["rows"]}
print(f"{'rung':18} {'accuracy':>8} {'95% interval':>15} {'macro-F1':>8} {'format':>6} {'tokens':>6} "
      f"{'latency s':>9} {'training s':>10}")
for rung, row in rows.items():
    low, high = row["interval"]
    print(f"{rung:18} {row['accuracy']:8.1%} {low:6.1%} to {high:5.1%} {row['macro_f1']:8.3f} "
          f"{row['format_compliance']:6.0%} {row['prompt_tokens']:6.0f} {row['latency_seconds']:9.2f} "
          f"{row['training_seconds']:10.0f}")
made = ladder["provenance"]
print(f"{machine_line(ladder)}, torch {made['versions']['torch']}, {made['date']}")
print(f"regenerate: {made['command']}")
# --8<-- [end:ladder-table]

# --8<-- [start:forgetting]
# Page 03's forgetting check (perplexity on general prose the project ships;
# lower is better), for the rungs it measured: the prompting rungs leave the
# base model untouched, so they keep its perplexity.
bench = load_results("03-lora")["results"]
perplexities = {rung: bench["base_perplexity"] for rung in PROMPT_RUNGS}
perplexities |= {"LoRA": bench["runs"]["LoRA"]["perplexity"], "full fine-tuning": bench["runs"]["full"]["perplexity"]}
print(f"{'rung':18} {'accuracy':>8} {'perplexity on general prose':>27}")
for rung, row in rows.items():
    measured_perplexity = perplexities.get(rung)
    shown = f"{measured_perplexity:27.2f}" if measured_perplexity else f"{'not measured':>27}"
    print(f"{rung:18} {row['accuracy']:8.1%} {shown}")
# --8<-- [end:forgetting]

# --8<-- [start:ladder-check]
from ftlab.ladder import asked_again, check_sample
from ftlab.predict import score_from_answers

committed = ladder["results"]["answers"]
# Zero-shot and LoRA: this test run's own answers to all 160 postings (page 03 generated them).
rerun = {"zero-shot": systems["base, zero-shot"].answers, "LoRA": systems["LoRA, page 03"].answers}
positions = check_sample(test)  # one posting per role
sample = [test[i] for i in positions]
rerun["instructions"] = asked_again("instructions", sample)
print(f"{'rung':18} {'re-asked':>8} {'same answer':>11} {'accuracy then':>13} {'now':>6}")
for rung, answers in rerun.items():
    asked = test if len(answers) == len(test) else sample
    then = committed[rung] if asked is test else [committed[rung][i] for i in positions]
    same = sum(a == b for a, b in zip(answers, then))
    right_then, right_now = (score_from_answers(a, asked).correct for a in (then, answers))
    print(f"{rung:18} {len(asked):8} {same:11} {right_then:>9}/{len(asked):<3} {right_now:>3}/{len(asked)}")
# --8<-- [end:ladder-check]

# --8<-- [start:ladder-compare]
def committed_correctness(rung: str) -> list[bool]:
    return correctness(golds, score_from_answers(committed[rung], test).predictions)


# Neighbours on the ladder: is the next rung up really different?
steps_up = [("zero-shot", "instructions"), ("instructions", "few-shot"), ("few-shot", "retrieval few-shot"),
            ("retrieval few-shot", "LoRA"), ("LoRA", "QLoRA"), ("LoRA", "full fine-tuning")]
for lower, higher in steps_up:
    print(judged(compare(lower, committed_correctness(lower), higher, committed_correctness(higher))))
# --8<-- [end:ladder-compare]

# --8<-- [start:nearest-vote]
from ftlab.ladder import SHOTS, Retriever

retriever = Retriever(jobs.load_split("train"))  # the training embeddings are cached since the check above
nearest = retriever.nearest([record["text"] for record in test])
votes = [Counter(example["role"] for example in near).most_common(1)[0][0] for near in nearest]
vote_correct = [vote == gold for vote, gold in zip(votes, golds)]
print(f"vote of the {SHOTS} nearest training postings: {sum(vote_correct)}/{len(test)} = "
      f"{sum(vote_correct) / len(test):.1%}")
print(judged(compare("nearest-posting vote", vote_correct,
                     "retrieval few-shot", committed_correctness("retrieval few-shot"))))
# --8<-- [end:nearest-vote]

# --8<-- [start:longer-lora]
# Page 03's recipe trained for 160 steps instead of 24 (python -m ftlab.bench --time-to 0.95),
# every answer of its last checkpoint committed with the benchmark.
longer = bench["time_to_accuracy"]["curve"][-1]
longer_correct = correctness(golds, score_from_answers(longer["answers"], test).predictions)
longer_name = f"LoRA, {longer['steps']} steps"
print(f"{longer_name}: {sum(longer_correct)}/{len(test)} = {sum(longer_correct) / len(test):.1%}")
for rung in ("LoRA", "retrieval few-shot", "full fine-tuning"):
    print(judged(compare(rung, committed_correctness(rung), longer_name, longer_correct)))
print(judged(compare("nearest-posting vote", vote_correct, longer_name, longer_correct)))
# --8<-- [end:longer-lora]

# --8<-- [start:baselines]
from ftlab.baselines import RESULTS, fit_linear

baselines = load_results(RESULTS)  # python -m ftlab.baselines measure
runs = baselines["results"]["runs"]
print(f"{'system':40} {'accuracy':>8} {'95% interval':>13} {'train s':>8} {'ms/posting':>10}")
for name, run in runs.items():
    right = sum(p == g for p, g in zip(run["predictions"], golds))
    low, high = wilson_interval(right, len(test))
    print(f"{name:40} {right / len(test):8.1%} {low:6.1%}-{high:<6.1%} {run['train_seconds']:8.1f} "
          f"{1000 * run['seconds_per_posting']:10.1f}")
sweep = ", ".join(f"{run['learning_rate']:g}: {run['validation_accuracy']:.1%}"
                  for run in baselines["results"]["head_sweep"])
print(f"head's learning rate, validation accuracy: {sweep}")
print(f"measured on {machine_line(baselines)}, {baselines['provenance']['date']}")
refit = fit_linear(jobs.load_split("train"), test, retriever)  # a few seconds: both linear models, again
for name, run in refit.items():
    same = sum(a == b for a, b in zip(run["predictions"], runs[name]["predictions"]))
    print(f"refit here: {same}/{len(test)} predictions as committed, {name}")
# --8<-- [end:baselines]

# --8<-- [start:baselines-compare]
for name, run in runs.items():
    baseline_correct = correctness(golds, run["predictions"])
    for rung, rung_correct in (("LoRA", committed_correctness("LoRA")), (longer_name, longer_correct)):
        print(judged(compare(name, baseline_correct, rung, rung_correct)))
# --8<-- [end:baselines-compare]

# --8<-- [start:holm]
from ftlab.metrics import SIGNIFICANCE_LEVEL, holm

# Holm's correction over the whole family, so that the chance of even one
# false "significant" among them stays at 5%.
adjusted = holm([comparison.mcnemar.p_value for comparison in family])
print(f"{len(family)} comparisons on the same {len(test)} test postings")
print(f"{'B vs A':60} {'McNemar p':>9} {'Holm p':>8}  at 5%")
for comparison, p_holm in sorted(zip(family, adjusted), key=lambda pair: pair[0].mcnemar.p_value):
    pair = f"{comparison.name_b} vs {comparison.name_a}"
    verdict = "significant" if p_holm < SIGNIFICANCE_LEVEL else "not significant"
    print(f"{pair:60} {comparison.mcnemar.p_value:9.2g} {p_holm:8.2g}  {verdict}")
# --8<-- [end:holm]

# --8<-- [start:head-first-steps]
import tempfile
from pathlib import Path

from ftlab.baselines import HEAD, first_head_losses

head = runs[HEAD]  # the learning rate chosen on validation, with its logged losses
with tempfile.TemporaryDirectory() as scratch:
    # About half a minute: 3 steps from a fresh head, at the chosen rate.
    rerun_losses = first_head_losses(3, Path(scratch), head["learning_rate"])
print("step  committed  this run")
for step, (then, now) in enumerate(zip(head["losses"], rerun_losses), start=1):
    print(f"{step:4} {then:10.4f} {now:9.4f}")
# --8<-- [end:head-first-steps]

# --8<-- [start:learning-curve]
curve = load_results("06-learning-curve")
steps, batch = curve["results"]["steps"], curve["results"]["batch_size"]
print(f"{'examples':>8} {'epochs':>6} {'accuracy':>8} {'95% interval':>15}")
for row in curve["results"]["rows"]:
    low, high = row["interval"]
    epochs = steps * batch / row["examples"]  # passes over the examples in 24 steps of 8
    print(f"{row['examples']:8} {epochs:6.2f} {row['accuracy']:8.1%} {low:6.1%} to {high:5.1%}")
print(f"regenerate: {curve['provenance']['command']}")
# --8<-- [end:learning-curve]
