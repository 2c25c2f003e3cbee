"""File inputs: paste a URL or upload a local file; previews by URL, never by pushing bytes.

Uploads go through the form's `uploader(data, content_type, file_name) -> url` (the runner passes
the client's upload; the default inlines a data URI) in a worker thread, so a slow upload never
freezes the kernel. Previews are plain `<img>/<video>/<audio>` tags pointing at the URL (escaped),
so the browser fetches remote media itself. A data URI is shown in the text box as a short label
("photo.png (data URI, 84 KB)"): the field's value keeps the URI, widget state holds it once.
"""

from __future__ import annotations

import html
import mimetypes
from typing import Any

import ipywidgets as w

from falwidgets._media import kind_of
from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._base import FieldWidget
from falwidgets.widgets._composite import ListField
from falwidgets.widgets._upload import Upload

_SAFE_SCHEMES = ("http://", "https://", "data:image/", "data:video/", "data:audio/")
_ACCEPT = {"image": "image/*", "mask": "image/*", "video": "video/*", "audio": "audio/*"}
_SHOWN = ("image", "video", "audio")  # kinds a file field can preview (thumbnail or player)


def media_kind(url: str, hint: str | None) -> str | None:
    """image/video/audio for a URL (the shared media table, the field's media as a last hint)."""
    kind = kind_of(url, hint=hint)
    return kind if kind in _SHOWN else None


INLINE_MEDIA_LIMIT = 1_000_000
"""Data-URI video/audio longer than this get a label, not a player (images are always shown)."""


def data_uri_label(url: str, name: str | None = None) -> str:
    """A short stand-in for a data URI: "photo.png (data URI, 84 KB)"."""
    head, _, payload = url.partition(",")
    base64 = head.endswith(";base64")
    size = len(payload) * 3 // 4 - payload[-2:].count("=") if base64 else len(payload)
    shown = name or head[5:].split(";", 1)[0] or "data"
    return f"{shown} (data URI, {_size(size)})"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{round(n / 1000)} KB"
    return f"{n / 1_000_000:.1f} MB"


def preview_html(url: str, hint: str | None, name: str | None = None) -> str:
    """An escaped `<img>/<video>/<audio>` for a URL, or a plain link; nothing for unsafe schemes."""
    if not url.lower().startswith(_SAFE_SCHEMES):
        return ""
    kind = media_kind(url, hint)
    if url.startswith("data:") and kind != "image" and len(url) > INLINE_MEDIA_LIMIT:
        label = html.escape(data_uri_label(url, name))
        return f'<span class="fw-thumb fw-thumb-label">{label}</span>'
    src = html.escape(url, quote=True)
    if kind == "image":
        return f'<img class="fw-thumb" src="{src}" style="max-height:96px;max-width:160px">'
    if kind == "video":
        return (
            f'<video class="fw-thumb" src="{src}" controls muted style="max-height:120px"></video>'
        )
    if kind == "audio":
        return f'<audio class="fw-thumb" src="{src}" controls></audio>'
    short = html.escape(url[:80] + ("…" if len(url) > 80 else ""))
    return f'<a class="fw-thumb" href="{src}" target="_blank" rel="noopener">{short}</a>'


