"""``history(remote=True)``: runs fal's request history lists that the journal never saw.

Runs are submitted by raw HTTP (as the Playground or another laptop would), so only the server
knows them; the history shows them marked as remote, loads their inputs into a form and previews
their outputs. Also: the history resumes a submit whose answer was lost (AMBIGUOUS in the journal).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import falwidgets
from _counts import submission_count
from falwidgets.client import AsyncClient, Client
from falwidgets.runner._remote import RemoteEntry, remote_entries
from falwidgets.server import serve

FLUX = "fal-ai/flux-realism"


@pytest.fixture
def server() -> Iterator[Any]:
    with serve(port=0, speed=0.05) as fresh:  # its history holds only this test's runs
        yield fresh


def _raw(server: Any, arguments: dict[str, Any]) -> str:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        rid = http.post(f"/{FLUX}", json=arguments).json()["request_id"]
        deadline = time.monotonic() + 30
        while http.get(f"/fal-ai/flux-realism/requests/{rid}/status").json()["status"] != (
            "COMPLETED"
        ):
            assert time.monotonic() < deadline, "the raw run did not finish"
            time.sleep(0.02)
    return rid


def test_remote_entries_are_the_runs_the_journal_lacks(server: Any) -> None:
    raw = _raw(server, {"prompt": "a lighthouse", "seed": 7, "num_inference_steps": 2})
    with Client(base_url=server.url) as client:
        mine = client.subscribe(FLUX, {"prompt": "a boat", "seed": 8, "num_inference_steps": 2})
        (entry,) = remote_entries(client, endpoints=[FLUX])
    assert isinstance(entry, RemoteEntry) and entry.remote and entry.done
    assert entry.request_id == raw and entry.endpoint == FLUX and entry.status == "COMPLETED"
    assert entry.arguments == {"prompt": "a lighthouse", "seed": 7, "num_inference_steps": 2}
    assert entry.result["images"][0]["url"].startswith(server.url)
    assert mine["images"]  # journalled: not repeated as remote
    assert [e.request_id for e in falwidgets.journal()] != [raw]


def test_history_remote_shows_loads_and_previews_raw_http_runs(server: Any) -> None:
    raw_ids = [
        _raw(server, {"prompt": "a lighthouse", "seed": s, "num_inference_steps": 2})
        for s in (11, 12)
    ]
    ui = falwidgets.app(FLUX, client=AsyncClient(base_url=server.url))
    ui.run({"prompt": "a journalled run", "seed": 13, "num_inference_steps": 2})
    h = falwidgets.history(client=AsyncClient(base_url=server.url), endpoint=FLUX, remote=True)
    assert h.remote is True and h.total == 3 and len(h.rows) == 3
    remote = {v.request_id: v for v in h.remote_entries}
    assert set(remote) == set(raw_ids)
    row = next(r for r in h.rows if r["id"] == raw_ids[0])
    assert "request history (not in this journal)" in row["note"]  # marked as remote
    assert remote[raw_ids[0]].thumbnail and row["thumb"]["url"] == remote[raw_ids[0]].thumbnail
    assert h.pending() == []  # remote runs are never followed
    loaded = h.load(raw_ids[0])  # inputs into a form
    assert loaded.form.value["seed"] == 11 and loaded.form.value["prompt"] == "a lighthouse"
    shown = h.compare(raw_ids[0], raw_ids[1])  # outputs previewed side by side
    assert remote[raw_ids[0]].output["images"][0]["url"] in json.dumps(shown.compare)
    h.remote = False
    assert h.total == 1 and h.entries[0].arguments["seed"] == 13
    h.remote = True
    assert h.total == 3
    h.close()
    ui.close()


def test_history_resumes_a_lost_submit_answer_from_the_server_history() -> None:
    with serve(port=0, speed=0.05, faults="accepted_drop=1") as server:
        client = Client(base_url=server.url, on_ambiguous="raise")
        with client, pytest.raises(falwidgets.AmbiguousSubmit) as caught:
            client.submit(FLUX, {"prompt": "lost", "seed": 3, "num_inference_steps": 2})
        (entry,) = falwidgets.journal()
        assert entry.status == "AMBIGUOUS" and entry.request_id == caught.value.journal_id
        h = falwidgets.history(client=AsyncClient(base_url=server.url))  # resumes in a script
        assert [r.state for r in h.resumed] == ["done"], [r.error for r in h.resumed]
        (entry,) = falwidgets.journal()
        assert entry.status == "COMPLETED" and entry.request_id != caught.value.journal_id
        assert entry.result["images"]
        assert (
            submission_count(server, FLUX, {"prompt": "lost", "seed": 3, "num_inference_steps": 2})
            == 1
        )
        h.close()


def test_a_lost_answer_from_an_earlier_local_server_is_looked_up_there() -> None:
    """The entry was recorded against another loopback server than the one runs go to now: it
    is looked up in that server's history (key-less), not on fal."""
    arguments = {"prompt": "elsewhere", "seed": 4, "num_inference_steps": 2}
    with serve(port=0, speed=0.05, faults="accepted_drop=1") as earlier, serve(port=0) as now:
        client = Client(base_url=earlier.url, on_ambiguous="raise")
        with client, pytest.raises(falwidgets.AmbiguousSubmit):
            client.submit(FLUX, arguments)
        h = falwidgets.history(client=AsyncClient(base_url=now.url))
        assert [r.state for r in h.resumed] == ["done"], [r.error for r in h.resumed]
        (entry,) = falwidgets.journal()
        assert entry.status == "COMPLETED" and entry.base == earlier.url
        assert submission_count(earlier, FLUX, arguments) == 1
        h.close()
