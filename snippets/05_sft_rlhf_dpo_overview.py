"""Page: SFT, DPO and RLHF (docs/05-sft-dpo-rlhf.md).

SFT is page 03's run; this script builds preference pairs for the running
example, checks them with page 02's validator, and shows DPO and a reward
model trained with TRL.  The full runs are measured by
``python -m ftlab.preference measure`` (docs/results/05-preference.json);
the blocks re-run their first steps and check them against it.
"""

# --8<-- [start:sft]
from ftlab import jobs
from ftlab.model import load_tokenizer
from ftlab.evaluate import evaluate
from ftlab.train import to_prompt_completion, train_adapter

tokenizer = load_tokenizer()
example = to_prompt_completion(jobs.load_split("train")[0])
prompt_text = tokenizer.apply_chat_template(example["prompt"], add_generation_prompt=True, tokenize=False)
full_text = tokenizer.apply_chat_template(example["prompt"] + example["completion"], tokenize=False)
prompt_tokens = len(tokenizer(prompt_text, add_special_tokens=False)["input_ids"])
all_tokens = len(tokenizer(full_text, add_special_tokens=False)["input_ids"])
print(f"answer: {example['completion'][0]['content']!r}")
print(f"the loss is computed on {all_tokens - prompt_tokens} of {all_tokens} tokens (the answer and its end-of-turn)")
sft = evaluate(train_adapter("job-roles"))  # page 03's adapter, from the cache
print(f"SFT (page 03) on the test split: {sft.summary()}")
# --8<-- [end:sft]

# --8<-- [start:pairs]
from collections import Counter

from ftlab.preference import preference_pairs

pairs = preference_pairs("train", size=128, seed=0)
print(Counter(pair["kind"] for pair in pairs))
for pair in pairs[:3]:
    print(f"chosen {pair['chosen'][0]['content']!r:22} rejected {pair['rejected'][0]['content']!r}")
# --8<-- [end:pairs]

# --8<-- [start:validate]
import tempfile
from pathlib import Path

from ftlab.preference import write_jsonl
from ftlab.validate import validate_file

folder = Path(tempfile.mkdtemp())
report = validate_file(write_jsonl(pairs, folder / "pairs.jsonl"))
print(f"{report.format}: {len(report.examples)} pairs, {len(report.findings)} problems")

# Three broken pairs: the same answer twice, an empty answer, and a pair
# written as two conversations that ask about different postings.
chosen_turns = pairs[0]["prompt"] + pairs[0]["chosen"]
other_turns = pairs[1]["prompt"] + pairs[1]["rejected"]
broken = [
    {"prompt": pairs[0]["prompt"], "chosen": pairs[0]["chosen"], "rejected": pairs[0]["chosen"]},
    {"prompt": pairs[1]["prompt"], "chosen": pairs[1]["chosen"], "rejected": [{"role": "assistant", "content": " "}]},
    {"chosen": chosen_turns, "rejected": other_turns},
]
for finding in validate_file(write_jsonl(broken, folder / "broken.jsonl")).findings:
    where = f"line {finding.line}" if finding.line else "the file"
    print(f"{where}: {finding.rule}: {finding.message}")
# --8<-- [end:validate]

# --8<-- [start:configs]
from ftlab.preference import RUNS

for name, config in RUNS.items():
    print(f"{name:8} {config.used_settings()}")
# --8<-- [end:configs]

# --8<-- [start:dpo-history]
from ftlab.provenance import load_results

measured = load_results("05-preference")
dpo = measured["results"]["runs"]["dpo"]
print(f"{'step':>4} {'loss':>6} {'margin':>7} {'pairs ranked right':>18} {'log p chosen':>12} {'log p rejected':>14}")
for entry in dpo["history"]:
    if entry["step"] in (1, 2, 3, 4, 6, 8, 10, 12):
        print(f"{entry['step']:4} {entry['loss']:6.3f} {entry['rewards/margins']:7.3f} "
              f"{entry['rewards/accuracies']:18.0%} {entry['logps/chosen']:12.2f} {entry['logps/rejected']:14.1f}")
# --8<-- [end:dpo-history]

# --8<-- [start:dpo-effect]
from ftlab.metrics import compare, correctness
from ftlab.predict import score_from_answers

test = jobs.load_split("test")
golds = [record["role"] for record in test]
after_dpo = score_from_answers(dpo["test"]["answers"], test)
print(f"SFT:       {sft.summary()}")
print(f"SFT + DPO: {after_dpo.summary()}")
print(compare("SFT", correctness(golds, sft.predictions), "SFT + DPO",
              correctness(golds, after_dpo.predictions)).verdict())
# How often each role is answered, before and after DPO (and how often the pairs rejected it).
rejected_as = Counter(pair["rejected"][0]["content"] for pair in pairs)
said_before, said_after = Counter(sft.predictions), Counter(after_dpo.predictions)
print(f"{'role':18} {'rejected in pairs':>17} {'answered by SFT':>15} {'after DPO':>9}")
for role in jobs.ROLES:
    print(f"{role:18} {rejected_as[role]:17} {said_before[role]:15} {said_after[role]:9}")
# --8<-- [end:dpo-effect]

# --8<-- [start:dpo-rates]
from ftlab.preference import RUNS

runs = measured["results"]["runs"]
print(f"{'learning rate':>13} {'loss':>6} {'margin':>6} {'test accuracy':>13} {'vs SFT':>7} {'McNemar p':>9} "
      f"{'Frontend answers':>16}")
