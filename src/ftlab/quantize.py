"""The site's model at several precisions, and what each costs and keeps (page 04).

``load_at(name)`` loads SmolLM2 in one of ``PRECISIONS`` through the same
``from_pretrained`` call a reader would write, with a ``BitsAndBytesConfig``
for the bitsandbytes formats.  ``perplexity`` scores a model on a fixed
held-out text shipped with the package (``data/heldout.txt``: plain English
prose written for this site, not seen in training), ``greedy_answer`` asks
one fixed question, and ``python -m ftlab.quantize speed`` times generation
for ``docs/results/04-precision-speed.json``.  ``qlora_recipes`` and
``evaluate_sample`` are the page's QLoRA-vs-LoRA comparison, and
``python -m ftlab.quantize qlora`` times it for ``docs/results/04-qlora.json``.

Two choices keep the numbers the same on every CPU:

* 4-bit layers and norms compute in fp32 (``bnb_4bit_compute_dtype``), the
  dtype the rest of the model is loaded in.
* bitsandbytes repacks 4-bit weights into a bf16-scaled layout the first
  time it runs inference on a CPU with AVX512-BF16, which changes the
  numbers a little.  ``load_at`` turns that off, so every CPU computes the
  same thing.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Precision:
    name: str
    linear: str  # how decoder linear weights are stored (a memory.FORMAT_BYTES key)
    rest: str  # dtype of embeddings and norms
    description: str


PRECISIONS = {
    p.name: p
    for p in (
        Precision("fp32", "fp32", "float32", "32-bit floats (as converted from the GGUF)"),
        Precision("bf16", "bf16", "bfloat16", "16-bit brain floats, everything"),
        Precision("int8", "int8", "float32", "bitsandbytes LLM.int8: 8-bit rows, fp16 outliers"),
        Precision("nf4", "nf4", "float32", "bitsandbytes 4-bit NormalFloat, blocks of 64"),
        Precision("nf4-dq", "nf4-dq", "float32", "NF4 with double quantization of the scales"),
        Precision("fp4", "fp4", "float32", "bitsandbytes 4-bit float (1 sign, 2 exponent, 1 mantissa bit)"),
        Precision("fp4-dq", "fp4-dq", "float32", "FP4 with double quantization of the scales"),
    )
}

# The question every precision answers (greedy, so the answer is reproducible).
QUESTION = "In one sentence: what does a data engineer do?"
ANSWER_TOKENS = 24


def precision(name: str) -> Precision:
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose from {', '.join(PRECISIONS)}")
    return PRECISIONS[name]


def load_kwargs(name: str) -> dict:
    """The ``from_pretrained`` arguments for a precision."""
    import torch
    from transformers import BitsAndBytesConfig

    spec = precision(name)
    kwargs = {"dtype": spec.rest}
    if spec.linear == "int8":
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    elif spec.linear.startswith(("nf4", "fp4")):
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=spec.linear[:3],
            bnb_4bit_use_double_quant=spec.linear.endswith("-dq"),
            bnb_4bit_compute_dtype=torch.float32,
        )
    return kwargs


def load_at(name: str):
    """``(model, tokenizer)``: the site's model at precision ``name``, in eval mode."""
    from ftlab.model import load_model

    if precision(name).linear == "int8":
        # On a CPU, bitsandbytes casts each int8 layer's fp32 input to fp16 and
        # logs a warning saying so on every call of every layer; page 04 says
        # it once instead.
        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
    model, tokenizer = load_model(**load_kwargs(name))
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False  # same numbers on every CPU
    return model, tokenizer


def heldout_text() -> str:
    """A few paragraphs of general English prose, shipped with the package."""
    return resources.files("ftlab").joinpath("data/heldout.txt").read_text(encoding="utf-8")


