"""The app's price line, Run estimate, "Use in…" and Live switch (runner/_app_wiring.py), spoken to
as the browser does (custom messages) against the local server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from history_helpers import browser_says

import falwidgets
from _wait import wait_until
from falwidgets.client import AsyncClient

FLUX = "fal-ai/flux-realism"
LCM = "fal-ai/fast-lcm-diffusion"


def _client(server: Any) -> AsyncClient:
    return AsyncClient(base_url=server.url, journal=False)


def test_price_line_and_run_estimate_follow_the_inputs(local_server: Any) -> None:
    a = falwidgets.app(FLUX, client=_client(local_server), inputs={"prompt": "a fox"})
    try:
        wait_until(lambda: a.cost.get("line"), 20, "the price line")
        assert a.cost == {"line": "$0.025 per image", "estimate": "est. $0.025"}
        a.value = {**a.value, "num_images": 3}
        assert a.cost["estimate"] == "est. $0.075" and a.estimate() == pytest.approx(0.075)
        assert "key" not in str(a.cost).lower()
    finally:
        a.close()


def test_unknown_price_says_so_and_never_guesses(local_server: Any) -> None:
    a = falwidgets.app("fal-ai/flux/dev", client=_client(local_server))
    try:
        wait_until(lambda: a.cost.get("line"), 20, "the price line")
        assert a.cost == {"line": "price unknown", "estimate": ""}
        assert a.estimate() is None
    finally:
        a.close()


def test_use_in_lists_endpoints_and_opens_one_prefilled(local_server: Any) -> None:
    a = falwidgets.app(FLUX, client=_client(local_server))
    url = "https://v3.fal.media/files/fox.png"
    try:
        (answer,) = browser_says(a, type="use_in_search", kind="image", q="upscale", seq=7)
        assert answer["type"] == "use_in_list" and answer["seq"] == 7
        assert 0 < len(answer["items"]) <= answer["count"]
        first = answer["items"][0]
        assert "upscal" in (first["endpoint_id"] + first["name"]).lower()
        assert browser_says(a, type="use_in_open", url=url, kind="image", **_id(first)) == []
        chained = a.chained_app
        assert chained is not None and chained.endpoint == first["endpoint_id"]
        assert a.chained["ref"] == f"anywidget:{chained.model_id}"
        value = chained.value[first["field"]]
        assert value == url or value == [url]  # in its matching file field
        browser_says(a, type="use_in_open", url=url, kind="image", **_id(first))
        assert chained.comm is None and a.chained_app is not chained  # the old one is closed
    finally:
        a.close()
    assert a.chained_app is None


def _id(item: dict[str, Any]) -> dict[str, Any]:
    return {"endpoint_id": item["endpoint_id"]}


def test_use_in_refuses_bad_urls_and_endpoints_with_a_message(local_server: Any) -> None:
    a = falwidgets.app(FLUX, client=_client(local_server))
    try:
        (bad,) = browser_says(
            a, type="use_in_open", url="javascript:alert(1)", kind="image", endpoint_id=FLUX
        )
        assert bad["type"] == "wiring_error" and "http(s)" in bad["text"]
        (wrong,) = browser_says(
            a, type="use_in_open", url="https://x.org/a.png", kind="image", endpoint_id="a/b"
        )
        assert wrong["type"] == "wiring_error" and "'a/b' does not take an image" in wrong["text"]
        assert a.chained == {} and a.chained_app is None
    finally:
        a.close()


def test_live_switch_streams_edits_and_closes(local_server: Any) -> None:
    a = falwidgets.app(LCM, client=_client(local_server))
    pictures: list[tuple[dict[str, Any], list[Any]]] = []
    a.send = lambda content, buffers=None: pictures.append((content, buffers or []))
    try:
        assert a.live == {"available": True, "on": False}
        browser_says(a, type="live", on=True)
        assert a.live["on"] and a.live_session is not None
        for text in ("a", "a c", "a cat", "a cat on", "a cat on a mat"):
            a.value = {**a.value, "prompt": text}
        wait_until(lambda: a.live.get("prompt") == "a cat on a mat", 20, "the last edit's frame")
        assert a.live["frames"] >= 1 and a.live["latency_ms"] > 0 and a.live["error"] == ""
        frames = [(c, b) for c, b in pictures if c["type"] == "live_frame"]
        assert a.live_url or frames  # the picture: a URL, or bytes in a message (not in state)
        assert all(c["mime"].startswith("image/") and len(b[0]) > 100 for c, b in frames)
        json.dumps(a.get_state())  # the state stays JSON (no frame bytes in it)
        session = a.live_session
        browser_says(a, type="live", on=False)
        assert a.live_session is None and not a.live["on"] and session._closed
        frames = a.live["frames"]
        a.value = {**a.value, "prompt": "not sent"}
        assert a.live["frames"] == frames and a.live["prompt"] == "a cat on a mat"
    finally:
        a.close()


def test_no_live_switch_for_queue_endpoints(local_server: Any) -> None:
    a = falwidgets.app(FLUX, client=_client(local_server))
    try:
        assert a.live == {}
        (refused,) = browser_says(a, type="live", on=True)
        assert refused["type"] == "wiring_error" and "not a realtime endpoint" in refused["text"]
    finally:
        a.close()


def test_history_rows_show_estimated_cost_and_the_total(
    local_server: Any, echo_endpoint: str
) -> None:
    client = AsyncClient(base_url=local_server.url)  # journalled: the history reads the journal
    a = falwidgets.app(FLUX, client=client)
    b = falwidgets.app(echo_endpoint, client=client)  # no price: unknown, not guessed
    try:
        a.run({"prompt": "two", "num_images": 2, "num_inference_steps": 1})
        b.run({"text": "one", "steps": 1})
        h = falwidgets.history(client=client, resume=False)
        try:
            costs = {row["endpoint"]: row["cost"] for row in h.rows}
            assert costs == {FLUX: "est. $0.05", echo_endpoint: "price unknown"}
            wait_until(lambda: h.cost_total, 20, "the history's total")
            assert h.cost_total == "est. $0.05 for 2 runs (1 with price unknown)"
            (answer,) = browser_says(h, type="rows", offset=0, limit=50, query="", seq=1)
            assert {r["cost"] for r in answer["rows"]} == {"est. $0.05", "price unknown"}
        finally:
            h.close()
    finally:
        a.close()
        b.close()
