"""Page: Scaling past one machine (docs/07-scaling.md).

Accelerate config files for data parallel (DDP), FSDP and DeepSpeed, checked
against accelerate's own parsers; then page 03's LoRA training launched as two
processes on this machine's CPU, compared with the one-process run.
"""

# --8<-- [start:check-configs]
from pathlib import Path

from accelerate.commands.config.config_args import ClusterConfig
from accelerate.commands.launch import launch_command_parser

CONFIGS = Path("snippets/configs")


def unknown_settings(config: ClusterConfig) -> list[str]:
    """FSDP / DeepSpeed settings that `accelerate launch` would not recognise."""
    nested = {**config.fsdp_config, **config.deepspeed_config}
    flags = [f"--{key}={value}" for key, value in nested.items()]
    _, unknown = launch_command_parser().parse_known_args(flags + ["train.py"])
    return unknown


print(f"{'config file':26} {'engine':10} {'processes':>9}  {'precision':9}  unknown settings")
for path in sorted(CONFIGS.glob("*.yaml")):
    config = ClusterConfig.from_yaml_file(path)  # refuses unknown top-level keys
    unknown = ", ".join(unknown_settings(config)) or "none"
    print(
        f"{path.name:26} {config.distributed_type.value:10} {config.num_processes:>9}  "
        f"{config.mixed_precision:9}  {unknown}"
    )
# --8<-- [end:check-configs]

# --8<-- [start:count-processes]
import socket
import subprocess
import tempfile

# One write per line: the processes share one pipe, and a line written in
# pieces by two processes at once could come out interleaved.
REPORT = """import sys
from accelerate import PartialState
state = PartialState(cpu=True)
sys.stdout.write(f"{state.process_index} {state.num_processes} {state.backend}\\n")
sys.stdout.flush()
"""


def free_port() -> int:
    """A port for the processes to meet on (another run may hold the default)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_started(options: list[str]) -> str:
    """Launch a script that only reports who it is, and count the reports."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "report.py")
        script.write_text(REPORT)
        command = ["accelerate", "launch", *options, "--main_process_port", str(free_port()), str(script)]
        reports = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split("\n")
    ranks = sorted(line.split() for line in reports if line.strip())
    return f"{len(ranks)} process(es), world size {ranks[0][1]}, backend {ranks[0][2]}"


for options in (["--cpu", "--num_processes", "2"], ["--config_file", "snippets/configs/ddp_cpu.yaml"]):
    print(f"accelerate launch {' '.join(options)}: {processes_started(options)}")
# --8<-- [end:count-processes]

# --8<-- [start:launch]
from dataclasses import replace

from ftlab.train import NAMED_RUNS, run_log, train_adapter


def split_over_two(config):
    """The same run by two processes: each takes half of every batch of 8 postings."""
    return replace(config, processes=2)


def ddp_launcher() -> list[str]:
    """The command that starts two training processes (``train_adapter`` appends ``-m ftlab.train ...``)."""
    return [
        "accelerate", "launch", "--config_file", "snippets/configs/ddp_cpu.yaml",
        "--main_process_port", str(free_port()),
    ]


def train_both(config) -> tuple[Path, Path]:
    """``config`` trained by one process, and by two processes launched by accelerate."""
    # Both runs are cached under FTLAB_CACHE by a key of their config, like every run on the site.
    return train_adapter(config), train_adapter(split_over_two(config), launcher=ddp_launcher())



two = split_over_two(NAMED_RUNS["job-roles"])
print(f"{two.processes} processes x {two.batch_size // two.processes} postings = {two.batch_size} per step, "
      f"{two.steps} steps")
# --8<-- [end:launch]

# --8<-- [start:compare]
import json

from safetensors import safe_open

from ftlab.evaluate import evaluate


def adapter_shape(run: Path) -> tuple:
    """What kind of adapter a run saved: type, rank, target modules, tensor shapes."""
    config = json.loads((run / "adapter_config.json").read_text())
    with safe_open(str(run / "adapter_model.safetensors"), framework="pt") as weights:
        shapes = {name: tuple(weights.get_slice(name).get_shape()) for name in weights.keys()}
    return config["peft_type"], config["r"], sorted(config["target_modules"]), shapes


def compare(single_run: Path, ddp_run: Path) -> dict:
    """Same kind of adapter?  How far apart are the accuracies on the 160 test postings?"""
    one, two = evaluate(single_run), evaluate(ddp_run)
    return {
        "same_kind_of_adapter": adapter_shape(single_run) == adapter_shape(ddp_run),
        "test_accuracies": [one.accuracy, two.accuracy],
        "accuracy_gap": round(abs(one.accuracy - two.accuracy), 4),
        "same_answers": sum(a == b for a, b in zip(one.answers, two.answers)),
        "postings": one.total,
    }

# --8<-- [end:compare]

# --8<-- [start:first-steps]
from ftlab.train import first_steps, losses

STEPS = 4  # the first 4 losses do not depend on the run's length (see first_steps)
one_process = losses(train_adapter("job-roles"))[:STEPS]  # page 03's run, from the cache
two_processes = first_steps(split_over_two(NAMED_RUNS["job-roles"]), STEPS, launcher=ddp_launcher())
print(f"{'step':>4} {'1 process':>9} {'2 processes':>11}")
for step, (one, two) in enumerate(zip(one_process, two_processes), start=1):
    print(f"{step:4} {one:9.3f} {two:11.3f}")