def cached_row(name: str, measure) -> dict:
    """``measure(name)``, a precision's row of page 04's table, cached under FTLAB_CACHE.

    Loading and scoring the seven precisions takes about two minutes on 2
    cores, and the page and its notebook ask for the same rows.  The cache key
    covers everything a row depends on: the precision's settings, the model,
    the held-out text, the question, the library versions, and the CPU's
    numerics (bf16, int8 and 4-bit kernels round differently on each
    instruction set, see :mod:`ftlab.cpu`).
    """
    import dataclasses

    from ftlab import cpu
    from ftlab.memory import WeightBytes
    from ftlab.model import model_name
    from ftlab.runs import cache_root, cached_json, digest, fingerprint

    parts = {
        "precision": dataclasses.asdict(precision(name)), "load": str(load_kwargs(name)),
        "question": QUESTION, "text": digest(heldout_text()), "cpu": cpu.numerics(),
    }
    key = fingerprint(parts, model=model_name(), packages=("torch", "transformers", "bitsandbytes"))

    def measured_row() -> dict:
        row = measure(name)
        return {**row, "stored": dataclasses.asdict(row["stored"])}

    row = cached_json(cache_root() / "scores" / f"precision-{name}-{key}.json", measured_row)
    return {**row, "stored": WeightBytes(**row["stored"])}


def perplexity(model, tokenizer, text: str | None = None) -> float:
    """exp(mean next-token loss) over the whole text, in one forward pass."""
    import torch

    ids = tokenizer(text or heldout_text(), return_tensors="pt")["input_ids"]
    limit = model.config.max_position_embeddings
    if ids.shape[1] > limit:
        raise ValueError(f"perplexity: text has {ids.shape[1]} tokens, the model reads at most {limit}")
    with torch.inference_mode():
        loss = model(input_ids=ids, labels=ids).loss
    return math.exp(loss.item())


def _chat_inputs(tokenizer, question: str):
    messages = [{"role": "user", "content": question}]
    return tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )


def greedy_answer(model, tokenizer, question: str = QUESTION, max_new_tokens: int = ANSWER_TOKENS) -> str:
    import torch

    inputs = _chat_inputs(tokenizer, question)
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()


