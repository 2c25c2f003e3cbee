"""Endpoint-id rules, hosts, status parsing and log de-duplication (no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from falwidgets.client import Completed, InProgress, Queued, ServerError
from falwidgets.client._status import LogTracker, parse_status
from falwidgets.client._urls import Hosts, parse_endpoint


@pytest.mark.parametrize(
    ("endpoint", "app_id", "full"),
    [
        ("fal-ai/flux/dev", "fal-ai/flux", "fal-ai/flux/dev"),
        (
            "fal-ai/flux-pro/kontext/max/text-to-image",
            "fal-ai/flux-pro",
            "fal-ai/flux-pro/kontext/max/text-to-image",
        ),
        ("fal-ai/flux-realism", "fal-ai/flux-realism", "fal-ai/flux-realism"),
        ("workflows/alice/my-flow", "workflows/alice/my-flow", "workflows/alice/my-flow"),
        ("workflows/alice/my-flow/sub", "workflows/alice/my-flow", "workflows/alice/my-flow/sub"),
        ("comfy/bob/graph/x/y", "comfy/bob/graph", "comfy/bob/graph/x/y"),
        ("123-my-app", "123/my-app", "123/my-app"),
        ("/fal-ai/flux/dev/", "fal-ai/flux", "fal-ai/flux/dev"),
    ],
)
def test_endpoint_rules(endpoint: str, app_id: str, full: str) -> None:
    parsed = parse_endpoint(endpoint)
    assert parsed.app_id == app_id
    assert parsed.full == full


@pytest.mark.parametrize("bad", ["", "flux", "workflows/alice", "fal-ai/fl ux", 42])
def test_bad_endpoint_ids_are_rejected_clearly(bad: object) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        parse_endpoint(bad)  # type: ignore[arg-type]


def test_hosts_default_and_base_url() -> None:
    default = Hosts.build()
    eid = parse_endpoint("fal-ai/flux/dev")
    assert default.submit_url(eid) == "https://queue.fal.run/fal-ai/flux/dev"
    assert default.run_url(eid) == "https://fal.run/fal-ai/flux/dev"
    assert default.request_url(eid, "r1") == "https://queue.fal.run/fal-ai/flux/requests/r1"
    local = Hosts.build("http://127.0.0.1:9000/")
    assert local.queue == local.rest == local.cdn == "http://127.0.0.1:9000"
    assert local.run_url(eid) == "http://127.0.0.1:9000/run/fal-ai/flux/dev"
    mixed = Hosts.build("http://a", run_url="http://b")
    assert mixed.run == "http://b" and mixed.queue == "http://a"
    with pytest.raises(ValueError, match="http"):
        Hosts.build("ftp://nope")


def test_every_status_shape() -> None:
    assert parse_status({"status": "IN_QUEUE", "queue_position": 3}) == Queued(3)
    assert parse_status({"status": "IN_QUEUE"}) == Queued(0)
    assert parse_status({"status": "IN_PROGRESS", "logs": None}) == InProgress([])
    assert parse_status({"status": "IN_PROGRESS"}) == InProgress([])
    running = parse_status({"status": "IN_PROGRESS", "logs": [{"message": "hi"}, "raw"]})
    assert running == InProgress([{"message": "hi"}, {"message": "raw"}])
    done = parse_status({"status": "COMPLETED", "logs": [], "metrics": {"inference_time": 1.5}})
    assert done == Completed([], {"inference_time": 1.5}) and done.ok
    legacy = parse_status({"status": "COMPLETED", "logs": None})
    assert legacy == Completed([], {}) and legacy.ok
    failed = parse_status(
        {
            "status": "COMPLETED",
            "logs": [],
            "error": "Request timed out",
            "error_type": "request_timeout",
        }
    )
    assert isinstance(failed, Completed) and not failed.ok
    assert (failed.error, failed.error_type) == ("Request timed out", "request_timeout")
    with pytest.raises(ServerError, match="unknown status 'WEIRD'"):
        parse_status({"status": "WEIRD"}, request_id="r")
    with pytest.raises(ServerError, match="unexpected status payload"):
        parse_status(["nope"])


lines = st.lists(st.sampled_from(["a", "b", "c"]), min_size=0, max_size=30)


@given(lines, st.lists(st.integers(0, 30), max_size=6), st.integers(0, 2**16))
def test_log_tracker_never_loses_or_repeats(msgs: list[str], cuts: list[int], seed: int) -> None:
    """Any mix of SSE increments, reconnects that replay, and full polls yields each line once."""
    import random

    rng = random.Random(seed)
    entries = [{"message": m, "timestamp": f"t{i}"} for i, m in enumerate(msgs)]
    tracker = LogTracker()
    out: list[dict] = []
    position = 0
    for cut in [*sorted(c % (len(entries) + 1) for c in cuts), len(entries)]:
        mode = rng.choice(["sse", "replay", "poll"])
        if mode == "sse":
            tracker.new_source()
            for entry in entries[position:cut]:
                out += tracker.from_increment([entry])
        elif mode == "replay":  # a reconnected stream that resends everything so far
            tracker.new_source()
            for entry in entries[:cut]:
                out += tracker.from_increment([entry])
        else:
            out += tracker.from_full(entries[:cut])
        position = max(position, cut)
    assert out == entries
