"""The heavy experiments behind ``docs/results/``: one registry, one command.

Every committed results file is made by one experiment listed here, and
everything that names the experiments reads this list: the command
``python -m ftlab measure NAME`` (``--all`` for every CPU one, which is what
``make results`` runs), the README's table (``--readme`` prints it; a test
checks the README holds exactly that), and the test that every committed file
was written by its experiment's command.

An experiment runs as its own process with the command recorded in its
results file, so what the file says made it is what ran.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from ftlab import figures
from ftlab.provenance import site_root


@dataclass(frozen=True)
class Experiment:
    name: str
    results: str  # docs/results/<results>.json
    argv: tuple[str, ...]  # after ``python``, run from the repository's root
    writes: str  # what the file holds, for the README
    pages: str
    needs_cuda: bool = False
    # The command recorded in the committed file, when an older command wrote
    # it (the file says so; the next run of ``command`` replaces it).
    committed_by: str | None = None

    @property
    def command(self) -> str:
        return " ".join(("python",) + self.argv)


EXPERIMENTS = (
    Experiment(
        "lora-speed", "03-lora", ("-m", "ftlab.bench", "--time-to", "0.95"),
        "matmul peak, LoRA and full fine-tuning s/step, tokens/s, MFU, peak RSS, accuracy, "
        "perplexity; one 160-step LoRA run scored every 40 steps", "03",
    ),
    Experiment(
        "step-profile", "03-step-profile", ("-m", "ftlab.stepprofile"),
        "one training step of page 03's recipe under torch.profiler: ms by phase and by operator, "
        "the share on vocabulary-sized tensors", "03",
    ),
    Experiment(
        "step-speed", "03-step-speed", ("-m", "ftlab.stepspeed"),
        "page 03's 24-step run once per way of computing a step (TRL's own, answer-only logits, eager "
        "attention, bf16 autocast, together): s/step, tokens/s, MFU, every loss, test accuracy", "03",
    ),
    Experiment(
        "sweep", "03-sweep", ("-m", "ftlab.sweep"),
        "page 03's recipe with the cheap step at 3 learning rates and 2 lengths, scored on the "
        "validation split only; the choice", "03",
    ),
    Experiment(
        "data-quality", "02-data-quality", ("-m", "ftlab.dataquality"),
        "page 03's chosen recipe on 500 clean postings, 5,000 noisy ones (0%, 10% and 30% wrong labels), two "
        "of them after `validate --fix`, two budgets, 3 seeds for two arms: every loss and answer; "
        "`docs/assets/02-data-quality.svg`", "02",
    ),
    Experiment(
        "precision-speed", "04-precision-speed", ("-m", "ftlab.quantize", "speed"),
        "generation tokens/s per precision", "04",
    ),
    Experiment("qlora", "04-qlora", ("-m", "ftlab.quantize", "qlora"), "LoRA vs QLoRA time and memory", "04"),
    Experiment(
        "training-memory", "04-training-memory", ("-m", "ftlab.memory", "measure", "--device", "cuda"),
        "measured peak GPU memory of training steps (7B QLoRA, SmolLM2 LoRA) against the estimate", "04", needs_cuda=True,
    ),
    Experiment(
        "scaling", "scaling", ("-m", "ftlab.scaling"),
        "page 03's run with 1 and 2 processes", "07",
    ),
    Experiment(
        "scaling-gpu", "scaling_gpu", ("-m", "ftlab.scaling", "--gpu"),
        "page 03's recipe on a GPU: s/step, peak GPU memory, accuracy", "07", needs_cuda=True,
        # Measured before the code moved from snippets/07_scaling.py into
        # ftlab.scaling; not re-measured since (it needs a CUDA GPU).
        committed_by="python snippets/07_scaling.py --measure-gpu",
    ),
    Experiment(
        "preference", "05-preference", ("-m", "ftlab.preference", "measure"),
        "DPO, reward model and GRPO runs, every logged step, scores", "05",
    ),
    Experiment(
        "ladder", "06-ladder", ("-m", "ftlab.ladder", "measure"),
        "all seven rungs on the test split, with every answer; `docs/assets/06-ladder.svg`, "
        "`06-confusion-lora.svg`", "06, 01",
    ),
    Experiment(
        "learning-curve", "06-learning-curve", ("-m", "ftlab.ladder", "curve"),
        "LoRA accuracy by number of training examples; `docs/assets/06-learning-curve.svg`", "06",
    ),
    Experiment(
        "baselines", "06-baselines", ("-m", "ftlab.baselines", "measure"),
        "TF-IDF and MiniLM-embedding logistic regressions, SmolLM2 with a LoRA classification head "
        "(learning rate chosen on validation), every prediction", "06, 01",
    ),
    Experiment(
        "page-costs", "page-costs", ("-m", "ftlab.pagecosts"),
        "every page's code run in a process of its own, pages in order from an empty cache: seconds and "
        "peak memory per page (each page's cost box)", "all",
    ),
    Experiment(
        "serving", "08-serving", ("-m", "ftlab.call", "measure"),
        "every test posting through the server, 200 requests at 1, 4 and 8 at a time, "
        "the same postings in-process", "08",
    ),
)
BY_NAME = {experiment.name: experiment for experiment in EXPERIMENTS}


def readme_table() -> str:
    """The README's table of experiments, one row each, in the order ``--all`` runs them."""
    rows = ["| command | writes | page |", "|---|---|---|"]
    for e in EXPERIMENTS:
        gpu = " (needs a CUDA GPU)" if e.needs_cuda else ""
        rows.append(f"| `python -m ftlab measure {e.name}` | `{e.results}.json`{gpu}: {e.writes} | {e.pages} |")
    return "\n".join(rows)


def run_experiment(experiment: Experiment) -> int:
    """Run one experiment in a process of its own, from the repository's root; its exit status.

    The charts drawn from its results file (``ftlab.figures``) are redrawn after it.
    """
    print(f"== {experiment.name}: {experiment.command}", flush=True)
    status = subprocess.run([sys.executable, *experiment.argv], cwd=site_root()).returncode
    if status == 0:
        for name in figures.redraw(experiment.results):
            print(f"redrew docs/assets/{name}", flush=True)
    return status


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of: {', '.join(BY_NAME)}")
    parser.add_argument("--all", action="store_true", help="every experiment that runs on a CPU, in turn")
    parser.add_argument("--list", action="store_true", help="print the experiments and stop")
    parser.add_argument("--readme", action="store_true", help="print the README's table and stop")


def run(args) -> int:
    if args.list or args.readme:
        print(readme_table() if args.readme else "\n".join(f"{e.name:16} {e.command}" for e in EXPERIMENTS))
        return 0
    unknown = [name for name in args.names if name not in BY_NAME]
    if unknown or not (args.names or args.all):
        reason = f"unknown experiment {', '.join(unknown)}" if unknown else "name an experiment or give --all"
        print(f"python -m ftlab measure: {reason}; known: {', '.join(BY_NAME)}", file=sys.stderr)
        return 2
    chosen = [e for e in EXPERIMENTS if not e.needs_cuda] if args.all else [BY_NAME[n] for n in args.names]
    for experiment in chosen:
        status = run_experiment(experiment)
        if status != 0:
            print(f"{experiment.name} failed (exit {status}); later experiments not run", file=sys.stderr)
            return status
    return 0
