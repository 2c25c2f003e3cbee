"""The local server's documented submission counter, for tests in every folder."""

from __future__ import annotations

from typing import Any

import httpx

from falwidgets.server._state import submission_digest


def submissions(server: Any) -> list[dict[str, Any]]:
    """The server's documented submission counter (`/_falwidgets/submissions`, never faulted)."""
    return httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()["submissions"]


def submission_count(server: Any, endpoint_id: str, arguments: Any) -> int:
    """How many times this exact input was accepted for this endpoint (0 if never)."""
    digest = submission_digest(endpoint_id, arguments)
    return sum(c["count"] for c in submissions(server) if c["digest"] == digest)
