"""Train the running example's adapters with TRL, cached by their config.

Every training run is described by a frozen :class:`TrainConfig`.  Its
``key()`` hashes the config together with the data and library versions, and
the result lives in ``FTLAB_CACHE/runs/<name>-<key>/``.  A page that asks for
a run that exists gets it back at once; otherwise it is trained once, in a
fresh subprocess so that its peak memory can be measured on its own, written
to a temporary folder and renamed into place when complete.

Run one by hand::

    python -m ftlab.train '{"task": "role", "steps": 40}' OUT_DIR

(that is also the entry point ``accelerate launch`` uses for 2 processes).
"""

# --8<-- [start:imports]
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ftlab import cpu, jobs, noisy
from ftlab.model import load_model, model_name
from ftlab.recipe import LORA_TARGETS, cpu_trainer_args, lora_config
from ftlab.runs import cache_root, cached_run, digest, fill_by_command, fingerprint, run_log, write_run_log
from ftlab.task import FINE_TUNED_SYSTEM, TASKS, prompt_for
# --8<-- [end:imports]

# --8<-- [start:constants]
# Bump when the training code changes what a config produces: cached runs
# made by older code then stop matching and are trained again.
RECIPE_VERSION = 3
# For a 4-bit base, TRL's SFTTrainer stores the LoRA adapter in bf16 (the
# QLoRA paper's advice for GPUs).  A CPU without bf16 arithmetic converts
# every LoRA matmul to fp32 and back, which doubled QLoRA's step time here, so
# ftlab.train puts the adapter back in fp32 (page 04 measures both).  The same
# holds for the adapter on a bf16 base (precision="bf16", below).
ADAPTER_DTYPE = "float32"
# With precision="bf16" the frozen base is stored in bf16 for training (autocast
# would otherwise cast every frozen weight at every step); the adapter stays fp32.
BF16_FROZEN_DTYPE = "bfloat16"
# The ways of computing a step; each field's first value is TRL's own step.
STEP_CHOICES = {"logits": ("all", "answer"), "attention": ("sdpa", "eager"), "precision": ("fp32", "bf16")}
# Fields that came after recipe 3 (the step's, and the training data's): a
# run's key holds them only when they differ from these values, so the runs
# (and committed results) made before them keep their keys.
LATER_FIELDS = {**{field: choices[0] for field, choices in STEP_CHOICES.items()}, "data": "train"}
# The learning-rate schedule of every SFT run: up over the first steps, then
# down in a straight line to 0 at the last step (first_steps() relies on it).
LR_SCHEDULE = {"lr_scheduler_type": "linear", "warmup_steps": 2}
# --8<-- [end:constants]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run produces."""

    task: str = "role"  # a key of TASKS
    method: str = "lora"  # "lora" (adapter only) or "full" (every weight)
    rank: int = 16
    alpha: int = 32
    target_modules: tuple[str, ...] = LORA_TARGETS
    learning_rate: float = 2e-3
    steps: int = 24
    batch_size: int = 8
    max_length: int = 192  # tokens; longer postings are cut (the role shows early)
    train_examples: int | None = None  # None = the whole train split
    quantization: str | None = None  # "nf4" = QLoRA (page 04)
    # Data-parallel processes (page 07).  batch_size stays the postings per
    # optimizer step: each process takes batch_size / processes of them.
    processes: int = 1
    seed: int = 0
    # The postings trained on: "train" (the train split) or a set of
    # ftlab.noisy (page 02's data-quality experiment).
    data: str = "train"
    # How a step is computed (page 03, "Making the step cheap"): "all" is TRL's
    # own step, which scores every position through the LM head; "answer"
    # scores only the answer's tokens (ftlab.sft.AnswerOnlySFTTrainer).
    logits: str = "all"
    attention: str = "sdpa"  # or "eager": transformers' plain attention
    precision: str = "fp32"  # or "bf16": autocast, fast only with AMX / AVX-512 BF16

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"TrainConfig.task: unknown task {self.task!r}; choose from {sorted(TASKS)}")
        if self.method not in ("lora", "full"):
            raise ValueError(f"TrainConfig.method: {self.method!r} is not 'lora' or 'full'")
        if self.quantization not in (None, "nf4"):
            raise ValueError(f"TrainConfig.quantization: {self.quantization!r} is not None or 'nf4'")
        if self.precision == "bf16" and (self.quantization or self.method == "full"):
            raise ValueError("TrainConfig.precision: 'bf16' is for a LoRA adapter on a full-precision base only")
        if self.method == "full" and self.quantization:
            raise ValueError("TrainConfig: full fine-tuning of a 4-bit base is not possible; use method='lora'")
        if self.data != "train" and self.data not in noisy.DATA_SETS:
            raise ValueError(f"TrainConfig.data: {self.data!r} is not 'train' or one of {noisy.DATA_SETS}")
        for field, allowed in STEP_CHOICES.items():
            if getattr(self, field) not in allowed:
                raise ValueError(f"TrainConfig.{field}: {getattr(self, field)!r} is not one of {allowed}")
        if self.processes < 1 or self.batch_size % self.processes:
            raise ValueError(
                f"TrainConfig.processes: {self.processes} process(es) cannot share a batch of "
                f"{self.batch_size} postings evenly"
            )

    def name(self) -> str:
        quant = f"-{self.quantization}" if self.quantization else ""
        return f"{self.task}-{self.method}{quant}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        values = json.loads(text)
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)

    def significant_fields(self) -> dict:
        """The fields as the key sees them: those added after recipe 3 only when they differ from their default."""
        fields = dataclasses.asdict(self)
        return {field: value for field, value in fields.items()
                if field not in LATER_FIELDS or value != LATER_FIELDS[field]}

    def key(self) -> str:
        """Hash of the config, the data, the model and the training stack."""
        parts = {
            "config": self.significant_fields(),
            "recipe": RECIPE_VERSION,
            "data": digest(training_data(self.data)),
        }
        if self.quantization:
            parts["adapter_dtype"] = ADAPTER_DTYPE
        if self.precision == "bf16":
            parts["frozen_dtype"] = BF16_FROZEN_DTYPE
        return fingerprint(parts, model=model_name())


