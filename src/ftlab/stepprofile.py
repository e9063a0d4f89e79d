"""``python -m ftlab.stepprofile``: where a training step of page 03's recipe spends its time.

It builds page 03's trainer (:func:`ftlab.train.sft_trainer`), runs a few
steps under ``torch.profiler`` and sums what the profiler saw three ways: by
phase (forward, backward, optimizer), by operator (self time: the operator's
own work, not what it calls), and the share spent on tensors with a
vocabulary-sized dimension (the LM head's logits and the loss over them).
It writes ``docs/results/03-step-profile.json`` with provenance; page 03
prints it, and the test run profiles one step again to check its shape.
"""

from __future__ import annotations

# --8<-- [start:profile-imports]
import dataclasses
import sys
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function, schedule
from transformers import PrinterCallback, TrainerCallback

from ftlab.provenance import load_results, save_results
from ftlab.train import NAMED_RUNS, TrainConfig, sft_trainer
# --8<-- [end:profile-imports]

RESULTS = "03-step-profile"
COMMAND = "python -m ftlab.stepprofile"
WARMUP_STEPS = 1  # the first step also builds the optimizer's state: not a typical step
PROFILED_STEPS = 3
VOCABULARY_CHUNK = 8192


# --8<-- [start:profile]
def profile_training(config: TrainConfig, *, warmup: int = 1, active: int = 3):
    """Train ``warmup + active`` steps of ``config``; return the profiler, which saw the last ``active``."""
    with tempfile.TemporaryDirectory() as scratch:
        trainer = sft_trainer(dataclasses.replace(config, steps=warmup + active), Path(scratch))
        # Name the two phases the Trainer does not name itself (the optimizer's
        # step is recorded as "Optimizer.step#AdamW.step" already).
        compute_loss, backward = trainer.compute_loss, trainer.accelerator.backward

        def labelled_loss(*args, **kwargs):
            with record_function("phase: forward"):
                return compute_loss(*args, **kwargs)

        def labelled_backward(*args, **kwargs):
            with record_function("phase: backward"):
                return backward(*args, **kwargs)

        trainer.compute_loss, trainer.accelerator.backward = labelled_loss, labelled_backward
        profiler = profile(
            activities=[ProfilerActivity.CPU],
            record_shapes=True,  # to find the operators on vocabulary-sized tensors
            schedule=schedule(wait=0, warmup=warmup, active=active, repeat=1),  # one cycle, then stop
        )

        class StepTheProfiler(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                profiler.step()

        trainer.add_callback(StepTheProfiler())
        trainer.remove_callback(PrinterCallback)  # no log lines in the middle of the page's output
        with profiler:
            trainer.train()
    return profiler
# --8<-- [end:profile]


def summarize(profiler, *, steps: int, vocabulary: int, top: int = 8) -> dict:
    """Milliseconds per step by phase and by operator, and the vocabulary-sized share."""
    events = profiler.key_averages()
    inclusive = {e.key: e.cpu_time_total / 1000 / steps for e in events}
    step_ms = sum(ms for key, ms in inclusive.items() if key.startswith("ProfilerStep"))
    phases = {
        "forward": inclusive.get("phase: forward", 0.0),
        "backward": inclusive.get("phase: backward", 0.0),
        "optimizer": sum(ms for key, ms in inclusive.items() if key.startswith("Optimizer.")),
    }
    phases["other"] = step_ms - sum(phases.values())
    operators = sorted((e for e in events if e.key.startswith("aten::")), key=lambda e: -e.self_cpu_time_total)
    all_self_ms = sum(e.self_cpu_time_total for e in events) / 1000 / steps
    by_shape = profiler.key_averages(group_by_input_shape=True)
    vocabulary_ms = sum(
        e.self_cpu_time_total for e in by_shape if e.key.startswith("aten::") and _on_vocabulary(e.input_shapes)
    ) / 1000 / steps
    return {
        "step_ms": round(step_ms, 1),
        "phases_ms": {name: round(ms, 1) for name, ms in phases.items()},
        "operators": [
            {"name": e.key, "self_ms": round(e.self_cpu_time_total / 1000 / steps, 1),
             "calls": e.count // steps}
            for e in operators[:top]
        ],
        "profiled_self_ms": round(all_self_ms, 1),
        "vocabulary": vocabulary,
        "vocabulary_ms": round(vocabulary_ms, 1),
    }


def _on_vocabulary(shapes) -> bool:
    """Whether an operator's inputs have a vocabulary-sized dimension.

    TRL scores the vocabulary in chunks (32,768 and 16,384 words for this
    model's 49,152), so a dimension of VOCABULARY_CHUNK or more counts: in a
    135M model nothing else is that large (the MLP's width is 1,536).
    """
    return any(isinstance(dim, int) and dim >= VOCABULARY_CHUNK
               for shape in shapes if isinstance(shape, list) for dim in shape)


def measure(config: TrainConfig = NAMED_RUNS["job-roles"]) -> dict:
    profiler = profile_training(config, warmup=WARMUP_STEPS, active=PROFILED_STEPS)
    vocabulary = _vocabulary_size()
    results = {
        "run": "job-roles",
        "run_key": config.key(),
        "warmup_steps": WARMUP_STEPS,
        "profiled_steps": PROFILED_STEPS,
        "torch_threads": torch.get_num_threads(),
        **summarize(profiler, steps=PROFILED_STEPS, vocabulary=vocabulary),
    }
    save_results(RESULTS, results, seed=config.seed, command=COMMAND)
    return results


def _vocabulary_size() -> int:
    from ftlab.model import load_tokenizer

    return len(load_tokenizer())


def committed() -> dict:
    return load_results(RESULTS)


def main(argv: list[str]) -> int:
    if argv:
        print(f"usage: {COMMAND}   (no options: profiles page 03's recipe)", file=sys.stderr)
        return 2
    results = measure()
    print(f"{results['step_ms']:.0f} ms per step; phases {results['phases_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
