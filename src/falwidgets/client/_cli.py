"""``falwidgets run ENDPOINT --input JSON|@file.json [--base-url URL] [--logs] [--json]``.

Live status and logs go to stderr, the result JSON to stdout; exit 0 on success, 1 with the error
message on failure. With neither ``--base-url`` nor a key in the environment, the embedded local
server is started (imported lazily: the client library itself never imports the server), so the
README's first command works on a fresh machine with no key.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="submit a request, stream status and logs, print the result",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("endpoint", help="endpoint id, e.g. fal-ai/flux-realism")
    parser.add_argument(
        "--input", "-i", default="{}", help="input JSON, or @path to a JSON file (default: {})"
    )
    parser.add_argument("--base-url", help="send every call to this server (e.g. a local one)")
    parser.add_argument("--proxy-url", help="send every call through this fal proxy")
    parser.add_argument("--logs", action="store_true", help="print the model's log lines")
    parser.add_argument("--json", action="store_true", help="print status updates as JSON lines")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="total seconds to wait (default 900)"
    )
    parser.set_defaults(func=main)
    return parser


def _arguments(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            text = path.read_text()
        except OSError as error:
            raise SystemExit(f"falwidgets run: cannot read --input file {path}: {error}") from None
    try:
        value = json.loads(text)
    except ValueError as error:
        raise SystemExit(f"falwidgets run: --input is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise SystemExit("falwidgets run: --input must be a JSON object")
    return value


def _has_key() -> bool:
    return bool(
        os.environ.get("FAL_KEY")
        or (os.environ.get("FAL_KEY_ID") and os.environ.get("FAL_KEY_SECRET"))
    )


def _describe(status: Any, started: float) -> str:
    from falwidgets.client import Completed, InProgress, Queued

    elapsed = time.monotonic() - started
    if isinstance(status, Queued):
        return f"[{elapsed:6.1f}s] queued (position {status.position})"
    if isinstance(status, InProgress):
        return f"[{elapsed:6.1f}s] in progress"
    if isinstance(status, Completed):
        if status.error:
            return f"[{elapsed:6.1f}s] failed: {status.error}"
        return f"[{elapsed:6.1f}s] completed {json.dumps(status.metrics)}"
    return f"[{elapsed:6.1f}s] {status!r}"


def main(args: argparse.Namespace) -> int:
    from falwidgets.client import Client, FalError
    from falwidgets.client._urls import parse_endpoint

    try:  # before starting a server or reading any file
        parse_endpoint(args.endpoint)
        if not args.timeout > 0:
            raise ValueError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    except ValueError as error:
        print(f"falwidgets run: {error}", file=sys.stderr)
        return 1
    arguments = _arguments(args.input)
    server = None
    base_url = args.base_url
    if not base_url and not args.proxy_url and not _has_key():
        from falwidgets.server import serve  # lazily: only the CLI ever starts a server

        server = serve(port=0)
        base_url = server.url
        print(
            f"falwidgets: no FAL_KEY and no --base-url: using the embedded local server at "
            f"{base_url}",
            file=sys.stderr,
        )
    err = sys.stderr
    started = time.monotonic()
    last_line = ""
    try:
        with Client(base_url=base_url, proxy_url=args.proxy_url) as client:
            handle = client.submit(args.endpoint, arguments)
            print(f"submitted {args.endpoint}: request {handle.request_id}", file=err)
            for status in handle.events(logs=args.logs, timeout=args.timeout):
                if args.json:
                    payload = {"status": type(status).__name__, **vars(status)}
                    print(json.dumps(payload, default=str), file=err)
                else:
                    line = _describe(status, started)
                    if line.split("] ", 1)[-1] != last_line:
                        print(line, file=err)
                        last_line = line.split("] ", 1)[-1]
                    if args.logs:
                        for entry in getattr(status, "logs", []):
                            print(f"  | {entry.get('message', '')}", file=err)
            result = handle.result(timeout=max(1.0, args.timeout - (time.monotonic() - started)))
    except FalError as error:
        print(f"falwidgets run: {type(error).__name__}: {error}", file=err)
        return 1
    except (ValueError, TypeError, OSError) as error:  # bad arguments, unreadable files
        print(f"falwidgets run: {type(error).__name__}: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        print("falwidgets run: interrupted", file=err)
        return 130
    finally:
        if server is not None:
            server.stop()
    json.dump(result, sys.stdout, indent=None if args.json else 2)
    sys.stdout.write("\n")
    return 0