def tokens_per_second(model, tokenizer, new_tokens: int = 32, repeats: int = 3) -> float:
    """Greedy generation speed: the best of ``repeats`` runs of exactly ``new_tokens`` tokens.

    The best run, not the mean, because on a shared machine other work only
    ever makes a run slower.
    """
    import torch

    inputs = _chat_inputs(tokenizer, QUESTION)
    best = math.inf
    with torch.inference_mode():
        model.generate(**inputs, max_new_tokens=2, do_sample=False)  # warm-up
        for _ in range(repeats):
            started = time.perf_counter()
            model.generate(**inputs, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
            best = min(best, time.perf_counter() - started)
    return new_tokens / best


SPEED_RESULTS = "04-precision-speed"
SPEED_COMMAND = "python -m ftlab.quantize speed"


def measure_speed(names: list[str] | None = None) -> dict:
    """Tokens/s for each precision (CPU), written to docs/results with provenance."""
    import gc
    import os

    import torch

    from ftlab.provenance import save_results

    rows = {}
    for name in names or list(PRECISIONS):
        model, tokenizer = load_at(name)
        load_before = os.getloadavg()[0]
        rows[name] = {
            "tokens_per_second": round(tokens_per_second(model, tokenizer), 2),
            "load_average_before": round(load_before, 2),  # other work on the machine slows it down
        }
        print(f"{name}: {rows[name]}", flush=True)
        del model
        gc.collect()
    save_results(SPEED_RESULTS, {"new_tokens": 32, "repeats": 3, "torch_threads": torch.get_num_threads(),
                                 "precisions": rows}, seed=None, command=SPEED_COMMAND)
    return rows


QLORA_RESULTS = "04-qlora"
QLORA_COMMAND = "python -m ftlab.quantize qlora"


# --8<-- [start:recipes]
LORA_LABEL, QLORA_LABEL = "LoRA, fp32 base", "QLoRA, NF4 base"
QLORA_STEPS = 6  # page 03 trains 24: a quarter keeps QLoRA's CPU run short
EVAL_PER_ROLE = 5  # 40 of the test split's 160 postings: keeps the test run short


def qlora_recipes(steps: int = QLORA_STEPS) -> dict:
    """Page 03's recipe, cut to ``steps`` steps, on the fp32 base and on an NF4 base."""
    from dataclasses import replace

    from ftlab.train import NAMED_RUNS

    short = replace(NAMED_RUNS["job-roles"], steps=steps)  # same adapter, data, rate, seed
    return {LORA_LABEL: short, QLORA_LABEL: replace(short, quantization="nf4")}


def eval_sample(per_role: int = EVAL_PER_ROLE) -> list[dict]:
    """``per_role`` test postings of each role, chosen with seed 0."""
    from ftlab import jobs
    from ftlab.train import balanced_subset

    return balanced_subset(jobs.load_split("test"), per_role * len(jobs.ROLES), "role", seed=0)
# --8<-- [end:recipes]


def evaluate_sample(run, per_role: int = EVAL_PER_ROLE):
    """:func:`ftlab.evaluate.evaluate` on :func:`eval_sample`: a Score, answers cached in the run folder."""
    from ftlab.evaluate import evaluate_records

    return evaluate_records(run, eval_sample(per_role), cache_name=f"test-{per_role}-per-role")


def adapter_dtypes(run) -> list[str]:
    """The dtypes a run's saved adapter weights are stored in (safetensors names: F32, BF16)."""
    from pathlib import Path

    from safetensors import safe_open

    with safe_open(str(Path(run) / "adapter_model.safetensors"), framework="pt") as weights:
        return sorted({weights.get_slice(name).get_dtype() for name in weights.keys()})


def measure_qlora() -> dict:
    """Train both recipes afresh, evaluate them, and record what each cost.

    Training figures come from each run's own log (``ftlab.train``: training
    time, and the peak resident memory of the process that trained);
    ``eval_seconds`` times :func:`evaluate_sample` (the page's evaluation),
    which generates the answers because a fresh run has none cached.  The
    load average before each run is kept: other work on the machine slows
    both down.
    """
    import dataclasses
    import os

    from ftlab.provenance import save_results
    from ftlab.train import losses, run_log, train_adapter

    rows = {}
    recipes = qlora_recipes()
    for label, config in recipes.items():
        load_before = os.getloadavg()
        started = time.perf_counter()
        run = train_adapter(config, fresh=True)  # time a run of its own, not the cache
        trained = time.perf_counter()
        score = evaluate_sample(run)
        log = run_log(run)
        rows[label] = {
            "config": dataclasses.asdict(config),
            "key": log["key"],
            "steps": config.steps,
            "train_seconds": round(log["train_seconds"], 1),
            "seconds_per_step": round(log["seconds_per_step"], 2),
            # Start-up, model loading (and quantizing) and training: the subprocess's wall time.
            "train_wall_seconds": round(trained - started, 1),
            "eval_seconds": round(time.perf_counter() - trained, 1),
            "eval_postings": score.total,
            "test_accuracy": round(score.accuracy, 4),
            "peak_rss_mb": round(log["peak_rss_mb"]),
            "loss_history": [round(loss, 4) for loss in losses(run)],  # checked by page 04's re-run
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
        print(f"{label}: {rows[label]}", flush=True)
    save_results(QLORA_RESULTS, {"runs": rows}, seed=recipes[LORA_LABEL].seed, command=QLORA_COMMAND)
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ftlab.quantize", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    speed = commands.add_parser("speed", help=f"time generation into docs/results/{SPEED_RESULTS}.json")
    speed.add_argument("precisions", nargs="*", help=f"default: all of {', '.join(PRECISIONS)}")
    commands.add_parser(
        "qlora", help=f"train page 03's recipe, shortened, with and without NF4 into docs/results/{QLORA_RESULTS}.json"
    )
    args = parser.parse_args(argv)
    if args.command == "qlora":
        measure_qlora()
        return 0
    for name in args.precisions:
        precision(name)  # fail before loading anything
    measure_speed(args.precisions or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