# Named runs that pages and the `predict` command refer to.
NAMED_RUNS = {
    "job-roles": TrainConfig(),
    # Page 03's second adapter, there to show adapters as plug-ins; kept short
    # so the test run stays short (the page reports how little it learns).
    "seniority": TrainConfig(task="seniority", steps=6),
    # Every weight trained.  LoRA's rate is for small, freshly initialised
    # matrices; applied to every pretrained weight it would move them far
    # from what pretraining found, so full fine-tuning takes a rate in the
    # range usually used for it.
    "job-roles-full": TrainConfig(method="full", learning_rate=1e-4),
}


# --------------------------------------------------------------------------- data


# --8<-- [start:dataset]
def training_data(name: str) -> bytes:
    """The bytes of the postings a run trains on, for its key."""
    if name == "train":
        return jobs.data_dir().joinpath("train.jsonl").read_bytes()
    return noisy.data_text(name).encode("utf-8")


def training_records(config: TrainConfig) -> list[dict]:
    """The train split (or a set of ftlab.noisy), or a balanced subset of it for learning curves."""
    records = jobs.load_split("train") if config.data == "train" else noisy.records(config.data)
    if config.train_examples is None:
        return records
    return balanced_subset(records, config.train_examples, TASKS[config.task]["field"], config.seed)


def balanced_subset(records: list[dict], size: int, field: str, seed: int) -> list[dict]:
    """``size`` records with the labels as equal as possible, chosen by ``seed``."""
    import random

    by_label: dict[str, list[dict]] = {}
    for record in records:
        by_label.setdefault(record[field], []).append(record)
    rng = random.Random(seed)
    pools = [rng.sample(group, len(group)) for _, group in sorted(by_label.items())]
    chosen, index = [], 0
    while len(chosen) < size and any(index < len(pool) for pool in pools):
        chosen += [pool[index] for pool in pools if index < len(pool)][: size - len(chosen)]
        index += 1
    return chosen