for name in ("dpo-5e-6", "dpo-5e-5", "dpo"):
    last_four = runs[name]["history"][-4:]  # steps 9-12: one step's 4 pairs are a noisy sample
    loss = sum(entry["loss"] for entry in last_four) / 4
    margin = sum(entry["rewards/margins"] for entry in last_four) / 4
    scored = score_from_answers(runs[name]["test"]["answers"], test)
    gap = compare("SFT", correctness(golds, sft.predictions), name, correctness(golds, scored.predictions))
    print(f"{RUNS[name].learning_rate:>13g} {loss:6.3f} {margin:6.2f} {scored.accuracy:13.1%} "
          f"{100 * gap.bootstrap.difference:+7.1f} {gap.mcnemar.p_value:9.3g} "
          f"{scored.predictions.count('Frontend Engineer'):16}")
# --8<-- [end:dpo-rates]

# --8<-- [start:dpo-by-hand]
import dataclasses
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import PrinterCallback

from ftlab.preference import dpo_trainer

# The committed run's trainer, built afresh and trained for one step only.
trainer = dpo_trainer(dataclasses.replace(RUNS["dpo"], steps=1), Path(tempfile.mkdtemp()))
trainer.remove_callback(PrinterCallback)  # the block prints its own comparison
trainer.train()
then, now = dpo["history"][0], trainer.state.log_history[0]
for metric in ("loss", "logps/chosen", "logps/rejected"):
    print(f"step 1 {metric:15} committed {then[metric]:9.4f}  this run {now[metric]:9.4f}")


def sequence_logps(model, batch) -> torch.Tensor:
    """Sum of the log-probabilities of the completion tokens of each sequence."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    logps = logits[:, :-1].log_softmax(-1).gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
    return (logps * batch["completion_mask"][:, 1:]).sum(-1)


# One update later the policy (adapter "default") differs from the frozen "ref" adapter.
policy = trainer.model.eval()
batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
with torch.no_grad():
    chosen, rejected = sequence_logps(policy, batch).chunk(2)  # the collator stacks chosen, then rejected
    policy.set_adapter("ref")
    ref_chosen, ref_rejected = sequence_logps(policy, batch).chunk(2)
    policy.set_adapter("default")
    by_hand = -F.logsigmoid(trainer.beta * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()
    by_trl = trainer.compute_loss(policy, batch)
print(f"DPO loss on one batch of 4 pairs: by hand {by_hand.item():.6f}, TRL {by_trl.item():.6f}")
print(f"agree within 1e-4: {abs(by_hand - by_trl).item() < 1e-4}")
# --8<-- [end:dpo-by-hand]

# --8<-- [start:reward-model]
reward = measured["results"]["runs"]["reward"]
first, last = reward["history"][0], reward["history"][-1]
print(f"training loss: step {first['step']} {first['loss']:.3f}, step {last['step']} {last['loss']:.3f}")
for kind, counts in reward["held_out"].items():
    print(f"held-out pairs, {kind:15}: chosen scored higher in {counts['correct']:2}/{counts['total']} "
          f"= {counts['correct'] / counts['total']:.0%}")
print(f"TRL's own held-out accuracy: {reward['held_out_trl_accuracy']:.0%}")
# --8<-- [end:reward-model]

# --8<-- [start:grpo]
grpo = measured["results"]["runs"]["grpo"]
print(f"{'step':>4} {'mean reward of the 16 samples':>29} {'groups with no signal':>21}")
for entry in grpo["history"]:
    # A group whose 4 samples all got the same reward gives GRPO nothing to compare.
    print(f"{entry['step']:4} {entry['reward']:29.2f} {entry['frac_reward_zero_std']:21.0%}")
before_grpo = score_from_answers(grpo["start_test"]["answers"], test)  # the 6-step adapter it started from
after_grpo = score_from_answers(grpo["test"]["answers"], test)
print(f"before GRPO (6-step SFT): {before_grpo.summary()}")
print(f"after {RUNS['grpo'].steps} GRPO steps:     {after_grpo.summary()}")
# --8<-- [end:grpo]

# --8<-- [start:compare-methods]
from ftlab.provenance import machine_line

sft_run = measured["results"]["sft"]  # page 03's recipe, timed in the same measurement
methods = [
    ("SFT (LoRA)", "prompt + answer", "1 + adapter", 8, sft_run),
    ("DPO (LoRA)", "prompt + 2 answers", "1 + 2 adapters", 2 * dpo["config"]["batch_size"], dpo),
    ("reward model", "prompt + 2 answers", "1 + adapter", 2 * reward["config"]["batch_size"], reward),
    ("GRPO (LoRA)", "prompt + a check", "1 + adapter", grpo["config"]["batch_size"] * grpo["config"]["generations"],
     grpo),
]
print(f"{'method':13} {'data per example':18} {'models':>14} {'seqs/step':>9} {'s/step':>6} {'peak RSS MB':>11}")
for name, data, models, sequences, row in methods:
    print(f"{name:13} {data:18} {models:>14} {sequences:9} {row['seconds_per_step']:6.1f} {row['peak_rss_mb']:11.0f}")
print(f"all four: {machine_line(measured)}, {measured['provenance']['date']}; "
      f"regenerate: {measured['provenance']['command']}")
# --8<-- [end:compare-methods]
