"""``falwidgets run ENDPOINT --input JSON|@file.json [--base-url URL] [--logs] [--json]``.

An application command, not part of the client layer: it may start the embedded local server, so
it lives beside the top-level ``cli`` dispatcher (the client package never imports the server).

Live status and logs go to stderr, the result JSON to stdout; exit 0 on success, 1 with the error
message on failure (130 on Ctrl-C). With neither ``--base-url`` nor a key in the environment, the
embedded local server is started (imported lazily, only for this command), so the README's
first command works on a fresh machine with no key; its result URLs die with the command, so
its media are saved under ``./falwidgets-out/<request-id>/`` unless ``--out`` says where.
Ctrl-C cancels the request. A ``--timeout`` on the embedded server cancels it (the server is
going away); elsewhere the request keeps running and the shell commands to
``--resume`` or ``--cancel`` it are printed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_parser"]

DESCRIPTION = (
    "Submit a request to a fal endpoint, show live status and logs on stderr, and print the "
    "result JSON on stdout. With no FAL_KEY and no --base-url an embedded local server runs "
    "the request, and the media it makes are saved under ./falwidgets-out/REQUEST_ID/."
)
DEFAULT_OUT = Path("falwidgets-out")
CANCEL_WAIT = 5.0  # seconds a best-effort cancel may take on the way out


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="submit a request, stream status and logs, print the result",
        description=DESCRIPTION,
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
    parser.add_argument(
        "--out",
        type=Path,
        help="save every media file of the result into this directory (default: none, or "
        "./falwidgets-out/REQUEST_ID/ with the embedded local server)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--resume", metavar="REQUEST_ID", help="wait for an earlier request and print its result"
    )
    which.add_argument("--cancel", metavar="REQUEST_ID", help="cancel an earlier request")
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


def _again(args: argparse.Namespace, flag: str, request_id: str) -> str:
    """The exact shell command that resumes or cancels ``request_id`` (never a Python call)."""
    from falwidgets.client._errors import redact_url

    words = ["falwidgets", "run", args.endpoint, flag, request_id]
    if args.base_url:
        words += ["--base-url", args.base_url]
    if args.proxy_url:  # a token in the proxy URL is shown as ***: the user puts theirs back
        words += ["--proxy-url", redact_url(args.proxy_url) or ""]
    if flag == "--resume" and args.out:
        words += ["--out", str(args.out)]
    return " ".join(shlex.quote(w) for w in words)


def _cancel_quietly(client: Any, handle: Any, err: TextIO, why: str) -> None:
    """Best effort, within ``CANCEL_WAIT`` seconds: say what happened either way."""
    from falwidgets.client import FalError
    from falwidgets.client._retry import Deadline

    try:
        op = client._engine.cancel(handle.ref, deadline=Deadline(CANCEL_WAIT))
        state = client._run(op)
    except (FalError, OSError) as error:
        print(
            f"falwidgets run: {why}; could not cancel request {handle.request_id}: {error}",
            file=err,
        )
        return
    said = "it had already completed" if state == "ALREADY_COMPLETED" else "cancelled it"
    print(f"falwidgets run: {why}; {said} (request {handle.request_id})", file=err)


def _follow(args: argparse.Namespace, handle: Any, started: float, err: TextIO) -> Any:
    last_line = ""
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
    return handle.result(timeout=max(1.0, args.timeout - (time.monotonic() - started)))


def _earlier(client: Any, endpoint: str, request_id: str) -> Any:
    """A handle on an earlier request: the journal's stored URLs, else the endpoint-id rules;
    a submit whose answer was lost (``ambiguous-…``) is looked up in fal's request history."""
    from falwidgets.client import Handle
    from falwidgets.client._reconcile import PREFIX

    if request_id.startswith(PREFIX):
        return client.recover(request_id)
    try:
        handle = client.resume(request_id)
    except KeyError:
        handle = None
    if handle is None or not handle.ref.status_url:  # not queued here: a run, a stream, a 422
        handle = Handle.from_request_id(client, endpoint, request_id)
    return handle


def _save(result: Any, directory: Path, err: TextIO) -> None:
    from falwidgets.client._download import download_media

    saved = download_media(result, directory)
    if not saved:
        print(f"falwidgets run: no media files in the result to save in {directory}", file=err)
    for path in saved:
        print(f"saved {path}", file=err)


def main(args: argparse.Namespace) -> int:
    from falwidgets.client import Client, DeadlineExceeded, FalError
    from falwidgets.client._auth import has_credentials
    from falwidgets.client._urls import parse_endpoint

    try:  # before starting a server or reading any file
        parse_endpoint(args.endpoint)
        if not args.timeout > 0:
            raise ValueError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    except ValueError as error:
        print(f"falwidgets run: {error}", file=sys.stderr)
        return 1
    err = sys.stderr
    earlier = args.resume or args.cancel
    embedded = not args.base_url and not args.proxy_url and not has_credentials()
    if earlier and embedded:
        print(
            "falwidgets run: --resume and --cancel need the server that has the request: pass "
            "its --base-url (or set FAL_KEY for fal.ai)",
            file=err,
        )
        return 1
    arguments = {} if earlier else _arguments(args.input)
    server = None
    base_url = args.base_url
    if embedded:
        from falwidgets.server import serve  # lazily: only the CLI ever starts a server

        server = serve(port=0)
        base_url = server.url
        print(
            f"falwidgets: no FAL_KEY and no --base-url: using the embedded local server at "
            f"{base_url}",
            file=err,
        )
    started = time.monotonic()
    handle = None
    try:
        client = Client(base_url=base_url, proxy_url=args.proxy_url)
    except (FalError, ValueError) as error:
        print(f"falwidgets run: {type(error).__name__}: {error}", file=err)
        if server is not None:
            server.stop()
        return 1
    try:
        if args.cancel:
            handle = _earlier(client, args.endpoint, args.cancel)
            print(f"falwidgets run: request {handle.request_id}: {handle.cancel()}", file=err)
            return 0
        if args.resume:
            handle = _earlier(client, args.endpoint, args.resume)
            print(f"resuming {args.endpoint}: request {handle.request_id}", file=err)
        else:
            handle = client.submit(args.endpoint, arguments)
            print(f"submitted {args.endpoint}: request {handle.request_id}", file=err)
        result = _follow(args, handle, started, err)
        out = args.out or (DEFAULT_OUT / handle.request_id if server is not None else None)
        if out is not None:
            _save(result, out, err)
    except DeadlineExceeded as error:
        print(f"falwidgets run: DeadlineExceeded: {error}", file=err)
        if handle is not None and server is not None:
            _cancel_quietly(client, handle, err, "the embedded server stops with this command")
        elif handle is not None:
            print(
                f"The request {handle.request_id} may still be running. Wait for its result with:\n"
                f"  {_again(args, '--resume', handle.request_id)}\n"
                f"or cancel it with:\n  {_again(args, '--cancel', handle.request_id)}",
                file=err,
            )
        return 1
    except FalError as error:
        print(f"falwidgets run: {type(error).__name__}: {error}", file=err)
        return 1
    except (ValueError, TypeError, OSError) as error:  # bad arguments, unreadable files
        print(f"falwidgets run: {type(error).__name__}: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        if handle is not None and not args.cancel:
            _cancel_quietly(client, handle, err, "interrupted")
        else:
            print("falwidgets run: interrupted", file=err)
        return 130
    finally:
        client.close()
        if server is not None:
            server.stop()
    json.dump(result, sys.stdout, indent=None if args.json else 2)
    sys.stdout.write("\n")
    return 0
