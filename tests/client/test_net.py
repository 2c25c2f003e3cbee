"""The asyncio network backend under httpx: same errors, keep-alive, TLS and flow control as
httpx's default, against small real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import trustme

from _wait import async_wait_until
from falwidgets.client import AsyncClient
from falwidgets.client._net import AsyncioBackend, async_transport
from falwidgets.client._sync import _ssl_context

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the backend is used on Python 3.11+ only"
)

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)


def _port(server: asyncio.Server) -> int:
    return server.sockets[0].getsockname()[1]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


def _client(**options: Any) -> httpx.AsyncClient:
    verify = options.pop("verify", _ssl_context())
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    return httpx.AsyncClient(transport=async_transport(verify=verify, limits=limits), **options)


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_the_async_client_runs_on_the_backend(no_proxies: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        async with AsyncClient(base_url="http://127.0.0.1:9", journal=False) as client:
            for shard in client._http.clients + client._streams.clients:
                transport = shard._transport_for_url(httpx.URL("https://queue.fal.run/x"))
                assert isinstance(transport._pool._network_backend, AsyncioBackend)

    asyncio.run(main())


def test_proxy_environment_variables_still_apply(no_proxies: pytest.MonkeyPatch) -> None:
    """Notebooks behind a corporate proxy: HTTP(S)_PROXY reach the async client as before."""
    seen: list[bytes] = []
    accepted = b'{"request_id": "r1", "status": "IN_QUEUE"}'

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await _read_request(reader)).split(b"\r\n")[0])
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(accepted), accepted)
        )
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await _serve(proxy)
        no_proxies.setenv("HTTP_PROXY", f"http://127.0.0.1:{_port(server)}")
        async with AsyncClient(key="k", base_url="http://queue.example", journal=False) as client:
            handle = await client.submit("fal-ai/flux/dev", {"prompt": "p"})
            assert handle.request_id == "r1"
        server.close()

    asyncio.run(main())
    assert seen == [b"POST http://queue.example/fal-ai/flux/dev HTTP/1.1"]


def test_refused_connection_is_connect_error() -> None:
    """The one transport failure after which a submit may be re-sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused

        async def main() -> None:
            async with _client() as client:
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"http://127.0.0.1:{port}/")

        asyncio.run(main())


def test_silent_server_is_read_timeout_and_dropped_answer_is_not_connect_error() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()  # the request arrived; the answer never will

    async def main() -> None:
        quiet, rude = await _serve(silent), await _serve(hang_up)
        async with _client(timeout=httpx.Timeout(5, read=0.2)) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://127.0.0.1:{_port(quiet)}/")
            with pytest.raises(httpx.TransportError) as info:
                await client.post(f"http://127.0.0.1:{_port(rude)}/", json={"a": 1})
            assert not isinstance(info.value, httpx.ConnectError)  # it may have been accepted
        quiet.close()
        rude.close()

    asyncio.run(main())


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    connections = []
    closed: list[int] = []

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await _read_request(reader)
        writer.write(OK)  # keep-alive by default, then the server changes its mind
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
        closed.append(len(connections))

    async def main() -> None:
        server = await _serve(once)
        url = f"http://127.0.0.1:{_port(server)}/"
        async with _client() as client:
            for _ in range(3):
                response = await client.get(url)
                assert response.text == "ok"
                await async_wait_until(
                    lambda: len(closed) == len(connections), 5, "the server to close"
                )
        assert len(connections) == 3
        server.close()

    asyncio.run(main())


def test_large_bodies_both_ways_respect_flow_control() -> None:
    size = 8 << 20

    async def echo_size(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received = 0
        while received < length:
            received += len(await reader.read(1 << 16))
        body = b"x" * size
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        for start in range(0, size, 1 << 20):
            writer.write(body[start : start + (1 << 20)])
            await writer.drain()
        writer.write(b"")
        await asyncio.sleep(0)
        assert received == length

    async def main() -> None:
        server = await _serve(echo_size)
        async with _client() as client:
            response = await client.post(f"http://127.0.0.1:{_port(server)}/", content=b"y" * size)
            assert len(response.content) == size
        server.close()

    asyncio.run(main())


def test_tls_verifies_the_certificate_and_the_host_name() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client refused our certificate
        writer.write(OK)
        await writer.drain()

    async def main() -> None:
        server = await _serve(hello, tls=server_ctx)
        port = _port(server)
        async with _client(verify=trusting) as client:
            response = await client.get(f"https://localhost:{port}/")
            assert response.text == "ok"
            assert response.extensions["network_stream"].get_extra_info("ssl_object") is not None
            with pytest.raises(httpx.ConnectError, match=r"(?i)hostname|match|certificate"):
                await client.get(f"https://127.0.0.1:{port}/")  # the cert names localhost only
        async with _client() as client:  # the system CAs do not know this one
            with pytest.raises(httpx.ConnectError, match=r"(?i)certificate"):
                await client.get(f"https://localhost:{port}/")
        server.close()

    asyncio.run(main())