def to_prompt_completion(record: dict, task: str = "role") -> dict:
    """A conversational prompt/completion pair: TRL puts the loss on the completion only."""
    return {
        "prompt": prompt_for(record["text"], task, FINE_TUNED_SYSTEM),
        "completion": [{"role": "assistant", "content": record[TASKS[task]["field"]]}],
    }


def training_dataset(config: TrainConfig):
    from datasets import Dataset

    return Dataset.from_list([to_prompt_completion(r, config.task) for r in training_records(config)])
# --8<-- [end:dataset]


# --------------------------------------------------------------------------- training


def run_dir(config: TrainConfig, *, per_cpu: bool = False) -> Path:
    """The run's cache folder: ``<name>-<key>``, plus the CPU's numerics where they matter.

    fp32 training gives the same losses and adapter on every CPU checked
    (AMD EPYC with AVX-512 BF16, Intel Xeon with AMX, and either capped to
    AVX2), so one folder serves any CPU.  A run on a 4-bit base goes through
    kernels whose last digits depend on the CPU, and a re-run made to check a
    committed run on this CPU (``per_cpu=True``, see :func:`first_steps`)
    must not be answered from another CPU's cache: those folders carry
    :func:`ftlab.cpu.numerics_tag` as well.
    """
    name = f"{config.name()}-{config.key()}"
    if per_cpu or config.quantization:
        name += f"-cpu-{cpu.numerics_tag()}"
    return cache_root() / "runs" / name


def train_adapter(
    config: TrainConfig | str = "job-roles",
    *,
    launcher: list[str] | None = None,
    fresh: bool = False,
    checkpoints_every: int | None = None,
    per_cpu: bool = False,
) -> Path:
    """Return the folder of a trained run, training it first if the cache lacks it.

    ``config`` is a :class:`TrainConfig` or a name from ``NAMED_RUNS``.
    ``launcher`` replaces ``[python]`` as the command that runs training, e.g.
    ``["accelerate", "launch", "--config_file", "ddp_cpu.yaml"]`` (page 07);
    it must start ``config.processes`` processes.  ``fresh=True`` trains again
    even when cached (benchmarks time a run of their own).
    ``checkpoints_every=N`` also keeps the adapter every N steps, under
    ``checkpoints/step-N`` (a folder of its own: the same config without
    checkpoints stays in the usual one).  ``per_cpu=True`` keeps the run in
    a folder of this CPU's own (see :func:`run_dir`).
    """
    config = resolve_config(config)
    target = run_dir(config, per_cpu=per_cpu)
    extra = []
    if checkpoints_every:
        target = target.with_name(f"{target.name}-every-{checkpoints_every}")
        extra = ["--checkpoints-every", str(checkpoints_every)]
    command = train_command(config, *extra, launcher=launcher)

    def check_processes(staging: Path) -> None:
        processes = run_log(staging)["processes"]
        if processes != config.processes:
            raise RuntimeError(
                f"training {config.name()}: the config asks for {config.processes} process(es) but "
                f"{processes} ran; give a launcher that starts {config.processes}"
            )

    return cached_run(target, command, what=f"training {config.name()}", fresh=fresh, check=check_processes)


def train_command(config: TrainConfig, *options: str, launcher: list[str] | None = None) -> list[str]:
    """The command that trains ``config`` (its output folder is appended when it runs)."""
    return (launcher or [sys.executable]) + ["-m", "ftlab.train", config.to_json(), *options]


def train_uncached(config: TrainConfig, folder: Path, *, device: str = "cpu") -> Path:
    """Train ``config`` into ``folder``, outside the cache: a run a measurement times on its own."""
    return fill_by_command(folder, train_command(config, "--device", device), what=f"training {config.name()}")


def losses(run: Path) -> list[float]:
    """The training loss of each step of a run, from its log."""
    return [entry["loss"] for entry in run_log(run)["loss_history"]]