worst = max(abs(two - one) / one for one, two in zip(one_process, two_processes))
print(f"2 processes reproduce 1 process's losses within 1%: {worst < 0.01}")
# --8<-- [end:first-steps]

# --8<-- [start:measure]
import os
import shutil
import sys

from ftlab.provenance import save_results
from ftlab.evaluate import evaluate
from ftlab.train import run_dir


def result_row(run: Path, test_accuracy: float, load_before: float) -> dict:
    log = run_log(run)
    return {
        "processes": log["processes"],
        "batch_per_process": log["config"]["batch_size"] // log["processes"],
        "steps": log["config"]["steps"],
        "seconds_per_step": round(log["seconds_per_step"], 2),
        "train_seconds": round(log["train_seconds"], 1),
        "wall_seconds": round(log["wall_seconds"], 1),  # with start-up and model loading
        "final_loss": round(log["final_loss"], 4),
        "test_accuracy": round(test_accuracy, 4),
        "load_average_before": round(load_before, 2),  # other work slows a run down
        "run_key": log["key"],  # config, data, model and versions it was trained with
    }


def measure() -> None:
    """Train both runs again, back to back, and write docs/results/scaling.json.

    With ``--reuse``, runs already in the cache are not trained again: their
    logs hold the times (and the load average) of when they were trained.
    """
    full_recipe = NAMED_RUNS["job-roles"]  # page 03's run, all 24 steps
    if "--reuse" not in sys.argv:
        for config in (full_recipe, split_over_two(full_recipe)):
            shutil.rmtree(run_dir(config), ignore_errors=True)  # time fresh runs, not the cache
    runs = train_both(full_recipe)
    rows = [result_row(run, evaluate(run).accuracy, run_log(run)["load_average_before"]) for run in runs]
    save_results("scaling", {"runs": rows, "comparison": compare(*runs)}, seed=full_recipe.seed,
                 command="python snippets/07_scaling.py --measure")


if "--measure" in sys.argv:
    measure()
# --8<-- [end:measure]

# --8<-- [start:gpu]
import contextlib
import tempfile

import torch


@contextlib.contextmanager
def trainer_on_the_gpu():
    """ftlab.train pins SFTConfig(use_cpu=True) for the CI machine; lift that one setting."""
    import trl

    pinned = trl.SFTConfig

    class OnTheGPU(pinned):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "use_cpu": False})

    trl.SFTConfig = OnTheGPU
    try:
        yield
    finally:
        trl.SFTConfig = pinned


def measure_gpu() -> None:
    """Page 03's run, unchanged, on one CUDA GPU: writes docs/results/scaling_gpu.json."""
    from ftlab import jobs, train
    from ftlab.predict import score
    from ftlab.train import load_trained

    if not torch.cuda.is_available():
        raise SystemExit("--measure-gpu needs a CUDA GPU")
    with tempfile.TemporaryDirectory() as out, trainer_on_the_gpu():
        load_before = os.getloadavg()[0]
        train.main([NAMED_RUNS["job-roles"].to_json(), out])  # in this process, so the override applies
        assert torch.cuda.max_memory_allocated() > 0, "training did not use the GPU"
        accuracy = score(*load_trained(Path(out)), jobs.load_split("test")).accuracy
        row = result_row(Path(out), accuracy, load_before)
    row["peak_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    save_results("scaling_gpu", {"runs": [row]}, seed=NAMED_RUNS["job-roles"].seed,
                 command="python snippets/07_scaling.py --measure-gpu")


if "--measure-gpu" in sys.argv:
    measure_gpu()
# --8<-- [end:gpu]

# --8<-- [start:results]
from ftlab.provenance import load_results, machine_line

cpu, gpu = load_results("scaling"), load_results("scaling_gpu")
rows = [(f"CPU, {run['processes']} process(es)", run) for run in cpu["results"]["runs"]]
rows += [(gpu["provenance"]["device"].removeprefix("cuda:"), run) for run in gpu["results"]["runs"]]
print(f"{'run':20} {'batch each':>10} {'steps':>5} {'s/step':>7} {'train s':>8} {'wall s':>7} {'test acc':>8}")
for name, run in rows:
    print(
        f"{name:20} {run['batch_per_process']:>10} {run['steps']:>5} {run['seconds_per_step']:>7.2f} "
        f"{run['train_seconds']:>8.1f} {run['wall_seconds']:>7.1f} {run['test_accuracy']:>8.1%}"
    )
comparison = cpu["results"]["comparison"]
print("same kind of adapter:", comparison["same_kind_of_adapter"])
print("test accuracies within 5 points of each other:", comparison["accuracy_gap"] <= 0.05)
print(f"identical answers: {comparison['same_answers']} of {comparison['postings']} postings")
for record in (cpu, gpu):
    machine = record["provenance"]
    print(f"{machine['device']}: {machine_line(record)}, torch {machine['versions']['torch']}, {machine['date']}")
# --8<-- [end:results]
