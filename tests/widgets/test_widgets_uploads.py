"""Uploads run off the kernel thread; data URIs are labelled in the box and sent in full."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import os
import threading
import time
from typing import Any

import ipywidgets as w
import pytest
from widget_specs import field, obj

from _wait import async_wait_until
from falwidgets.schema import FieldSpec
from falwidgets.widgets import Form, form


def upfile(name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """An entry shaped like the ones ipywidgets' FileUpload holds after a browser upload."""
    return {
        "name": name,
        "type": content_type,
        "size": len(data),
        "content": memoryview(data),
        "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    }


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
    box = made.fields["image_url"]
    start = time.perf_counter()
    box.upload.value = (upfile("a<b>.png", "image/png", b"PNG"),)
    # the callback returned while the upload waits (a blocking one would wait 10 s)
    assert time.perf_counter() - start < 5.0
    assert made.uploading and box.uploading
    assert "uploading a&lt;b&gt;.png" in box.thumbs.value and "<b>" not in box.thumbs.value
    assert "image_url" not in made.value  # no URL until the upload finished
    assert box.upload.value == ()  # the bytes left widget state at once
    store.release.set()
    made.wait_uploads(5)
    assert made.value["image_url"] == "https://cdn.example/a<b>.png"
    assert not made.uploading and "uploading" not in box.thumbs.value
    assert "<img" in box.thumbs.value
    assert store.threads and store.threads[0].startswith("falwidgets-upload")


def test_failed_upload_shows_on_the_field_and_survives_validate() -> None:
    def broken(data: bytes, content_type: str, name: str) -> str:
        raise ConnectionError("storage down")

    made = _form(broken)
    made.value = {"prompt": "p", "image_url": "https://x/old.png"}
    made.fields["image_url"].upload.value = (upfile("x.png", "image/png", b"x"),)
    made.wait_uploads(5)
    assert made.fields["image_url"].error == "Upload failed: storage down"
    assert made.value["image_url"] == "https://x/old.png"  # the old value stays
    assert [e["msg"] for e in made.validate()] == ["Upload failed: storage down"]


def test_wait_uploads_has_a_deadline() -> None:
    store = SlowStore()
    made = _form(store)
    made.fields["image_url"].upload.value = (upfile("slow.png", "image/png", b"x"),)
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
        made.fields["image_url"].upload.value = (upfile("k.png", "image/png", b"k"),)
        await async_wait_until(lambda: "image_url" in made.value, 5, "the uploaded URL")

    asyncio.run(scenario())
    assert made.value["image_url"] == "https://cdn.example/k.png"
    assert seen == [threading.main_thread().name]  # not the worker: widgets change on the loop
    assert store.threads[0] != threading.main_thread().name


def _state_text(root: w.Widget) -> str:
    """Every widget's synced state under `root`, as one string."""
    parts, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        state = node.get_state()
        parts.append(json.dumps({k: v for k, v in state.items() if isinstance(v, str)}))
        stack.extend(getattr(node, "children", ()))
    return "\n".join(parts)


def test_a_data_uri_upload_is_in_widget_state_once_with_a_short_label() -> None:
    made = _form()  # default uploader: data URIs
    data = os.urandom(84_000)
    made.fields["image_url"].upload.value = (upfile("photo.png", "image/png", data),)
    made.wait_uploads(5)
    payload = base64.b64encode(data).decode()
    assert made.value["image_url"] == "data:image/png;base64," + payload
    box = made.fields["image_url"]
    assert box.control.value == "photo.png (data URI, 84 KB)"
    assert _state_text(made).count(payload) == 1  # the thumbnail, not the text box too
    made.value = dict(made.value)  # round trip keeps the URI
    assert made.value["image_url"].endswith(payload) and made.errors == []


def test_data_uri_labels_in_a_list_map_back_when_the_user_edits() -> None:
    made = _form(multiple=True)
    made.fields["image_urls"].upload.value = (
        upfile("a.png", "image/png", b"a" * 3000),
        upfile("a.png", "image/png", b"b" * 3000),  # same name and size: labels stay distinct
    )
    made.wait_uploads(5)
    box = made.fields["image_urls"]
    first, second = made.value["image_urls"]
    assert first != second and first.startswith("data:image/png")
    assert [r.control.value for r in box.rows()] == ["a.png (data URI, 3 KB)"] * 2
    box.append().control.value = "https://x/c.png"  # the user adds a row by hand
    assert made.value["image_urls"] == [first, second, "https://x/c.png"]
    box.remove(0)  # ... and removes the first
    assert made.value["image_urls"] == [second, "https://x/c.png"]


def test_a_data_uri_set_as_value_is_labelled_by_type() -> None:
    made = _form()
    uri = "data:image/png;base64," + base64.b64encode(b"x" * 2400).decode()
    made.value = {"prompt": "p", "image_url": uri}
    assert made.fields["image_url"].control.value == "image/png (data URI, 2 KB)"
    assert made.value["image_url"] == uri
