"""Preference pairs for the running example, and the trainers that learn from them (page 05).

A pair is one prompt with two answers, a better (``chosen``) and a worse
(``rejected``) one, in TRL's conversational preference format.  For the
job-role classifier the prompt is page 03's (the bare posting after an empty
system turn), the chosen answer is the right role, exactly, and the rejected
answer is one of the two mistakes a classifier makes:

* a *confusable role*: the role a reader is most likely to mix this one up
  with (a Data Scientist posting answered "ML Engineer");
* *chatter*: the right role, buried in a sentence a program cannot use.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

from ftlab import jobs
from ftlab.model import load_model, model_name
from ftlab.recipe import cpu_trainer_args
from ftlab.runs import cache_root, cached_run, digest, fingerprint, run_log, write_run_log

# Bump when the preference-training code changes what a config produces.
PREFERENCE_RECIPE_VERSION = 1

# --8<-- [start:pairs]
# The role each role is most easily mistaken for (page 06's confusion matrix
# shows the same neighbourhoods in the LoRA model's own mistakes).
CONFUSABLE = {
    "Data Scientist": "ML Engineer",
    "Data Engineer": "Backend Engineer",
    "ML Engineer": "Data Scientist",
    "Backend Engineer": "Data Engineer",
    "Frontend Engineer": "Backend Engineer",
    "DevOps Engineer": "Security Engineer",
    "Security Engineer": "DevOps Engineer",
    "Product Manager": "Data Scientist",
}

CHATTER = (
    "This posting is for a {role} position.",
    "Based on the description, I would say {role}.",
    "The role described here is {role}, judging by the responsibilities.",
    "Sure! It looks like a {role} job.",
)


def preference_pair(record: dict, rng: random.Random) -> dict:
    """One pair for a posting: the exact role against a confusable role or chatter (half each)."""
    from ftlab.task import prompt_for

    role = record["role"]
    if rng.random() < 0.5:
        rejected, kind = CONFUSABLE[role], "confusable role"
    else:
        rejected, kind = rng.choice(CHATTER).format(role=role), "chatter"
    return {
        "prompt": prompt_for(record["text"]),
        "chosen": [{"role": "assistant", "content": role}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "kind": kind,  # extra columns are ignored by the trainers; kept for the page's counts
    }


def preference_pairs(split: str = "train", size: int | None = None, seed: int = 0) -> list[dict]:
    """Pairs for ``size`` postings of a split (balanced over the roles), chosen and built with ``seed``."""
    from ftlab.train import balanced_subset

    records = jobs.load_split(split)
    if size is not None:
        records = balanced_subset(records, size, "role", seed)
    rng = random.Random(seed)
    return [preference_pair(record, rng) for record in records]
# --8<-- [end:pairs]


def write_jsonl(pairs: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(jobs.jsonl(pairs), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- training


@dataclasses.dataclass(frozen=True)
class PreferenceConfig:
    """One preference-training run: DPO on page 03's adapter, or a reward model on the base."""

    method: str = "dpo"  # "dpo", "reward" or "grpo"
    steps: int = 12
    batch_size: int = 4  # pairs per step (each pair is two sequences); GRPO: prompts per step
    learning_rate: float = 5e-4
    beta: float = 0.1  # DPO: how far the policy may move from the reference
    pairs: int = 128  # training pairs (GRPO: prompts), balanced over the roles
    start_steps: int = 24  # the SFT adapter DPO and GRPO start from: page 03's recipe, this many steps
    generations: int = 4  # GRPO: answers sampled per prompt
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("dpo", "reward", "grpo"):
            raise ValueError(f"PreferenceConfig.method: {self.method!r} is not 'dpo', 'reward' or 'grpo'")
        if self.steps < 1 or self.batch_size < 1 or self.pairs < self.batch_size:
            raise ValueError(
                f"PreferenceConfig: need steps >= 1 and at least one batch of pairs "
                f"(steps={self.steps}, batch_size={self.batch_size}, pairs={self.pairs})"
            )

    def used_settings(self) -> dict:
        """The fields this method's trainer reads (``beta`` is DPO's; GRPO runs with TRL's ``beta=0``)."""
        unused = {"dpo": {"generations"}, "reward": {"beta", "start_steps", "generations"}, "grpo": {"beta"}}
        return {field: value for field, value in dataclasses.asdict(self).items()
                if field != "method" and field not in unused[self.method]}

    def key(self) -> str:
        """Hash of the config, the model, the SFT run it starts from, the data and the training stack.

        The model and the recipe version enter directly: the reward model
        starts from the base, not from an SFT run whose key would carry them.
        """
        parts = {
            "config": dataclasses.asdict(self),
            "recipe": PREFERENCE_RECIPE_VERSION,
            "sft": None if self.method == "reward" else self.start_run().key(),
            "pairs": digest(json.dumps(self.training_pairs(), sort_keys=True)),
        }
        return fingerprint(parts, model=model_name())

    def training_pairs(self) -> list[dict]:
        return preference_pairs("train", self.pairs, self.seed)

    def start_run(self):
        """The SFT run this one continues (the reward model starts from the base instead)."""
        from ftlab.train import NAMED_RUNS

        return dataclasses.replace(NAMED_RUNS["job-roles"], steps=self.start_steps)


