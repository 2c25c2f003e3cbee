"""Uploads arrive as binary messages, run off the kernel thread and land in the value in full."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from typing import Any

import pytest

from _wait import async_wait_until
from falwidgets.schema import FieldSpec
from falwidgets.widgets import Form, form
from widget_specs import field, obj


def drop(made: Form, path: list[Any], name: str, mime: str, data: bytes) -> None:
    """What the browser sends when a file is dropped on the field at ``path``."""
    msg = {"type": "upload", "path": path, "name": name, "mime": mime}
    made._on_message(made, msg, [memoryview(data)])


def _form(uploader: Any = None, multiple: bool = False) -> Form:
    image = FieldSpec(name="", kind="string", role="file", media="image")
    spec = (
        field("image_urls", "array", role="file", items=image)
        if multiple
        else field("image_url", "string", role="file", media="image")
    )
    return form(obj(field("prompt", "string", default="p"), spec), uploader=uploader)


class SlowStore:
    """An uploader that blocks until released, recording which thread ran it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[str] = []

    def __call__(self, data: bytes, content_type: str, name: str) -> str:
        self.threads.append(threading.current_thread().name)
        if not self.release.wait(10):
            raise TimeoutError("never released")
        return f"https://cdn.example/{name}"


def test_upload_does_not_block_and_lands_when_done() -> None:
    store = SlowStore()
    made = _form(store)
    drop(made, ["image_url"], "a<b>.png", "image/png", b"PNG")
    # the message handler returned while the upload still waits for its release
    assert not store.release.is_set() and made.uploading
    assert made.uploads["image_url"] == {"name": "a<b>.png", "state": "uploading"}
    assert "image_url" not in made.value  # no URL until the upload finished
    store.release.set()
    made.wait_uploads(5)
    assert made.value["image_url"] == "https://cdn.example/a<b>.png"
    assert not made.uploading and "image_url" not in made.uploads
    assert store.threads and store.threads[0].startswith("falwidgets-upload")


def test_failed_upload_shows_on_the_field_and_keeps_the_old_value() -> None:
    def broken(data: bytes, content_type: str, name: str) -> str:
        raise ConnectionError("storage down")

    made = _form(broken)
    made.value = {"prompt": "p", "image_url": "https://x/old.png"}
    drop(made, ["image_url"], "x.png", "image/png", b"x")
    made.wait_uploads(5)
    state = made.uploads["image_url"]
    assert state["state"] == "failed" and "storage down" in state["error"]
    assert made.value["image_url"] == "https://x/old.png"  # the old value stays


def test_wait_uploads_has_a_deadline() -> None:
    store = SlowStore()
    made = _form(store)
    drop(made, ["image_url"], "slow.png", "image/png", b"x")
    with pytest.raises(TimeoutError, match=r"slow\.png"):
        made.wait_uploads(0.2)
    store.release.set()
    made.wait_uploads(5)
    assert made.value["image_url"].endswith("/slow.png")


def test_on_a_running_loop_the_result_is_applied_on_the_loop_thread() -> None:
    store = SlowStore()
    store.release.set()
    made = _form(store)
    seen: list[str] = []
    made.observe(lambda _: seen.append(threading.current_thread().name), "value")

    async def scenario() -> None:
        drop(made, ["image_url"], "k.png", "image/png", b"k")
        await async_wait_until(lambda: "image_url" in made.value, 5, "the uploaded URL")

    asyncio.run(scenario())
    assert made.value["image_url"] == "https://cdn.example/k.png"
    assert seen == [threading.main_thread().name]  # not the worker: widgets change on the loop
    assert store.threads[0] != threading.main_thread().name


def test_a_data_uri_upload_is_in_widget_state_once() -> None:
    made = _form()  # default uploader: data URIs
    data = os.urandom(84_000)
    drop(made, ["image_url"], "photo.png", "image/png", data)
    made.wait_uploads(5)
    payload = base64.b64encode(data).decode()
    assert made.value["image_url"] == "data:image/png;base64," + payload
    state = made.get_state()
    assert json.dumps(state, default=str).count(payload) == 1  # the value only, not a label too
    made.value = dict(made.value)  # round trip keeps the URI
    assert made.value["image_url"].endswith(payload) and made.errors == []


def test_uploads_into_a_list_land_at_their_rows() -> None:
    made = _form(multiple=True)
    drop(made, ["image_urls", 0], "a.png", "image/png", b"a" * 3000)
    made.wait_uploads(5)
    drop(made, ["image_urls", 1], "a.png", "image/png", b"b" * 3000)  # same name and size
    made.wait_uploads(5)
    first, second = made.value["image_urls"]
    assert first != second and first.startswith("data:image/png")
    made.value = {**made.value, "image_urls": [first, second, "https://x/c.png"]}  # a row by hand
    assert made.value["image_urls"] == [first, second, "https://x/c.png"] and made.errors == []
