"""Price line, estimates from inputs, and the sweep confirmation gate (demo prices)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner._costs import (
    ConfirmationRequired,
    confirm_above,
    estimate_for,
    price_line,
    units_for,
)


def _client(server: Any) -> AsyncClient:
    return AsyncClient(base_url=server.url)


def _accepted(server: Any, endpoint: str) -> int:
    body = httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in body["submissions"] if c["endpoint"] == endpoint)


def test_price_line_known_and_unknown(local_server: Any) -> None:
    client = _client(local_server)
    assert price_line("fal-ai/flux-realism", client=client) == "$0.025 per image"
    assert price_line("fal-ai/flux/dev", client=client) == "price unknown"


def test_price_line_without_a_reachable_price_says_unknown() -> None:
    dead = AsyncClient(base_url="http://127.0.0.1:9")  # nothing listens on the discard port
    assert price_line("fal-ai/flux-realism", client=dead) == "price unknown"


def test_estimate_counts_images_and_megapixels(local_server: Any) -> None:
    client = _client(local_server)
    one = estimate_for("fal-ai/flux-realism", {"prompt": "x"}, client=client)
    four = estimate_for("fal-ai/flux-realism", {"prompt": "x", "num_images": 4}, client=client)
    assert one == pytest.approx(0.025) and four == pytest.approx(0.1)
    mp = estimate_for(
        "fal-ai/flux-krea-lora/stream",
        {"prompt": "x", "image_size": {"width": 1000, "height": 500}, "num_images": 2},
        client=client,
    )
    assert mp == pytest.approx(0.035 * 0.5 * 2)
    assert estimate_for("fal-ai/flux/dev", {"prompt": "x"}, client=client) is None


def test_units_registry() -> None:
    assert units_for("seconds", {"duration": "5"}, {}) == 5
    assert units_for("megapixels", {"aspect_ratio": "16:9"}, {}) is None  # not countable
    assert units_for("GPU-seconds", {}, {}) is None
    assert units_for("image", {}, {"num_images": 3}) == 3  # schema default fills the gap


def test_confirm_threshold_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FALWIDGETS_CONFIRM_ABOVE", raising=False)
    assert confirm_above() == 1.0
    monkeypatch.setenv("FALWIDGETS_CONFIRM_ABOVE", "lots")
    with pytest.raises(ValueError, match="FALWIDGETS_CONFIRM_ABOVE"):
        confirm_above()


def test_sweep_above_threshold_sends_nothing_until_confirmed(
    local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FALWIDGETS_CONFIRM_ABOVE", "0.05")
    endpoint = "fal-ai/flux-realism"
    before = _accepted(local_server, endpoint)

    async def scenario() -> Any:
        s = falwidgets.sweep(
            endpoint,
            {"prompt": "gate", "num_inference_steps": 1, "image_size": "square"},
            grid={"seed": [1, 2, 3]},
            client=_client(local_server),
        )
        assert s.cost.held and s.cost.total == pytest.approx(0.075)
        assert "estimated total $0.075" in s.gate["line"]  # what the sweep widget shows
        assert s.gate["held"] and s.gate["start"] == "Start ($0.075)"
        with pytest.raises(ConfirmationRequired, match="FALWIDGETS_CONFIRM_ABOVE"):
            await s.wait_async()
        assert _accepted(local_server, endpoint) == before  # the server saw no submission
        s._on_msg(s, {"type": "confirm"}, [])  # what the Start button sends
        assert not s.gate["held"]
        await asyncio.wait_for(s.wait_async(), 60)
        return s

    s = asyncio.run(scenario())
    assert s.done and not s.failures
    assert _accepted(local_server, endpoint) == before + 3


def test_sweep_below_threshold_starts_at_once(
    local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FALWIDGETS_CONFIRM_ABOVE", "1")
    s = falwidgets.sweep(
        "fal-ai/flux-realism",
        {"prompt": "cheap", "num_inference_steps": 1, "image_size": "square"},
        grid={"seed": [1, 2]},
        client=_client(local_server),
    )
    assert s.done and not s.cost.held and "$0.05" in s.cost.text


def test_run_costs_for_the_history(local_server: Any) -> None:
    from falwidgets.runner._costs import run_costs

    costs, total, unknown = run_costs(
        [
            ("r1", "fal-ai/flux-realism", {"num_images": 2}),
            ("r2", "fal-ai/imagen4/preview", {}),
            ("r3", "fal-ai/flux/dev", {}),
        ],
        client=_client(local_server),
    )
    assert costs["r1"] == pytest.approx(0.05) and costs["r2"] == pytest.approx(0.04)
    assert costs["r3"] is None and unknown == 1
    assert total == pytest.approx(0.09)