RUNS = {
    # DPO continues page 03's adapter; the reference is that adapter, frozen.
    "dpo": PreferenceConfig(),
    # The same DPO run at the rates DPO recipes usually use: 10x and 100x lower.
    "dpo-5e-5": PreferenceConfig(learning_rate=5e-5),
    "dpo-5e-6": PreferenceConfig(learning_rate=5e-6),
    "reward": PreferenceConfig(method="reward", batch_size=8),
    # GRPO starts from a 6-step adapter (page 04's short run): right on about
    # 40% of postings, so there is room for the reward to rise.
    "grpo": PreferenceConfig(method="grpo", steps=8, start_steps=6),
}


def trainer_args(config: PreferenceConfig, output_dir: Path) -> dict:
    """Settings the three trainers share: page 03's CPU settings, pairs cut at 256 tokens."""
    args = cpu_trainer_args(
        output_dir, steps=config.steps, batch_size=config.batch_size,
        learning_rate=config.learning_rate, seed=config.seed,
    )
    return {**args, "max_length": 256}


# --8<-- [start:dpo]
def dpo_trainer(config: PreferenceConfig, output_dir: Path):
    """TRL's DPOTrainer on page 03's adapter, which it keeps training.

    Given a PeftModel and no reference model, DPOTrainer copies the adapter
    into a second, frozen one named "ref" and computes the reference
    log-probabilities with it: the reference is the SFT model itself.
    """
    from datasets import Dataset
    from peft import PeftModel
    from trl import DPOConfig, DPOTrainer

    from ftlab.train import train_adapter

    base, tokenizer = load_model()
    model = PeftModel.from_pretrained(base, train_adapter(config.start_run()), is_trainable=True)
    pairs = Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in config.training_pairs()])
    return DPOTrainer(
        model=model,
        args=DPOConfig(beta=config.beta, **trainer_args(config, output_dir)),
        train_dataset=pairs,
        processing_class=tokenizer,
    )
# --8<-- [end:dpo]


# --8<-- [start:reward]
def reward_trainer(config: PreferenceConfig, output_dir: Path, eval_pairs: list[dict] | None = None):
    """TRL's RewardTrainer: the base model with a one-number head, trained with LoRA to score answers."""
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, set_seed
    from trl import RewardConfig, RewardTrainer

    from ftlab.model import load_tokenizer, resolve
    from ftlab.recipe import lora_config

    tokenizer = load_tokenizer()
    # The one-number head starts random: seed it, or no two runs start alike.
    set_seed(config.seed)
    model = AutoModelForSequenceClassification.from_pretrained(resolve(), num_labels=1, dtype="float32")

    def dataset(pairs):
        return Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs])

    return RewardTrainer(
        model=model,
        args=RewardConfig(**trainer_args(config, output_dir), per_device_eval_batch_size=8),
        train_dataset=dataset(config.training_pairs()),
        eval_dataset=dataset(eval_pairs) if eval_pairs else None,
        processing_class=tokenizer,
        # SEQ_CLS: peft also trains and saves the new score head ("score").
        peft_config=lora_config(16, task_type="SEQ_CLS"),
    )
# --8<-- [end:reward]


# --8<-- [start:grpo]
def exact_role(completions, role, **kwargs) -> list[float]:
    """GRPO's reward, computed, not learnt: 1 for exactly the right role, else 0."""
    return [1.0 if completion[0]["content"].strip() == gold else 0.0 for completion, gold in zip(completions, role)]


