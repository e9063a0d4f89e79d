"""``python -m ftlab model``: convert the offline base model now, or check it."""

from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument(
        "--rebuild", action="store_true", help="delete the converted copy and convert again"
    )


def run(args) -> int:
    import shutil

    from ftlab import model

    try:
        if args.rebuild:
            shutil.rmtree(model.converted_dir(), ignore_errors=True)
        path = model.ensure_converted()
    except model.ModelUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0