def first_steps(config: TrainConfig | str, steps: int, *, launcher: list[str] | None = None) -> list[float]:
    """Train only the first ``steps`` steps of a recipe and return their losses.

    A step's loss is computed before its update, so the first ``steps``
    losses depend on the first ``steps - 1`` learning rates only: 0 and half
    the rate (two warm-up steps), then the full rate (the linear decay starts
    at 1 whatever the run's length; its second value already depends on it).
    The postings come in the same order too, so for ``steps <= 4`` these
    losses must equal the first losses of the full run: a check of a
    committed run that costs seconds instead of minutes.
    """
    config = resolve_config(config)
    if not 1 <= steps <= 4:
        raise ValueError(f"first_steps: only the first 4 losses are independent of a run's length, not {steps}")
    # per_cpu: a check of this CPU must be computed on it, never read from another's cache.
    return losses(train_adapter(dataclasses.replace(config, steps=steps), launcher=launcher, per_cpu=True))


def resolve_config(config: TrainConfig | str) -> TrainConfig:
    if isinstance(config, TrainConfig):
        return config
    if config not in NAMED_RUNS:
        raise KeyError(f"no named run {config!r}; known: {', '.join(NAMED_RUNS)}")
    return NAMED_RUNS[config]


# --8<-- [start:trainer]
def _base_model(config: TrainConfig):
    if config.quantization != "nf4":
        return load_model(attn_implementation=config.attention)
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import BitsAndBytesConfig

    quantization = BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32
    )
    model, tokenizer = load_model(quantization_config=quantization, attn_implementation=config.attention)
    # Casts norms to fp32 and enables input gradients; on a GPU it would also
    # turn on gradient checkpointing, which we leave to the trainer config.
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    return model, tokenizer


def _sft_config(config: TrainConfig, output_dir: Path, checkpoints_every: int | None = None, device: str = "cpu"):
    from trl import SFTConfig

    args = cpu_trainer_args(
        output_dir, steps=config.steps, batch_size=config.batch_size,
        learning_rate=config.learning_rate, seed=config.seed, bf16=config.precision == "bf16",
    )
    if device == "cuda":
        args["use_cpu"] = False  # page 07's GPU measurement: the same recipe, on the GPU
    if checkpoints_every:
        # Only when asked (the time-to-accuracy benchmark); the model alone,
        # since nothing resumes from them.
        args.update(save_strategy="steps", save_steps=checkpoints_every, save_only_model=True)
    return SFTConfig(
        **args,
        **LR_SCHEDULE,
        max_length=config.max_length,
        # Batches of similar length: less padding, which is pure wasted work.
        train_sampling_strategy="group_by_length",
        # Count real (non-padding) tokens, for tokens/s on page 03.
        include_num_input_tokens_seen="non_padding",
        # Several processes split each batch of batch_size postings between
        # them, so they see the same postings in the same order as one
        # process would (the default gives each process batches of its own,
        # drawn by a length-grouping sampler that then groups differently).
        **({"accelerator_config": {"split_batches": True}} if config.processes > 1 else {}),
    )


