"""Page: Scaling past one machine (docs/07-scaling.md).

Accelerate config files for data parallel (DDP), FSDP and DeepSpeed, checked
against accelerate's own parsers; then page 03's LoRA training launched as two
processes on this machine's CPU, compared with the one-process run.  The
launching and measuring code is ftlab.scaling's (the page shows it); the
measurement itself is ``python -m ftlab measure scaling``.
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
import subprocess
import tempfile

from ftlab.scaling import free_port

# One write per line: the processes share one pipe, and a line written in
# pieces by two processes at once could come out interleaved.
REPORT = """import sys
from accelerate import PartialState
state = PartialState(cpu=True)
sys.stdout.write(f"{state.process_index} {state.num_processes} {state.backend}\\n")
sys.stdout.flush()
"""


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
from ftlab.scaling import split_over_two
from ftlab.train import NAMED_RUNS

two = split_over_two(NAMED_RUNS["job-roles"])
print(f"{two.processes} processes x {two.batch_size // two.processes} postings = {two.batch_size} per step, "
      f"{two.steps} steps")
# --8<-- [end:launch]

# --8<-- [start:first-steps]
from ftlab.scaling import ddp_launcher
from ftlab.train import first_steps, losses, train_adapter

STEPS = 4  # the first 4 losses do not depend on the run's length (see first_steps)
one_process = losses(train_adapter("job-roles"))[:STEPS]  # page 03's run, from the cache
two_processes = first_steps(split_over_two(NAMED_RUNS["job-roles"]), STEPS, launcher=ddp_launcher())
print(f"{'step':>4} {'1 process':>9} {'2 processes':>11}")
for step, (one, two) in enumerate(zip(one_process, two_processes), start=1):
    print(f"{step:4} {one:9.3f} {two:11.3f}")
worst = max(abs(two - one) / one for one, two in zip(one_process, two_processes))
print(f"2 processes reproduce 1 process's losses within 1%: {worst < 0.01}")
# --8<-- [end:first-steps]

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
