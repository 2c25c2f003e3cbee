"""fal_client code ports to falwidgets by changing only its import line.

The same snippet, written against fal_client's API (``with_logs``, ``on_queue_update``,
``on_enqueue``, ``client_timeout``, ``iter_events``, ``get``, ``get_handle``,
``client.status/result(app, request_id)``), runs once with the official client and once with
falwidgets against the same local server; only the first line differs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from falwidgets.client import AsyncClient, Client

ENDPOINT = "fal-ai/flux-realism"
ARGS = {"prompt": "a lighthouse at dusk", "num_inference_steps": 4}

SNIPPET = """
{import_line}

def on_queue_update(update):
    if isinstance(update, (fal.InProgress, fal.Completed)):
        for log in update.logs:
            seen_logs.append(log["message"])

seen_logs, enqueued = [], []
result = client.subscribe(
    "{endpoint}",
    arguments={args!r},
    with_logs=True,
    on_queue_update=on_queue_update,
    on_enqueue=enqueued.append,
    client_timeout=60,
)
handle = client.submit("{endpoint}", arguments={args!r})
events = list(handle.iter_events(with_logs=True))
output = handle.get()
again = client.get_handle("{endpoint}", handle.request_id).get()
status = client.status("{endpoint}", handle.request_id, with_logs=True)
fetched = client.result("{endpoint}", handle.request_id)
finished = isinstance(events[-1], fal.Completed) and isinstance(status, fal.Completed)
"""


def _run(import_line: str, client: Any) -> dict[str, Any]:
    code = SNIPPET.format(import_line=import_line, endpoint=ENDPOINT, args=ARGS)
    scope: dict[str, Any] = {"client": client}
    exec(compile(code, "<fal_client snippet>", "exec"), scope)
    return scope


def _check(scope: dict[str, Any]) -> None:
    assert scope["result"]["images"][0]["url"].startswith("http")
    assert len(scope["enqueued"]) == 1 and isinstance(scope["enqueued"][0], str)
    assert scope["seen_logs"], "on_queue_update saw no log line"
    assert scope["finished"]
    assert scope["output"] == scope["again"] == scope["fetched"]


def test_the_snippet_is_real_fal_client_code(local_server: Any) -> None:
    import fal_client

    from falwidgets.server import point_fal_client

    with point_fal_client(local_server.url):
        _check(_run("import fal_client as fal", fal_client.SyncClient(key="local:local")))


def test_the_same_snippet_runs_on_falwidgets(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        _check(_run("import falwidgets as fal", client))


def test_async_twins_accept_the_same_names(local_server: Any) -> None:
    async def main() -> tuple[Any, ...]:
        async with AsyncClient(base_url=local_server.url) as client:
            enqueued: list[str] = []
            updates: list[Any] = []
            out = await client.subscribe(
                ENDPOINT,
                arguments=ARGS,
                with_logs=True,
                on_queue_update=updates.append,
                on_enqueue=enqueued.append,
                client_timeout=60,
            )
            handle = client.get_handle(ENDPOINT, enqueued[0])
            events = [e async for e in handle.iter_events(with_logs=True)]
            return (
                out,
                await handle.get(),
                await client.result(ENDPOINT, enqueued[0]),
                await client.status(ENDPOINT, enqueued[0], with_logs=True),
                events,
                updates,
            )

    out, got, fetched, status, events, updates = asyncio.run(main())
    assert out == got == fetched
    assert status.ok and type(events[-1]).__name__ == "Completed"
    assert any(getattr(u, "logs", None) for u in updates)


def test_an_alias_and_its_name_together_is_a_type_error(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client, pytest.raises(TypeError, match="with_logs"):
        client.subscribe(ENDPOINT, ARGS, logs=True, with_logs=True)
