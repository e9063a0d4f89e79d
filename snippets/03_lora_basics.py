"""Page: LoRA basics (docs/03-lora-basics.md).

Run it whole with ``python snippets/03_lora_basics.py``; the page shows it
section by section.  Training runs are cached under FTLAB_CACHE by a key of
their config, so the second run of this script takes seconds, not minutes.
"""

# --8<-- [start:count]
import copy

from peft import LoraConfig, get_peft_model

from ftlab.model import load_model

model, tokenizer = load_model()
settings = {
    "r=8 on q_proj, v_proj": LoraConfig(r=8, target_modules=["q_proj", "v_proj"]),
    "r=16 on all 7 linear layers": LoraConfig(
        r=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    ),
}
for name, lora in settings.items():
    print(name)
    # get_peft_model changes the model it is given: wrap a copy each time.
    get_peft_model(copy.deepcopy(model), lora).print_trainable_parameters()
# --8<-- [end:count]

# --8<-- [start:llama-7b]
import torch
from transformers import AutoModelForCausalLM, LlamaConfig

# Llama-2-7B's published shape.  On the meta device a tensor has a shape but
# no storage, so this "7B model" costs no memory and nothing is downloaded.
llama_shape = LlamaConfig(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008,
    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
)
with torch.device("meta"):
    llama = AutoModelForCausalLM.from_config(llama_shape)
print(f"Llama-2-7B shape: {sum(p.numel() for p in llama.parameters()):,} parameters")

all_linear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
for rank, targets in [(1, ["q_proj", "v_proj"]), (2, ["q_proj", "v_proj"]), (8, ["q_proj", "v_proj"]),
                      (16, all_linear), (64, all_linear)]:
    adapted = get_peft_model(copy.deepcopy(llama), LoraConfig(r=rank, target_modules=targets))
    trainable = sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    where = "q, v" if len(targets) == 2 else "all linear"
    print(f"  r={rank:<3} on {where:<10}: {trainable:>11,} trainable ({trainable / 6.738e9:.3%})")
# --8<-- [end:llama-7b]

# --8<-- [start:recipe]
from ftlab.train import LR_SCHEDULE, NAMED_RUNS

recipe = NAMED_RUNS["job-roles"]
for field, value in vars(recipe).items():
    print(f"{field:<16} {value}")
for field, value in LR_SCHEDULE.items():  # the same for every run
    print(f"{field:<16} {value}")
# --8<-- [end:recipe]

# --8<-- [start:example]
from ftlab import jobs
from ftlab.train import to_prompt_completion

pair = to_prompt_completion(jobs.load_split("train")[0])
text = tokenizer.apply_chat_template(pair["prompt"] + pair["completion"], tokenize=False)
print(text)
# --8<-- [end:example]

# --8<-- [start:train]
from ftlab.train import load_trained, run_log, train_adapter

run = train_adapter("job-roles")  # trains once (a few minutes), then comes from the cache
log = run_log(run)
print(f"trained {log['trainable_parameters']:,} of {log['total_parameters']:,} parameters")
print(f"{recipe.steps} steps x {recipe.batch_size} postings = {recipe.steps * recipe.batch_size} postings seen")
every_fourth = [entry for entry in log["loss_history"] if entry["step"] == 1 or entry["step"] % 4 == 0]
print("loss at steps", [entry["step"] for entry in every_fourth], ":", [round(entry["loss"], 2) for entry in every_fourth])
# --8<-- [end:train]

# --8<-- [start:before-after]
from ftlab.evaluate import evaluate, evaluate_base

before = evaluate_base("test")  # the untrained model, told the 8 roles in its prompt
after = evaluate(run, "test")  # the adapter, shown only the posting
print(f"base model, zero-shot : {before.summary()}")
print(f"LoRA adapter          : {after.summary()}")
print(f"  on hand-written postings: {evaluate(run, 'handwritten').summary()}")
# --8<-- [end:before-after]

# --8<-- [start:parse]
from ftlab.task import parse_label

