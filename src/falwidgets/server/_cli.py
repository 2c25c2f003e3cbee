"""`falwidgets serve`: run the fal-compatible local server in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="run the fal-compatible local queue server",
        description="Serve fal's queue protocol with demo endpoints that make real media, offline.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default 127.0.0.1; other hosts only when named)",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL clients reach the server at (reverse proxy); default: loopback URL, or "
        "each request's Host header when --host is not loopback",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent jobs (default 4)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="scale of demo step time (0.1 = ten times faster)"
    )
    parser.add_argument(
        "--faults",
        default=None,
        help='fault injection, e.g. "http_5xx=0.05,http_429=0.05,drop=0.02,'
        'sse_cut=0.1,slow=0.05,requeue=0.05,seed=1"',
    )
    parser.add_argument(
        "--data-dir", default=None, help="keep files and results here so they survive a restart"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from falwidgets._hosts import is_loopback
    from falwidgets.server import endpoints, serve

    try:
        server = serve(
            port=args.port,
            host=args.host,
            workers=args.workers,
            speed=args.speed,
            faults=args.faults,
            data_dir=args.data_dir,
            public_url=args.public_url,
        )
    except (OSError, ValueError) as exc:
        print(f"falwidgets serve: {exc}", file=sys.stderr)
        return 2
    print(
        f"fal-compatible server on {server.url}  (queue {server.url}/, run {server.run_url}/)",
        file=sys.stderr,
    )
    if server.public_url:
        print(f"public URL: {server.public_url}", file=sys.stderr)
    elif not is_loopback(server.host):
        others = ", ".join(f"http://{a}:{server.port}" for a in lan_addresses()) or "this machine"
        print(
            f"listening on {server.host}: reachable from other machines at {others} "
            "(answers use each request's Host header)",
            file=sys.stderr,
        )
    print(f"endpoints: {', '.join(sorted(endpoints()))}", file=sys.stderr)
    if server.faults.active:
        print(f"injecting faults: {server.faults}", file=sys.stderr)
    print("Ctrl-C to stop", file=sys.stderr, flush=True)

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # clean up (temp dir, jobs) on SIGTERM too
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def lan_addresses() -> list[str]:
    """This machine's outward IPv4 address, if it has one (a UDP connect sends no packet)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only consults the routing table
            address = probe.getsockname()[0]
        except OSError:
            return []
    return [] if address.startswith("127.") or address == "0.0.0.0" else [address]
