"""The ``accepted_drop`` fault: a queue submit is enqueued, then its answer lost; nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from _counts import submission_count
from falwidgets._platform_wire import REQUESTS_PATH
from falwidgets.server import serve
from falwidgets.server._faults import Faults

FLUX = "fal-ai/flux-realism"
ARGS = {"prompt": "dropped", "seed": 5, "num_inference_steps": 1}


def test_parse_and_describe() -> None:
    faults = Faults.parse("accepted_drop=0.25,seed=3")
    assert faults.accepted_drop == 0.25 and faults.active
    assert "accepted_drop=0.25" in str(faults)
    with pytest.raises(ValueError, match="must lie in"):
        Faults.parse("accepted_drop=2")


def test_only_queue_submits_are_enqueued_then_cut() -> None:
    with serve(port=0, speed=0.05, faults="accepted_drop=1") as server:
        http = httpx.Client(base_url=server.url, timeout=30)
        with http, pytest.raises(httpx.RemoteProtocolError):
            http.post(f"/{FLUX}", json=ARGS)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert submission_count(server, FLUX, ARGS) == 1  # enqueued before the cut
            listed: Any = http.get(
                REQUESTS_PATH, params={"endpoint_id": FLUX, "expand": "payloads"}
            ).json()["items"]
            assert [i["json_input"] for i in listed] == [ARGS]  # the history lists it
            ran = http.post(f"/run/{FLUX}", json=ARGS)  # fal.run: answered, not cut
            assert ran.status_code == 200 and ran.json()["images"]
            upload = http.post(
                "/files/upload", content=b"x", headers={"content-type": "text/plain"}
            )
            assert upload.status_code == 200  # a POST that is not a submit is never cut
            metrics = http.get("/metrics").text
        assert 'falwidgets_faults_total{kind="accepted_drop"} 1' in metrics