# The first three answers the parser could read, and the first three it could not.
readings = [(answer, parse_label(answer)) for answer in before.answers]
shown = [r for r in readings if r[1]][:3] + [r for r in readings if not r[1]][:3]
for answer, role in shown:
    print(f"{answer[:60]!r:<64} -> {role}")
# --8<-- [end:parse]

# --8<-- [start:disk]
from ftlab.model import converted_dir


def megabytes(folder, pattern="*.safetensors"):
    return sum(f.stat().st_size for f in folder.glob(pattern)) / 1e6


print(f"base model weights : {megabytes(converted_dir()):7.1f} MB")
print(f"LoRA adapter       : {megabytes(run):7.1f} MB")
# --8<-- [end:disk]

# --8<-- [start:plug-ins]
from collections import Counter

from peft import PeftModel

from ftlab.predict import generate_answers
from ftlab.task import FINE_TUNED_SYSTEM, prompt_for

seniority_run = train_adapter("seniority")  # a second adapter, same postings, another label
base, tokenizer = load_model()
model = PeftModel.from_pretrained(base, run, adapter_name="role")
model.load_adapter(seniority_run, adapter_name="seniority")

posting = jobs.load_split("test")[3]
question = [prompt_for(posting["text"], system=FINE_TUNED_SYSTEM)]
print(posting["text"][:120], "...")
for adapter in ("role", "seniority"):
    model.set_adapter(adapter)
    print(f"  {adapter:<10} adapter -> {generate_answers(model, tokenizer, question)[0]}")
with model.disable_adapter():
    print(f"  no adapter         -> {generate_answers(model, tokenizer, question, max_new_tokens=16)[0]}")
print(f"seniority adapter on the hand-written postings: {evaluate(seniority_run, 'handwritten').summary()}")
levels = Counter(record["seniority"] for record in jobs.load_split("handwritten"))
level, count = levels.most_common(1)[0]
print(f"  always answering {level!r} would score {count}/{levels.total()} = {count / levels.total():.1%}")
# --8<-- [end:plug-ins]

# --8<-- [start:merge]
model.set_adapter("role")
batch = tokenizer.apply_chat_template(
    [prompt_for(r["text"], system=FINE_TUNED_SYSTEM) for r in jobs.load_split("test")[:8]],
    add_generation_prompt=True, padding=True, return_tensors="pt", return_dict=True,
)
with torch.no_grad():
    unmerged = model(**batch).logits
    merged_model = model.merge_and_unload(adapter_names=["role"])  # W + (alpha/r)·B·A, adapter gone
    merged = merged_model(**batch).logits
difference = ((merged - unmerged).abs().max() / unmerged.abs().max()).item()  # relative to the largest logit
# (W + B·A)·x and W·x + B·A·x add the same products in another order: fp32 rounding,
# which differs by CPU.  Measured: 3e-6 (AMD EPYC) to 3e-5 (Intel Xeon with AMX) of the
# largest logit; 1e-4 holds on both and is far below any gap between two answers.
tolerance = 1e-4
print(f"largest logit difference merged vs unmerged: {difference:.1e} of the largest logit (allowed {tolerance:.0e})")
assert difference < tolerance, difference
print("same greedy answers:", bool((merged.argmax(-1) == unmerged.argmax(-1)).all()))
# --8<-- [end:merge]

# --8<-- [start:full]
from ftlab.provenance import load_results, machine_line

full = NAMED_RUNS["job-roles-full"]  # the same recipe, every weight trained
print("changed from the LoRA recipe:", {k: v for k, v in vars(full).items() if getattr(recipe, k) != v})

bench = load_results("03-lora")  # written by: python -m ftlab.bench
machine = bench["provenance"]
print(f"measured on {machine_line(bench)}, {machine['date']}, "
      f"fp32 matmul peak {bench['results']['matmul_peak_gflops']:.0f} GFLOP/s")
