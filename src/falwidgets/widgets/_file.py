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

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._base import FieldWidget
from falwidgets.widgets._upload import Upload

_SAFE_SCHEMES = ("http://", "https://", "data:image/", "data:video/", "data:audio/")
_ACCEPT = {"image": "image/*", "mask": "image/*", "video": "video/*", "audio": "audio/*"}
_EXTENSIONS = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".svg"),
    "video": (".mp4", ".webm", ".mov", ".mkv"),
    "audio": (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac"),
}


def media_kind(url: str, hint: str | None) -> str | None:
    """image/video/audio for a URL: from a data URI's type, else the extension, else the hint."""
    lowered = url.lower()
    if lowered.startswith("data:"):
        major = lowered[5:].split("/", 1)[0]
        return major if major in ("image", "video", "audio") else None
    path = lowered.split("?", 1)[0].split("#", 1)[0]
    for kind, exts in _EXTENSIONS.items():
        if path.endswith(exts):
            return kind
    return {"mask": "image"}.get(hint or "", hint if hint in _EXTENSIONS else None)


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


class FileField(FieldWidget):
    """One file: a URL box, an upload button and a preview (class `fw-file`)."""

    optional_ok = True
    multiple = False

    def build(self) -> w.Box:
        kwargs: dict[str, Any] = {"description": self.label(), "tooltip": self.tooltip()}
        kwargs["placeholder"] = "https://… or upload" + (
            " (one URL per line)" if self.multiple else ""
        )
        self.control = self.ctx.control(w.Textarea if self.multiple else w.Text, "text", **kwargs)
        accept = _ACCEPT.get(self._media() or "", "")
        self.upload = w.FileUpload(
            accept=accept, multiple=self.multiple, layout=self.ctx.layout("small")
        )
        self.upload.add_class("fw-upload")
        self.thumbs = w.HTML(layout=self.ctx.layout("thumbs"))
        self._shown: tuple[str, list[str]] = ("", [])
        self._extras: dict[str, dict[str, Any]] = {}
        self._names: dict[str, str] = {}  # data URI -> the uploaded file's name (for its label)
        self._by_label: dict[str, str] = {}  # label shown in the box -> the data URI it stands for
        self._empty_is_value = False
        self._uploads: list[Upload] = []  # running, oldest first
        self._upload_seq = 0
        self._applied_seq = 0
        self.show_initial()
        self.control.observe(self.changed, "value")
        self.upload.observe(self._uploaded, "value")
        box = self.row(self.control, self.upload, self.thumbs)
        box.add_class("fw-file")
        return box

    def _media(self) -> str | None:
        spec = self.spec.items if self.multiple and self.spec.items else self.spec
        return spec.media or self.spec.media

    # --- uploads ------------------------------------------------------------------------------
    def _uploaded(self, change: dict[str, Any]) -> None:
        """Start uploading the chosen files in a worker thread; the field says "uploading…"."""
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

    def upload_finished(self, job: Upload) -> None:
        """Called once per upload, on the kernel's event loop when there is one."""
        if job in self._uploads:
            self._uploads.remove(job)
        if job.error is not None:
            self.reject(f"Upload failed: {job.error}")
            self._refresh()
            return
        if not self.multiple and job.seq < self._applied_seq:
            self._refresh()  # a later upload already replaced this one
            return
        self._applied_seq = max(self._applied_seq, job.seq)
        for url, name in zip(job.urls, job.names, strict=True):
            self._names[url] = name
        if self.multiple:
            current = self.get()
            self.set([*([] if current is MISSING else current), *job.urls])
        else:
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
        item = self.spec.items if self.multiple and self.spec.items is not None else self.spec
        if item.kind != "object":
            return url
        return {**self._extras.get(url, {}), "url": url}

    def get(self) -> Any:
        urls = self._urls()
        if self.multiple:
            if not urls and not self._empty_is_value and self.spec.default != []:
                return MISSING
            return [self._as_file(u) for u in urls]
        if urls:
            return self._as_file(urls[0])
        if self._empty_is_value:
            return self._as_file("")
        return MISSING

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            items: list[Any] = []
        elif self.multiple:
            if not isinstance(value, list):
                raise TypeError("Input should be a list of URLs")
            items = value
        else:
            items = [value]  # falsy non-strings too (0.0, False): the check below reports them
        urls: list[str] = []
        extras: dict[str, dict[str, Any]] = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                extras[item["url"]] = {k: v for k, v in item.items() if k != "url"}
                item = item["url"]
            if not isinstance(item, str):
                raise TypeError("Input should be a URL string" + "s" * self.multiple)
            urls.append(item)
        self._extras = extras
        self._empty_is_value = urls == [""] or (self.multiple and value == [])
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
        if self.multiple:
            return super().validate()
        value = self.get()
        if isinstance(value, dict):  # a File object: check only its URL
            self.set_error(None)
            return []
        return super().validate()


class FileListField(FileField):
    """Several files (`*_urls`): one URL per line, multi-file upload, a row of previews."""

    multiple = True


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
