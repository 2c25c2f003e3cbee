"""The 404 for an unknown endpoint teaches: the closest served ids, else the list of them all."""

from __future__ import annotations

from typing import Any

import pytest

import falwidgets


def test_typo_names_the_closest_endpoint_on_queue_and_run(local_server: Any) -> None:
    with local_server.client() as http:
        queued = http.post("/fal-ai/flux-realsm", json={"prompt": "x"})
        direct = http.post("/run/fal-ai/toon-crafte", json={})
    assert queued.status_code == 404 and direct.status_code == 404
    assert "did you mean fal-ai/flux-realism" in queued.json()["detail"]
    assert "did you mean fal-ai/toon-crafter?" in direct.json()["detail"]
    assert "it serves" not in queued.json()["detail"]


def test_a_subpath_no_endpoint_serves_is_not_queued(local_server: Any) -> None:
    with local_server.client() as http:
        before = len(local_server.queue.jobs)
        answer = http.post("/fal-ai/flux-realism/typo", json={"prompt": "x"})
        assert answer.status_code == 404 and "fal-ai/flux-realism/typo" in answer.json()["detail"]
        assert len(local_server.queue.jobs) == before


def test_nothing_close_lists_what_is_served(local_server: Any) -> None:
    with local_server.client() as http:
        detail = http.post("/zzz/qqq", json={}).json()["detail"]
        served = http.get("/_falwidgets/info").json()["endpoints"]
    assert detail.startswith("No endpoint 'zzz/qqq' on this server; it serves: ")
    assert all(eid in detail for eid in served) and "did you mean" not in detail


@pytest.mark.parametrize("method", ["submit", "run"])
def test_client_not_found_carries_the_suggestion(local_server: Any, method: str) -> None:
    client = falwidgets.Client(base_url=local_server.url)
    with client, pytest.raises(falwidgets.NotFound) as caught:
        getattr(client, method)("fal-ai/flux-realsm", {"prompt": "x"})
    assert "did you mean fal-ai/flux-realism" in str(caught.value)
    assert caught.value.status_code == 404


def test_unknown_request_id_keeps_its_own_404(local_server: Any) -> None:
    """Only endpoint paths get suggestions; a missing request under a real endpoint does not."""
    with local_server.client() as http:
        answer = http.get(f"/fal-ai/flux-realism/requests/{'0' * 32}/status")
    assert answer.status_code == 404 and answer.json()["status"] == "NOT_FOUND"