print(f"{'':<5}{'trainable':>12}{'test acc':>9}{'s/step':>8}{'tokens/s':>9}{'MFU':>6}{'peak RSS':>10}")
for name, row in bench["results"]["runs"].items():
    print(f"{name:<5}{row['trainable_parameters']:>12,}{row['test_accuracy']:>9.1%}{row['seconds_per_step']:>8.1f}"
          f"{row['tokens_per_second']:>9.0f}{row['mfu']:>6.0%}{row['peak_rss_mb'] / 1024:>7.1f} GB")
print(f"this run's LoRA adapter: {after.accuracy:.1%} on test, as committed: "
      f"{after.accuracy == bench['results']['runs']['LoRA']['test_accuracy']}")
# --8<-- [end:full]

# --8<-- [start:step-profile]
from ftlab.stepprofile import committed

profiled = committed()  # written by: python -m ftlab.stepprofile
steps = profiled["results"]
print(f"page 03's recipe on {machine_line(profiled)}, {profiled['provenance']['date']}, "
      f"{steps['torch_threads']} threads: {steps['step_ms'] / 1000:.2f} s per step "
      f"(mean of {steps['profiled_steps']} after {steps['warmup_steps']} warm-up)")
for phase, ms in steps["phases_ms"].items():
    print(f"  {phase:<9} {ms / 1000:5.2f} s  {ms / steps['step_ms']:4.0%}")
print(f"{'operator (self time)':<58}{'s/step':>7}{'share':>7}{'calls':>7}")
for op in steps["operators"]:
    print(f"{op['name']:<58}{op['self_ms'] / 1000:>7.2f}{op['self_ms'] / steps['profiled_self_ms']:>7.0%}{op['calls']:>7}")
print(f"on vocabulary-sized tensors ({steps['vocabulary']:,} words; LM head, loss): "
      f"{steps['vocabulary_ms'] / steps['profiled_self_ms']:.0%} of the step")
# --8<-- [end:step-profile]

# --8<-- [start:profile-here]
from ftlab.stepprofile import profile_training, summarize

profiler = profile_training(recipe, warmup=1, active=1)  # about half a minute: a model load and two steps
here = summarize(profiler, steps=1, vocabulary=steps["vocabulary"])
print("the same operator on top here:", here["operators"][0]["name"] == steps["operators"][0]["name"])
print("vocabulary-sized tensors take over a fifth of the step here too:",
      here["vocabulary_ms"] / here["profiled_self_ms"] > 0.2)
# The profiler's own table, to read in a project of yours (its timings are this machine's):
# print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
# --8<-- [end:profile-here]

# --8<-- [start:step-speed]
from ftlab.stepspeed import committed as committed_speed

speed = committed_speed()  # written by: python -m ftlab.stepspeed
ways = speed["results"]["variants"]
peaks = speed["results"]["matmul_peak_gflops"]
print(f"page 03's 24-step run on {machine_line(speed)}, {speed['provenance']['date']}; "
      f"matmul peak {', '.join(f'{k} {v:.0f}' for k, v in peaks.items())} GFLOP/s")
print(f"{'way of computing the step':<27}{'s/step':>7}{'tokens/s':>9}{'ms/token':>9}{'MFU':>6}{'speed-up':>9}{'test acc':>9}")
for name, row in ways.items():
    accuracy = f"{row['test_accuracy']:.1%}" if "test_accuracy" in row else ""
    print(f"{name:<27}{row['median_step_seconds']:>7.2f}{row['tokens_per_second']:>9.0f}{row['ms_per_token']:>9.2f}"
          f"{row['mfu']:>6.1%}{row['speedup']:>8.2f}x{accuracy:>9}")
for name, reason in speed["results"]["skipped"].items():
    print(f"{name:<27} not run: {reason}")


def gain(faster, slower):
    return ways[faster]["tokens_per_second"] / ways[slower]["tokens_per_second"]


print(f"eager attention on top of answer-only logits: {gain('answer-only + eager, fp32', 'answer-only logits'):.2f}x")
if "all three" in ways:
    print(f"bf16 on top of both: {gain('all three', 'answer-only + eager, fp32'):.2f}x")
