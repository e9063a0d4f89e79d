"""Placeholder: the training-data validator (issue 3) replaces this module."""


def add_arguments(parser) -> None:
    parser.add_argument("file")


def run(args) -> int:
    raise SystemExit("validate: not written yet")
