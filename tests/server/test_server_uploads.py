"""Upload routes: only the reserved name may be PUT, once; dropped uploads leave nothing behind."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _wait import wait_until
from falwidgets.server import serve

FLUX = "fal-ai/flux-realism"


def test_initiate_put_only_writes_the_reserved_name_once(local_server: Any) -> None:
    with local_server.client() as http:
        started = http.post(
            "/storage/upload/initiate", json={"file_name": "a.txt", "content_type": "text/plain"}
        ).json()
        folder = started["upload_url"].rsplit("/", 1)[0]
        other = http.put(f"{folder}/b.txt", content=b"other name")
        assert other.status_code == 403 and "'a.txt'" in other.json()["detail"]
        assert http.put(started["upload_url"], content=b"first").status_code == 200
        again = http.put(started["upload_url"], content=b"second")
        assert again.status_code == 403 and "already used" in again.json()["detail"]
        assert http.get(started["file_url"]).content == b"first"

        run = http.post(f"/run/{FLUX}", json={"prompt": "mine", "num_inference_steps": 2})
        url = run.json()["images"][0]["url"]
        file_id, name = url.split("/files/")[1].split("/")
        before = http.get(url).content
        overwrite = http.put(f"/storage/upload/put/{file_id}/{name}", content=b"PWNED")
        assert overwrite.status_code == 403
        assert http.get(url).content == before


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def quiet_server() -> Iterator[tuple[Any, Records]]:
    """A private server and the errors uvicorn logs (an ASGI traceback is one)."""
    with serve(port=0, workers=1) as server:
        records = Records()
        logger = logging.getLogger("uvicorn.error")
        logger.addHandler(records)
        try:
            yield server, records
        finally:
            logger.removeHandler(records)


def part_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part") or p.name.startswith(".part-")]


def drop_mid_upload(server: Any, method: str, path: str) -> None:
    """Send half a body, wait for the server to spool it, then vanish."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n"
    sock.sendall(head.encode() + b"x-fal-file-name: cut.bin\r\n\r\n" + b"x" * 100_000)
    wait_until(lambda: part_files(server.data_dir), 3, f"{path}: the spooled part on disk")
    sock.close()


def test_a_dropped_upload_leaves_no_part_file_and_no_traceback(
    quiet_server: tuple[Any, Records],
) -> None:
    server, records = quiet_server
    with server.client() as http:
        started = http.post("/storage/upload/initiate", json={"file_name": "cut.bin"}).json()
        multipart = http.post("/files/upload/multipart", headers={"x-fal-file-name": "m.bin"})
        access, upload_id = multipart.json()["access_url"], multipart.json()["uploadId"]
        part_url = f"{access}/multipart/{upload_id}/1".replace(server.url, "")
        put_url = started["upload_url"].replace(server.url, "")
        for method, path in (("POST", "/files/upload"), ("PUT", put_url), ("PUT", part_url)):
            drop_mid_upload(server, method, path)
            wait_until(lambda: not part_files(server.data_dir), 3, f"{path}: no .part left")
        assert not records.records, [r.getMessage() for r in records.records]
        # the reservation survives the dropped PUT: the client can try again
        assert http.put(started["upload_url"], content=b"whole").status_code == 200
        assert http.get(started["file_url"]).content == b"whole"