def grpo_trainer(config: PreferenceConfig, output_dir: Path):
    """TRL's GRPOTrainer: sample ``generations`` answers per posting, reward the exactly right ones."""
    from datasets import Dataset
    from peft import PeftModel
    from trl import GRPOConfig, GRPOTrainer

    from ftlab.task import prompt_for
    from ftlab.train import balanced_subset, train_adapter

    base, tokenizer = load_model()
    model = PeftModel.from_pretrained(base, train_adapter(config.start_run()), is_trainable=True)
    postings = balanced_subset(jobs.load_split("train"), config.pairs, "role", config.seed)
    prompts = Dataset.from_list([{"prompt": prompt_for(r["text"]), "role": r["role"]} for r in postings])
    settings = trainer_args(config, output_dir)
    del settings["max_length"]  # GRPO never cuts prompts; it limits the answers instead
    settings["per_device_train_batch_size"] = config.batch_size * config.generations  # counts answers
    return GRPOTrainer(
        model=model,
        reward_funcs=[exact_role],
        args=GRPOConfig(num_generations=config.generations, max_completion_length=8, **settings),
        train_dataset=prompts,
        processing_class=tokenizer,
    )
# --8<-- [end:grpo]


def run_dir(config: PreferenceConfig) -> Path:
    return cache_root() / "runs" / f"{config.method}-{config.key()}"


def train_preference(config: PreferenceConfig | str = "dpo", *, fresh: bool = False) -> Path:
    """The folder of a trained preference run, training it first (in a subprocess) if the cache lacks it."""
    config = RUNS[config] if isinstance(config, str) else config
    command = [sys.executable, "-m", "ftlab.preference", json.dumps(dataclasses.asdict(config))]
    return cached_run(run_dir(config), command, what=f"{config.method} training", fresh=fresh)


def _train_here(config: PreferenceConfig, output_dir: Path) -> None:
    from ftlab.steplog import StepLog

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    # Only the page's named runs are scored on held-out pairs; short check runs skip it.
    score_held_out = config.method == "reward" and config in RUNS.values()
    held_out = held_out_pairs() if config.method == "reward" else None
    if config.method == "dpo":
        trainer = dpo_trainer(config, output_dir / "trainer")
    elif config.method == "grpo":
        trainer = grpo_trainer(config, output_dir / "trainer")
    else:
        # Built the same way for every run, scored or not, so short runs start exactly like long ones.
        trainer = reward_trainer(config, output_dir / "trainer", eval_pairs=held_out)
    step_log = StepLog()  # each step's seconds, and the progress bar of the process that waits
    trainer.add_callback(step_log)
    result = trainer.train()
    shutil.rmtree(output_dir / "trainer", ignore_errors=True)
    log = {
        "config": dataclasses.asdict(config),
        "key": config.key(),
        "train_seconds": result.metrics["train_runtime"],
        "seconds_per_step": result.metrics["train_runtime"] / config.steps,
        "step_times": step_log.steps,
        # Every step's logged metrics (GRPO's include the reward of its samples).
        "history": [entry for entry in trainer.state.log_history if "loss" in entry],
    }
    if score_held_out:
        log["held_out"] = reward_accuracy(trainer, held_out)
        log["held_out_trl_accuracy"] = trainer.evaluate()["eval_accuracy"]  # TRL's own count, to cross-check
    trainer.model.save_pretrained(output_dir)
    write_run_log(output_dir, log, started=started, load_before=load_before)


def held_out_pairs(seed: int = 0) -> list[dict]:
    """Pairs for the 80 validation postings: never trained on."""
    return preference_pairs("validation", None, seed)


def reward_accuracy(trainer, pairs: list[dict]) -> dict:
    """Share of held-out pairs whose chosen answer the reward model scores higher, overall and by kind."""
    scores = {}
    for kind in ("confusable role", "chatter"):
        subset = [p for p in pairs if p["kind"] == kind]
        wins = [pair_margin(trainer, p) > 0 for p in subset]
        scores[kind] = {"correct": sum(wins), "total": len(wins)}
    scores["all"] = {k: sum(s[k] for s in scores.values()) for k in ("correct", "total")}
    return scores


def pair_margin(trainer, pair: dict) -> float:
    """Reward of the chosen answer minus reward of the rejected one."""
    import torch

    tokenizer, model = trainer.processing_class, trainer.model
    rewards = []
    for answer in (pair["chosen"], pair["rejected"]):
        text = tokenizer.apply_chat_template(pair["prompt"] + answer, tokenize=False)
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            rewards.append(model(**inputs).logits[0, 0].item())
    return rewards[0] - rewards[1]


