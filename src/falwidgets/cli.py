"""The ``falwidgets`` command: one dispatcher, each subcommand owned by its layer.

Each layer's ``_cli`` module (and ``_run_cli`` for ``run``, an application command that may
start the local server) exposes ``add_parser(subparsers)`` which registers its subcommand and
sets ``func`` (taking the parsed ``argparse.Namespace`` and returning an exit code). Modules are
imported only for the subcommand that runs, so ``falwidgets serve`` never imports ipywidgets.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module with add_parser, one-line help)
_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("falwidgets._run_cli", "submit a request, stream status and logs, print the result"),
    "serve": ("falwidgets.server._cli", "run the fal-compatible local queue server"),
    "schema": ("falwidgets.widgets._cli", "check that endpoint schemas build complete forms"),
    "proxy": ("falwidgets.proxy._cli", "run a key-holding workshop proxy"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="falwidgets", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = argv[0] if argv and argv[0] in _COMMANDS else None
    for name, (module, help_text) in _COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    args = parser.parse_args(argv)
    if chosen is None:
        parser.print_help()
        return 0 if not argv else 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
