"""Page: When to fine-tune (docs/01-when-to-finetune.md).

The decision ladder (prompt engineering, RAG, fine-tuning, pre-training) as
a function, `ftlab.decide.recommend`, run on the running example and on a
set of worked cases.  No model is loaded: this page runs in a second.
"""

# --8<-- [start:facts]
from dataclasses import MISSING, fields

from ftlab.decide import Situation, field_help

for f in fields(Situation):
    default = "required" if f.default is MISSING else repr(f.default)
    print(f"{f.name:24} {default:>8}  {field_help()[f.name]}")
# --8<-- [end:facts]

# --8<-- [start:rules]
from ftlab.decide import RULES

for rule, meaning in RULES.items():
    print(f"{rule:26} {meaning}")
# --8<-- [end:rules]

# --8<-- [start:pre_training_floor]
from ftlab import decide

print(f"model size        {decide.PRE_TRAINING_PARAMETERS:>14,} parameters")
print(f"text              {decide.PRE_TRAINING_MIN_TOKENS:>14,} tokens ({decide.TOKENS_PER_PARAMETER} per parameter)")
print(f"one run           {decide.ONE_RUN_GPU_DAYS:14.1f} H100-days at {decide.UTILISATION:.0%} of peak")
print(f"budget floor      {decide.PRE_TRAINING_MIN_GPU_DAYS:14.1f} H100-days ({decide.PRE_TRAINING_RUNS} runs)")
# --8<-- [end:pre_training_floor]

# --8<-- [start:analyzer]
from ftlab import jobs
from ftlab.decide import Situation, recommend

analyzer = Situation(
    labelled_examples=len(jobs.load_split("train")),  # the checked training split of page 02
    needs_consistent_format=True,  # one of eight exact role names, every time
    prompted_accuracy=None,  # page 06 measures it; until then, unknown
    target_accuracy=0.9,  # an assumption: what we would call a useful analyzer
)
print(recommend(analyzer))
# --8<-- [end:analyzer]

# --8<-- [start:analyzer_if]
from dataclasses import replace

# Assumed scores, not measurements: which rung each one would lead to.
for assumed in (0.2, 0.5, 0.89, 0.9, 0.95):
    advice = recommend(replace(analyzer, prompted_accuracy=assumed))
    print(f"if the prompted model scored {assumed:4.0%}: {advice.rung:18} {', '.join(advice.rules)}")
# --8<-- [end:analyzer_if]

# --8<-- [start:analyzer_measured]
from ftlab import jobs
from ftlab.ladder import PROMPT_RUNGS
from ftlab.provenance import load_results

rungs = {row["rung"]: row for row in load_results("06-ladder")["results"]["rows"]}
best = max(PROMPT_RUNGS, key=lambda rung: rungs[rung]["accuracy"])  # the best prompt page 06 measured
measured = replace(analyzer, prompted_accuracy=rungs[best]["accuracy"])
print(f"best prompt: {best}, {rungs[best]['accuracy']:.1%} "
      f"(95% interval {rungs[best]['interval'][0]:.1%} to {rungs[best]['interval'][1]:.1%})")
print(recommend(measured))
for rung in ("LoRA", "full fine-tuning"):
    print(f"{rung} (24 steps): {rungs[rung]['accuracy']:.1%}, target {measured.target_accuracy:.0%}")
longer = load_results("03-lora")["results"]["time_to_accuracy"]["curve"][-1]  # page 03's longest run
print(f"LoRA ({longer['steps']} steps): {longer['test_accuracy']:.1%}, target {measured.target_accuracy:.0%}")
# The baselines without a generative model, on the same test postings (page 06).
golds = [record["role"] for record in jobs.load_split("test")]
for name, run in load_results("06-baselines")["results"]["runs"].items():
    accuracy = sum(p == g for p, g in zip(run["predictions"], golds)) / len(golds)
    print(f"{name}: {accuracy:.1%}, target {measured.target_accuracy:.0%}")
# --8<-- [end:analyzer_measured]

# --8<-- [start:analyzer_data]
DATA_RULES = ("too-few-examples", "collect-more-examples", "enough-examples")

for examples in (30, 200, 499, 500, 960):
    advice = recommend(replace(analyzer, prompted_accuracy=0.5, labelled_examples=examples))
    data_reason = next(reason for reason in advice.reasons if reason.rule in DATA_RULES)
    print(f"{examples:4} examples: {advice.rung:18} {data_reason}")
# --8<-- [end:analyzer_data]

# --8<-- [start:cases]
# Made-up use cases: every number here is an input, not a measurement.
cases = {
    "meeting-notes summaries": Situation(
        labelled_examples=20, general_purpose=True, prompted_accuracy=0.93),
    "ticket triage, 30 examples": Situation(
        labelled_examples=30, needs_consistent_format=True, prompted_accuracy=0.7),
    "HR policy assistant": Situation(
        labelled_examples=200, needs_private_facts=True, needs_current_facts=True, prompted_accuracy=0.8),
    "job-market analyzer (assumed 50%)": replace(analyzer, prompted_accuracy=0.5),
    "contract clause tagging": Situation(
        labelled_examples=2000, specialised_language=True, prompted_accuracy=0.72, target_accuracy=0.95),
    "support replies in JSON": Situation(
        labelled_examples=1500, needs_current_facts=True, needs_consistent_format=True, prompted_accuracy=0.8),
    "product tagging at scale": Situation(
        labelled_examples=5000, prompted_accuracy=0.92, prompt_tokens=1500, max_prompt_tokens=400,
        requests_per_day=2_000_000),
    "assistant in a new language": Situation(
        labelled_examples=0, new_language_or_domain=True, corpus_tokens=40_000_000_000, gpu_days=60),
    "... on a small budget": Situation(
        labelled_examples=0, new_language_or_domain=True, corpus_tokens=2_000_000_000, gpu_days=5),
}
print(f"{'case':34} {'examples':>8} {'prompted':>8}  {'rung':18} rules that fired")
for name, case in cases.items():
    advice = recommend(case)
    prompted = "-" if case.prompted_accuracy is None else f"{case.prompted_accuracy:.0%}"
    print(f"{name:34} {case.labelled_examples:8,} {prompted:>8}  {advice.rung:18} {', '.join(advice.rules)}")
# --8<-- [end:cases]

# --8<-- [start:one_case]
for name in ("product tagging at scale", "... on a small budget"):
    print(f"{name}: {recommend(cases[name])}")
# --8<-- [end:one_case]

# --8<-- [start:bad_input]
try:
    Situation(labelled_examples=960, prompted_accuracy=85)
except ValueError as error:
    print(error)
# --8<-- [end:bad_input]