trl_losses = ways["TRL's step"]["losses"]
print("largest loss difference from TRL's step over the 24 steps:")
for name, row in ways.items():
    if name != "TRL's step":
        print(f"  {name:<27}{max(abs(a - b) for a, b in zip(row['losses'], trl_losses)):.5f}")
# --8<-- [end:step-speed]

# --8<-- [start:answer-only-here]
import dataclasses

from ftlab.train import first_steps

answer_only = dataclasses.replace(recipe, logits="answer")  # the AnswerOnlySFTTrainer above
here = first_steps(answer_only, 3)  # trains 3 steps: about half a minute
print("first three losses, answer-only step here:", [round(loss, 4) for loss in here])
print("TRL's step, as committed                 :", [round(loss, 4) for loss in trl_losses[:3]])
print("the same loss within 1e-4:", all(abs(a - b) < 1e-4 for a, b in zip(here, trl_losses)))
# --8<-- [end:answer-only-here]

# --8<-- [start:sweep]
from ftlab.sweep import committed as committed_sweep

sweep = committed_sweep()  # written by: python -m ftlab.sweep
print(f"on {machine_line(sweep)}, {sweep['provenance']['date']}; scored on the validation split only")
print(f"{'rate':>7}{'steps':>6}{'postings':>9}{'validation':>20}{'95% interval':>14}{'train s':>8}")
for row in sweep["results"]["rows"]:
    low, high = row["interval"]
    print(f"{row['learning_rate']:>7.0e}{row['steps']:>6}{row['postings_seen']:>9}"
          f"{row['validation_correct']:>6}/{row['validation_total']} = {row['validation_accuracy']:6.1%}"
          f"{low:>7.0%} to {high:.0%}{row['train_seconds']:>8.0f}")
chosen = sweep["results"]["chosen"]
print(f"chosen: learning rate {chosen['learning_rate']:.0e}, {chosen['steps']} steps; then, to report it:")
recipe_scores = {"test": after, "handwritten": evaluate(run, "handwritten")}  # the 24-step run, above
for split, score in sweep["results"]["chosen_reported"].items():
    print(f"  {split:<12} {score['correct']}/{score['total']} = {score['accuracy']:.1%}"
          f"   (24-step recipe: {recipe_scores[split].correct}/{recipe_scores[split].total}"
          f" = {recipe_scores[split].accuracy:.1%})")
# --8<-- [end:sweep]

# --8<-- [start:time-to]
reaching = bench["results"]["time_to_accuracy"]  # python -m ftlab.bench --time-to 0.95
print(f"one run of {reaching['schedule_steps']} steps x {recipe.batch_size} postings, "
      f"{reaching['seconds_per_step']:.1f} s/step, test accuracy at its checkpoints:")
for point in reaching["curve"]:
    print(f"  step {point['steps']:3} ({point['train_seconds'] / 60:4.1f} min of training): "
          f"{point['test_accuracy']:.1%}")
goal = f"{reaching['target']:.0%}"
print(f"{goal} reached" if reaching["reached"] else f"{goal} not reached in {reaching['schedule_steps']} steps")
# --8<-- [end:time-to]

# --8<-- [start:forgetting]
from ftlab.quantize import heldout_text, perplexity

general_text = heldout_text()  # everyday English prose shipped with ftlab, no job postings in it
measured_here = {
    "base model": perplexity(load_model()[0], tokenizer, general_text),
    "LoRA": perplexity(load_trained(run)[0], tokenizer, general_text),
}
committed = {"base model": bench["results"]["base_perplexity"]} | {
    name: row["perplexity"] for name, row in bench["results"]["runs"].items()
}
for name, value in committed.items():
    here = f"{measured_here[name]:6.2f} in this run" if name in measured_here else "from the benchmark"
    print(f"{name:<11} perplexity on general prose: {value:6.2f}  ({here})")
# --8<-- [end:forgetting]