def load_continued(run: Path):
    """Page 03's base with the adapter a DPO or GRPO run trained: ``(model, tokenizer)``."""
    from peft import PeftModel

    base, tokenizer = load_model()
    model = PeftModel.from_pretrained(base, run)
    model.eval()
    return model, tokenizer


def evaluate_continued(run: Path, split: str = "test"):
    """Score a DPO or GRPO adapter on a split, like page 03 scores the SFT one (answers cached in the run)."""
    from ftlab.evaluate import evaluate_records

    return evaluate_records(Path(run), jobs.load_split(split), cache_name=split, task="role", loader=load_continued)


def _test_row(score) -> dict:
    return {"correct": score.correct, "total": score.total, "compliant": score.compliant, "answers": score.answers}


RESULTS = "05-preference"
COMMAND = "python -m ftlab.preference measure"


def measure(names: list[str] | None = None) -> dict:
    """Train the named runs afresh, score them, and write docs/results/05-preference.json.

    ``names`` re-measures only those runs and keeps the others' committed rows
    (each row records when it was measured); page 03's SFT run is timed again
    either way, in a folder of its own.
    """
    from ftlab.evaluate import evaluate
    from ftlab.provenance import load_results, results_dir, save_results
    from ftlab.train import train_adapter

    keep_committed = names and (results_dir() / f"{RESULTS}.json").is_file()
    rows = load_results(RESULTS)["results"]["runs"] if keep_committed else {}
    # Page 05 compares the methods' step times with SFT's: SFT is timed again in every measurement.
    sft = _time_sft(RUNS["dpo"].start_run())
    for name, config in RUNS.items():
        if names and name not in names:
            continue
        run = train_preference(config, fresh=True)
        log = run_log(run)
        row = {"config": dataclasses.asdict(config)} | _timings(log) | {
            "wall_seconds": round(log["wall_seconds"], 1),
            "history": [{k: _rounded(k, v) for k, v in entry.items()} for entry in log["history"]],
        }
        if config.method in ("dpo", "grpo"):
            row["test"] = _test_row(evaluate_continued(run))
            row["start_test"] = _test_row(evaluate(train_adapter(config.start_run())))  # the adapter it continued
        if name == "reward":
            row["held_out"] = log["held_out"]
            row["held_out_trl_accuracy"] = round(log["held_out_trl_accuracy"], 4)
        rows[name] = row
        print(name, {k: v for k, v in row.items() if k not in ("history", "test", "start_test")}, flush=True)
        save_results(RESULTS, {"sft": sft, "runs": rows}, seed=0, command=COMMAND)  # a long job keeps its part
    return rows


def _rounded(key: str, value):
    """A logged value as committed: 4 decimals, except the learning rate (5e-6 would round to 0)."""
    if not isinstance(value, float) or key == "learning_rate":
        return value
    return round(value, 4)


def _time_sft(config) -> dict:
    """Train page 03's SFT run in a temporary folder (the cached run is left alone) and time it."""
    import tempfile

    from ftlab.train import train_uncached

    with tempfile.TemporaryDirectory() as folder:
        log = run_log(train_uncached(config, Path(folder) / "run"))
    return {"config": log["config"]} | _timings(log)


def _timings(log: dict) -> dict:
    """What a results row keeps of a run's log: its key, its times and memory, and when it was measured."""
    import datetime

    return {
        "key": log["key"],
        "seconds_per_step": round(log["seconds_per_step"], 2),
        "train_seconds": round(log["train_seconds"], 1),
        "peak_rss_mb": round(log["peak_rss_mb"]),
        "load_average_before": round(log["load_average_before"], 2),
        "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["measure"]:
        unknown = set(argv[1:]) - set(RUNS)
        if unknown:
            print(f"unknown run(s) {sorted(unknown)}; known: {', '.join(RUNS)}", file=sys.stderr)
            return 2
        measure(argv[1:] or None)
        return 0
    if len(argv) != 2:
        print("usage: python -m ftlab.preference measure [RUN ...] | CONFIG_JSON OUTPUT_DIR", file=sys.stderr)
        return 2
    _train_here(PreferenceConfig(**json.loads(argv[0])), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
