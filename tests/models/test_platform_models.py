"""Model search, pricing and estimates: the client against the local server's /v1 routes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from falwidgets.client import AsyncClient, Client, NotFound
from falwidgets.client._models import (
    CACHE_SECONDS,
    ModelRecord,
    Price,
    estimate_body,
    models_query,
)
from falwidgets.client._urls import Hosts


def test_models_flux_pages_through_twenty_or_more_with_metadata(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        found = list(client.models(q="flux"))
    assert len(found) >= 20
    assert len({m.endpoint_id for m in found}) == len(found)  # paging repeats nothing
    assert all(isinstance(m, ModelRecord) for m in found)
    assert all("flux" in (m.endpoint_id + m.display_name + m.description).lower() for m in found)
    dev = next(m for m in found if m.endpoint_id == "fal-ai/flux/dev")
    assert dev.category == "text-to-image"
    assert dev.metadata["model_url"] == "https://fal.run/fal-ai/flux/dev"
    assert dev.thumbnail_url and dev.thumbnail_url.startswith("https://")


def test_models_pages_are_real_pages(local_server: Any) -> None:
    first = httpx.get(f"{local_server.url}/v1/models", params={"q": "flux", "limit": 5}).json()
    assert len(first["models"]) == 5 and first["has_more"] is True
    second = httpx.get(
        f"{local_server.url}/v1/models",
        params={"q": "flux", "limit": 5, "cursor": first["next_cursor"]},
    ).json()
    assert {m["endpoint_id"] for m in first["models"]}.isdisjoint(
        m["endpoint_id"] for m in second["models"]
    )


def test_models_filters_and_openapi_expansion(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        videos = list(client.models(category="image-to-video"))
        assert videos and all(m.category == "image-to-video" for m in videos)
        two = list(
            client.models(endpoint_ids=["fal-ai/flux/dev", "fal-ai/flux-realism"], openapi=True)
        )
    assert {m.endpoint_id for m in two} == {"fal-ai/flux/dev", "fal-ai/flux-realism"}
    assert all(m.openapi and m.openapi["openapi"].startswith("3.") for m in two)
    local = next(m for m in two if m.endpoint_id == "fal-ai/flux-realism")
    assert "local" in local.tags  # the server's own endpoint wins over the catalogue entry


def test_models_bad_arguments_fail_at_the_call() -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        models_query(status="gone")
    with pytest.raises(ValueError, match="1 to 50"):
        models_query(endpoint_ids=[f"a/b{i}" for i in range(51)])


def test_server_refuses_a_bad_cursor_with_the_platform_error_shape(local_server: Any) -> None:
    answer = httpx.get(f"{local_server.url}/v1/models", params={"cursor": "nope!"})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "validation_error"


def test_pricing_shape_and_unknown_prices_left_out(local_server: Any) -> None:
    raw = httpx.get(
        f"{local_server.url}/v1/models/pricing",
        params=[("endpoint_id", "fal-ai/flux-realism"), ("endpoint_id", "fal-ai/flux/dev")],
    ).json()
    assert raw == {
        "prices": [
            {
                "endpoint_id": "fal-ai/flux-realism",
                "unit_price": 0.025,
                "unit": "image",
                "currency": "USD",
            }
        ],
        "next_cursor": None,
        "has_more": False,
    }
    with Client(base_url=local_server.url) as client:
        prices = client.pricing(["fal-ai/flux-realism", "fal-ai/flux/dev"])
    assert prices == {"fal-ai/flux-realism": Price("fal-ai/flux-realism", 0.025, "image", "USD")}
    assert str(prices["fal-ai/flux-realism"]) == "$0.025 per image"


def test_estimate_both_forms_and_unknown(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        calls = client.estimate({"fal-ai/flux-realism": 100, "fal-ai/imagen4/preview": 50})
        units = client.estimate(units={"fal-ai/flux-krea-lora/stream": 10})
        with pytest.raises(NotFound, match="no price known for fal-ai/flux/dev"):
            client.estimate({"fal-ai/flux/dev": 1})
    assert calls.estimate_type == "historical_api_price" and calls.currency == "USD"
    assert calls.total_cost == pytest.approx(100 * 0.025 + 50 * 0.04)
    assert units.estimate_type == "unit_price" and units.total_cost == pytest.approx(0.35)


def test_estimate_body_checks() -> None:
    with pytest.raises(ValueError, match="either calls"):
        estimate_body({"a/b": 1}, units={"a/b": 1})
    with pytest.raises(ValueError, match=">= 0"):
        estimate_body({"a/b": -1})


def test_server_validates_estimate_body(local_server: Any) -> None:
    answer = httpx.post(
        f"{local_server.url}/v1/models/pricing/estimate", json={"estimate_type": "x"}
    )
    assert answer.status_code == 400 and "estimate_type" in answer.json()["error"]["message"]


def test_async_twins(local_server: Any) -> None:
    async def go() -> tuple[int, dict[str, Price], float]:
        async with AsyncClient(base_url=local_server.url) as client:
            found = [m async for m in client.models(q="kling")]
            prices = await client.pricing("fal-ai/imagen4/preview")
            estimate = await client.estimate({"fal-ai/imagen4/preview": 2})
        return len(found), prices, estimate.total_cost

    count, prices, total = asyncio.run(go())
    assert count >= 20
    assert prices["fal-ai/imagen4/preview"].unit_price == 0.04
    assert total == pytest.approx(0.08)


def test_answers_are_cached_on_disk_for_a_short_time(local_server: Any) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"prices": [], "next_cursor": None, "has_more": False})

    with Client(base_url="http://fake.test", transport=httpx.MockTransport(handler)) as client:
        client.pricing("fal-ai/flux/dev")
        client.pricing("fal-ai/flux/dev")
    assert len(seen) == 1 and "/v1/models/pricing" in seen[0]
    assert 0 < CACHE_SECONDS <= 3600


def test_platform_api_base_rule() -> None:
    assert Hosts.build().api == "https://api.fal.ai"
    assert Hosts.build("http://127.0.0.1:9999").api == "http://127.0.0.1:9999"


def test_real_fal_pricing_needs_a_key() -> None:
    from falwidgets.client import MissingCredentials

    with Client() as client, pytest.raises(MissingCredentials):
        client.pricing("fal-ai/flux/dev")


def test_expansion_failure_is_per_model() -> None:
    record = ModelRecord.from_json(
        {
            "endpoint_id": "a/b",
            "metadata": {"display_name": "B", "category": "text-to-image"},
            "openapi": {"error": {"code": "expansion_failed", "message": "boom"}},
        }
    )
    assert record.openapi is None and record.openapi_error == "boom"
    with pytest.raises(ValueError, match="not a model record"):
        ModelRecord.from_json({"metadata": {}})


def test_the_key_never_reaches_the_disk_cache(local_server: Any, tmp_path: Any) -> None:
    import os
    from pathlib import Path

    secret = "key-id-1234:very-secret-value-5678"
    with Client(key=secret, base_url=local_server.url) as client:
        client.pricing("fal-ai/flux-realism")
        list(client.models(q="realism"))
    cache = Path(os.environ["FALWIDGETS_HOME"]) / "cache" / "platform"
    files = list(cache.glob("*.json"))
    assert files
    for file in files:
        text = file.read_text()
        assert "very-secret-value" not in text and "key-id-1234" not in text
        assert "very-secret" not in file.name
