"""``falwidgets proxy``: share one fal key with a class, one token per student."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
from typing import Any

from falwidgets.proxy._limits import parse_rate
from falwidgets.proxy._logs import usage_lines

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int:
    """``"16MB"``, ``"512k"``, ``"1048576"`` -> bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower().removesuffix("ib") if match else ""
    if not match or (unit not in _SIZE_UNITS and unit + "b" not in _SIZE_UNITS):
        raise argparse.ArgumentTypeError(f"size must look like 16MB or 512k, got {text!r}")
    return int(match.group(1)) * _SIZE_UNITS.get(unit, _SIZE_UNITS.get(unit + "b", 1))


def _rate(text: str) -> int:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "proxy",
        help="run a key-holding workshop proxy",
        description=(
            "Holds FAL_KEY server-side and forwards fal calls (queue, run, storage, CDN upload) "
            "for students who send their own token as 'Authorization: Key <token>'."
        ),
    )
    parser.add_argument("--tokens", metavar="FILE", help="student tokens, one a line, '# label'")
    parser.add_argument(
        "--tokens-new", metavar="N", type=int, help="print N fresh tokens (a tokens file) and exit"
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help=(
            "default: fal itself (https://queue.fal.run means the same); any other URL, e.g. a "
            "`falwidgets serve` server, gets every fal host mapped onto it"
        ),
    )
    parser.add_argument(
        "--allow",
        metavar="ENDPOINT",
        nargs="+",
        action="extend",
        default=[],
        help="endpoint-id globs students may call (e.g. 'fal-ai/flux/*'); default: all",
    )
    parser.add_argument(
        "--rate", type=_rate, metavar="N/min", help="costly calls per token a minute"
    )
    parser.add_argument(
        "--budget",
        type=int,
        metavar="N",
        help="billable calls per token (submits, runs, realtime tokens; the latter need --allow)",
    )
    parser.add_argument(
        "--max-calls",
        type=_rate,
        default=1200,
        metavar="N/min",
        help="every call per token a minute, polling included (default 1200/min)",
    )
    parser.add_argument(
        "--frames-per-unit",
        type=int,
        default=10,
        metavar="N",
        help="realtime inputs relayed per budget unit (default 10; see proxy/_realtime.py)",
    )
    parser.add_argument("--max-body", type=parse_size, default="16MB", help="JSON body limit")
    parser.add_argument("--max-upload", type=parse_size, default="100MB", help="upload limit")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve a room's Wi-Fi")
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        nargs="+",
        action="extend",
        default=[],
        help="browser origins allowed to call the proxy (default: any)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from falwidgets.proxy._tokens import TokenFileError, load_tokens, new_tokens

    if args.tokens_new is not None:
        try:
            print("\n".join(new_tokens(args.tokens_new)))
        except ValueError as exc:
            print(f"falwidgets proxy: {exc}", file=sys.stderr)
            return 2
        return 0
    if not args.tokens:
        print(
            "falwidgets proxy: --tokens FILE is required (make one with --tokens-new 30)",
            file=sys.stderr,
        )
        return 2
    import uvicorn

    from falwidgets.client import AuthError
    from falwidgets.client._auth import resolve_credentials
    from falwidgets.proxy._app import create_app
    from falwidgets.proxy._config import ProxyConfig

    try:
        config = ProxyConfig(
            tokens=load_tokens(args.tokens),
            upstream=args.upstream,
            allow=tuple(args.allow),
            rate_per_min=args.rate,
            budget=args.budget,
            max_body=args.max_body,
            max_upload=args.max_upload,
            calls_per_min=args.max_calls,
            frames_per_unit=args.frames_per_unit,
            key=resolve_credentials().key,
            cors_origins=tuple(args.cors_origin) or ("*",),
        )
        app = create_app(config)
    except (TokenFileError, ValueError, AuthError) as exc:
        print(f"falwidgets proxy: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    print(
        f"falwidgets proxy on http://{args.host}:{args.port} -> {config.upstream or 'fal'}; "
        f"{len(config.tokens)} tokens, endpoints: {', '.join(config.allow) or 'all'}, "
        f"rate: {config.rate_per_min or 'unlimited'}/min, budget: {config.budget or 'unlimited'}",
        file=sys.stderr,
    )

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # uvicorn shuts down gracefully on SIGTERM, then raises it again: as KeyboardInterrupt here,
    # so the usage summary below is printed on Ctrl-C and on SIGTERM alike
    signal.signal(signal.SIGTERM, stop)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except KeyboardInterrupt:
        pass
    finally:
        for line in usage_lines(app.state.proxy.limits.snapshot()):
            print(line, file=sys.stderr)
    return 0