class _Uploads:
    """The upload half both file fields share: read the chosen files, upload them in a worker
    thread (the field says "uploading…"), and track the jobs still running."""

    upload: w.FileUpload
    _uploads: list[Upload]  # running, oldest first
    _upload_seq: int

    def _uploaded(self: Any, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        try:
            payload = [_read(f) for f in files]
        except Exception as exc:
            self.reject(f"Upload failed: {exc}")
            return
        finally:
            self.upload.value = ()  # drop the bytes from widget state; the same file can come again
        self._upload_seq += 1
        job = Upload(self, payload, self._upload_seq, self.ctx.uploads)
        self._uploads.append(job)
        self._refresh()
        job.start(self.ctx.uploader)

    @property
    def uploading(self) -> bool:
        """An upload started from this field has not finished yet."""
        return bool(self._uploads)

    def _forget(self, job: Upload) -> None:
        if job in self._uploads:
            self._uploads.remove(job)


class FileField(_Uploads, FieldWidget):
    """One file: a URL box, an upload button and a preview (class `fw-file`)."""

    optional_ok = True

    def build(self) -> w.Box:
        kwargs: dict[str, Any] = {"description": self.label(), "tooltip": self.tooltip()}
        kwargs["placeholder"] = "https://… or upload"
        self.control = self.ctx.control(w.Text, "line", **kwargs)
        accept = _ACCEPT.get(self._media() or "", "")
        self.upload = w.FileUpload(accept=accept, multiple=False, layout=self.ctx.layout("small"))
        self.upload.add_class("fw-upload")
        self.thumbs = w.HTML(layout=self.ctx.layout("thumbs"))
        self._shown: tuple[str, list[str]] = ("", [])
        self._extras: dict[str, dict[str, Any]] = {}
        self._names: dict[str, str] = {}  # data URI -> the uploaded file's name (for its label)
        self._by_label: dict[str, str] = {}  # label shown in the box -> the data URI it stands for
        self._empty_is_value = False
        self._uploads = []
        self._upload_seq = 0
        self._applied_seq = 0
        self.show_initial()
        self.control.observe(self.changed, "value")
        self.upload.observe(self._uploaded, "value")
        box = self.row(self.control, self.upload, self.thumbs)
        box.add_class("fw-file")
        return box

    def _media(self) -> str | None:
        return self.spec.media

    # --- uploads ------------------------------------------------------------------------------
    def upload_finished(self, job: Upload) -> None:
        """Called once per upload, on the kernel's event loop when there is one."""
        self._forget(job)
        if job.error is not None:
            self.reject(f"Upload failed: {job.error}")
            self._refresh()
            return
        if job.seq < self._applied_seq:
            self._refresh()  # a later upload already replaced this one
            return
        self._applied_seq = max(self._applied_seq, job.seq)
        for url, name in zip(job.urls, job.names, strict=True):
            self._names[url] = name
        self.set(job.urls[-1])
        self.changed()

    # --- value --------------------------------------------------------------------------------
    def _urls(self) -> list[str]:
        if self.control.value == self._shown[0]:
            return list(self._shown[1])  # exactly what was set, even odd entries like ""
        lines = [line.strip() for line in self.control.value.splitlines() if line.strip()]
        return [self._by_label.get(line, line) for line in lines]

    def _as_file(self, url: str) -> Any:
        """The value of one URL: a string, or the File object the schema wants (extras kept)."""
        if self.spec.kind != "object":
            return url
        return {**self._extras.get(url, {}), "url": url}

    def get(self) -> Any:
        urls = self._urls()
        if urls:
            return self._as_file(urls[0])
        if self._empty_is_value:
            return self._as_file("")
        return MISSING

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            items: list[Any] = []
        else:
            items = [value]  # falsy non-strings too (0.0, False): the check below reports them
        urls: list[str] = []
        extras: dict[str, dict[str, Any]] = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                extras[item["url"]] = {k: v for k, v in item.items() if k != "url"}
                item = item["url"]
            if not isinstance(item, str):
                raise TypeError("Input should be a URL string")
            urls.append(item)
        self._extras = extras
        self._empty_is_value = urls == [""]
        self._names = {u: n for u, n in self._names.items() if u in urls}
        self._by_label = {}
        lines = [self._line(u) for u in urls]
        self._shown = ("\n".join(lines), urls)
        self.control.value = self._shown[0]
        self._refresh()

    def _line(self, url: str) -> str:
        """What the text box shows for a URL: itself, or a unique short label for a data URI."""
        if not url.startswith("data:"):
            return url
        label = base = data_uri_label(url, self._names.get(url))
        n = 1
        while self._by_label.get(label, url) != url:
            n += 1
            label = f"{base} #{n}"
        self._by_label[label] = url
        return label

    def changed(self, *args: Any) -> None:
        if not self._muted and self.control.value:
            self._empty_is_value = False
        self._refresh()
        super().changed(*args)

    def _refresh(self) -> None:
        hint = self._media()
        busy = "".join(
            f'<span class="fw-uploading">uploading {html.escape(", ".join(job.names))}…</span>'
            for job in self._uploads
        )
        self.thumbs.value = busy + "".join(
            preview_html(u, hint, self._names.get(u)) for u in self._urls()[:8]
        )

    def validate(self) -> list[dict[str, Any]]:
        value = self.get()
        if isinstance(value, dict):  # a File object: check only its URL
            self.set_error(None)
            return []
        return super().validate()


class FileListField(_Uploads, ListField):
    """Several files (`*_urls`): one URL-or-upload row per file (add, remove, reorder) and a
    multi-file upload that fills a row per file; the value is a list. A textarea of URLs wrapped
    and clipped them mid-string, so every URL gets its own full-width row instead."""

    def build(self) -> w.Box:
        self._uploads = []
        self._upload_seq = 0
        box = super().build()
        self._add.description = "+ URL"
        self._add.tooltip = "add a row for another URL"
        self.upload = w.FileUpload(
            accept=_ACCEPT.get(self.spec.media or self._item_media() or "", ""),
            multiple=True,
            description="Upload files",
            layout=self.ctx.layout("small"),
        )
        self.upload.add_class("fw-upload")
        self.upload.observe(self._uploaded, "value")
        self.status = w.HTML(layout=self.ctx.layout("small"))
        # rows on top, list buttons below: beside the rows they squeezed every URL box
        buttons = w.Box([self._add, self.upload, self.status], layout=self.ctx.layout("row"))
        column = w.Box([self._rows, buttons], layout=self.ctx.layout("rows"))
        title = box.children[0]
        box.children = (title, column)
        box.layout = self.ctx.layout("top_row")  # the label stays beside the first URL row
        box.add_class("fw-file-list")
        return box

    def _item_media(self) -> str | None:
        return self.spec.items.media if self.spec.items is not None else None

    def item_spec(self, index: int) -> FieldSpec:
        spec = super().item_spec(index)
        return spec if spec.media else spec.evolve(media=self.spec.media)

    def append(self, value: Any = MISSING) -> FieldWidget:
        """Add a URL row (empty, or showing `value`); rows left empty are not sent."""
        field = super().append(value)
        field.control.description = ""  # the list's label names them all
        field.control.placeholder = "https://… or upload"
        field.widget.layout = self.ctx.layout("grow")
        field.thumbs.layout = self.ctx.layout("row_thumbs")
        return field

    def rows(self) -> list[FileField]:
        """The URL rows, in order (empty ones included)."""
        return [f for f in self.items if isinstance(f, FileField)]

    def get(self) -> Any:
        values = [v for v in (f.get() for f in self.items) if v is not MISSING]
        if not values and not self._empty_is_value and self.spec.default != []:
            return MISSING
        return values

    def set(self, value: Any) -> None:
        if value is not MISSING and value is not None and not isinstance(value, list):
            raise TypeError("Input should be a list of URLs")
        super().set(value)
        if not self.items:  # an empty row to paste into, so the field looks like what it is
            with self.muted():
                self.append()

    # --- uploads ------------------------------------------------------------------------------
    def upload_finished(self, job: Upload) -> None:
        """Each uploaded file fills the first empty row, else a new one."""
        self._forget(job)
        self._refresh()
        if job.error is not None:
            self.reject(f"Upload failed: {job.error}")
            return
        with self.muted():
            for url, name in zip(job.urls, job.names, strict=True):
                empty = next((f for f in self.rows() if f.get() is MISSING), None)
                row = empty or self.append()
                row._names[url] = name
                row.assign(url)
        self.changed()

    def _refresh(self) -> None:
        self.status.value = "".join(
            f'<span class="fw-uploading">uploading {html.escape(", ".join(job.names))}…</span>'
            for job in self._uploads
        )


def is_file(spec: FieldSpec) -> bool:
    return spec.role == "file" and spec.kind in ("string", "object", "any")


def is_file_list(spec: FieldSpec) -> bool:
    return spec.kind == "array" and spec.items is not None and is_file(spec.items)


def _get(upload: Any, key: str) -> Any:
    return upload.get(key) if isinstance(upload, dict) else getattr(upload, key, None)


def _read(upload: Any) -> tuple[bytes, str, str]:
    """(data, content_type, file_name) of one FileUpload entry, copied off the widget."""
    name = str(_get(upload, "name") or "upload.bin")
    content_type = str(
        _get(upload, "type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    return bytes(_get(upload, "content") or b""), content_type, name
