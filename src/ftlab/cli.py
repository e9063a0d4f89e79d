"""``python -m ftlab COMMAND``: the site's command-line tools.

Each command lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int`` (the exit status).  Modules are imported only when
their command runs, so ``--help`` stays fast and does not import torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command name -> (module, one-line help)
COMMANDS = {
    "model": ("ftlab.model_cli", "convert / check the offline base model"),
    "validate": ("ftlab.validate", "check a training-data file and report every problem"),
    "predict": ("ftlab.predict_cli", "classify job postings (JSON Lines) with the base model or an adapter"),
    "serve": ("ftlab.serve", "serve merged fine-tuned models over an OpenAI-compatible HTTP API"),
    "measure": ("ftlab.experiments", "regenerate committed docs/results files (heavy: minutes to hours)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ftlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        # argparse needs each command's options before parsing; importing the
        # module here is cheap because the modules keep heavy imports local.
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return importlib.import_module(args._module).run(args)


if __name__ == "__main__":
    sys.exit(main())
