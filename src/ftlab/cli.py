"""``python -m ftlab COMMAND``: the site's command-line tools.

Each command lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int`` (the exit status).  Only the module of the command
being run is imported, so ``--help`` stays fast and imports neither torch
nor matplotlib.
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
    "figures": ("ftlab.figures", "redraw the charts in docs/assets from the committed results (--check: compare)"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` command's module is imported to add its options."""
    parser = argparse.ArgumentParser(prog="python -m ftlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(chosen).parse_args(argv)
    return importlib.import_module(args._module).run(args)


if __name__ == "__main__":
    sys.exit(main())