def sft_trainer(config: TrainConfig, output_dir: Path, checkpoints_every: int | None = None, device: str = "cpu"):
    """TRL's ``SFTTrainer`` for a config, ready to ``train()``; its own files go in ``output_dir``.

    ``device="cuda"`` trains on a GPU (page 07's measurement); everything else here runs on the CPU.
    """
    import torch
    from trl import SFTTrainer

    from ftlab.sft import AnswerOnlySFTTrainer

    model, tokenizer = _base_model(config)
    if config.precision == "bf16":
        model = model.to(getattr(torch, BF16_FROZEN_DTYPE))
    peft_config = None
    if config.method == "lora":
        peft_config = lora_config(config.rank, config.alpha, config.target_modules)
    trainer_class = AnswerOnlySFTTrainer if config.logits == "answer" else SFTTrainer
    trainer = trainer_class(
        model=model,
        args=_sft_config(config, output_dir, checkpoints_every, device),
        train_dataset=training_dataset(config),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    if config.quantization or config.precision == "bf16":
        # An fp32 adapter on a 4- or 16-bit base; before train() builds the optimizer.
        _cast_adapter(trainer.model, ADAPTER_DTYPE)
    return trainer


def _train_here(
    config: TrainConfig, output_dir: Path, checkpoints_every: int | None = None, device: str = "cpu"
) -> None:
    """The training process itself (run by ``python -m ftlab.train``)."""
    from ftlab.steplog import StepLog

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    trainer = sft_trainer(config, output_dir / "trainer", checkpoints_every, device)
    step_log = StepLog()
    trainer.add_callback(step_log)
    tokenizer = trainer.processing_class
    trainable, total = _parameter_counts(trainer.model)
    result = trainer.train()
    if checkpoints_every and trainer.accelerator.is_main_process:
        _keep_checkpoints(output_dir / "trainer", output_dir / "checkpoints")
    shutil.rmtree(output_dir / "trainer", ignore_errors=True)
    if not trainer.accelerator.is_main_process:
        return
    trainer.model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    log = {
        "config": json.loads(config.to_json()),
        "key": config.key(),
        "processes": trainer.accelerator.num_processes,
        "trainable_parameters": trainable,
        "total_parameters": total,
        "train_seconds": result.metrics["train_runtime"],
        "seconds_per_step": result.metrics["train_runtime"] / config.steps,
        "tokens_seen": _tokens_seen(trainer),
        "final_loss": result.training_loss,
        "step_times": step_log.steps,
        "loss_history": [{"step": e["step"], "loss": e["loss"]} for e in trainer.state.log_history if "loss" in e],
    }
    if device == "cuda":
        import torch

        log["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
    write_run_log(output_dir, log, started=started, load_before=load_before)


def _keep_checkpoints(trainer_dir: Path, into: Path) -> None:
    """Move the Trainer's ``checkpoint-N`` folders to ``into/step-N``."""
    into.mkdir()
    for folder in sorted(trainer_dir.glob("checkpoint-*")):
        os.replace(folder, into / f"step-{folder.name.split('-')[1]}")


def _cast_adapter(model, dtype: str) -> None:
    """Store the trainable (LoRA) parameters in ``dtype``; the frozen 4-bit base is untouched."""
    import torch

    for parameter in model.parameters():
        if parameter.requires_grad:
            parameter.data = parameter.data.to(getattr(torch, dtype))


def _parameter_counts(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def _tokens_seen(trainer) -> int | None:
    seen = getattr(trainer.state, "num_input_tokens_seen", None)
    return int(seen) if seen else None
# --8<-- [end:trainer]


def checkpoints(run: Path) -> dict[int, Path]:
    """The kept checkpoints of a run, by step (empty if it kept none)."""
    found = {int(folder.name.split("-")[1]): folder for folder in (run / "checkpoints").glob("step-*")}
    return dict(sorted(found.items()))  # by step number: "step-120" sorts before "step-40" as text


def load_trained(run: Path | TrainConfig | str, *, checkpoint: int | None = None):
    """``(model, tokenizer)`` for a trained run: base + adapter, or the full model.

    ``checkpoint=N`` loads the adapter the run kept at step N (see ``checkpoints``).
    """
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    path = run if isinstance(run, Path) else train_adapter(run)
    adapter = path
    if checkpoint is not None:
        kept = checkpoints(path)
        if checkpoint not in kept:
            raise ValueError(f"{path}: no checkpoint at step {checkpoint}; it kept {sorted(kept) or 'none'}")
        adapter = kept[checkpoint]
    tokenizer = _tokenizer_from(path)
    if (path / "adapter_config.json").is_file():
        base, _ = _base_model(TrainConfig.from_json(json.dumps(run_log(path)["config"])))
        model = PeftModel.from_pretrained(base, adapter)
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype="float32")
    model.eval()
    return model, tokenizer


def _tokenizer_from(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ftlab.train")
    parser.add_argument("config_json")
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--checkpoints-every", type=int, metavar="N")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where to train (cuda: page 07's GPU measurement)")
    args = parser.parse_args(argv)
    _train_here(TrainConfig.from_json(args.config_json), args.output_dir, args.checkpoints_every, args.device)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
