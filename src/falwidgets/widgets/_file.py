"""File inputs: paste a URL or upload a local file; previews by URL, never by pushing bytes.

Uploads go through the form's `uploader(data, content_type, file_name) -> url` (the runner passes
the client's upload; the default inlines a data URI). Previews are plain `<img>/<video>/<audio>`
tags pointing at the URL (escaped), so the browser fetches remote media itself.
"""

from __future__ import annotations

import html
import mimetypes
from typing import Any

import ipywidgets as w

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._base import FieldWidget

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


def preview_html(url: str, hint: str | None) -> str:
    """An escaped `<img>/<video>/<audio>` for a URL, or a plain link; nothing for unsafe schemes."""
    if not url.lower().startswith(_SAFE_SCHEMES):
        return ""
    src = html.escape(url, quote=True)
    kind = media_kind(url, hint)
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
        self.set(self.initial())
        self.control.observe(self.changed, "value")
        self.upload.observe(self._uploaded, "value")
        box = self.row(self.control, self.upload, self.thumbs)
        box.add_class("fw-file")
        return box

    def _media(self) -> str | None:
        spec = self.spec.items if self.multiple and self.spec.items else self.spec
        return spec.media or self.spec.media

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        try:
            urls = [self._send(f) for f in files]
        except Exception as exc:  # the uploader failed: say so on the field, keep the old value
            self.set_error(f"Upload failed: {exc}")
            return
        finally:
            self.upload.value = ()  # drop the bytes from the kernel; the same file can come again
        if self.multiple:
            self.set([*self._urls(), *urls])
        else:
            self.set(urls[-1])
        self.changed()

    def _send(self, upload: Any) -> str:
        name = str(_get(upload, "name") or "upload.bin")
        content_type = str(
            _get(upload, "type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        data = bytes(_get(upload, "content") or b"")
        url = self.ctx.uploader(data, content_type, name)
        if not isinstance(url, str) or not url:
            raise TypeError("the uploader returned no URL")
        return url

    def _urls(self) -> list[str]:
        if self.control.value == self._shown[0]:
            return list(self._shown[1])  # exactly what was set, even odd entries like ""
        return [line.strip() for line in self.control.value.splitlines() if line.strip()]

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
        self._extras: dict[str, dict[str, Any]] = {}
        self._empty_is_value = (
            value == "" or value == [] or (isinstance(value, dict) and value.get("url") == "")
        )
        if value is MISSING or value is None:
            value = [] if self.multiple else ""
        values = value if self.multiple else ([value] if value or self._empty_is_value else [])
        if not isinstance(values, list):
            raise TypeError("Input should be a list of URLs")
        urls = []
        for item in values:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                self._extras[item["url"]] = {k: v for k, v in item.items() if k != "url"}
                item = item["url"]
            if not isinstance(item, str):
                raise TypeError("Input should be a URL string" + "s" * self.multiple)
            urls.append(item)
        self._shown = ("\n".join(urls), urls)
        self.control.value = self._shown[0]
        self._refresh()

    def changed(self, *args: Any) -> None:
        if not self._muted and self.control.value:
            self._empty_is_value = False
        self._refresh()
        super().changed(*args)

    def _refresh(self) -> None:
        hint = self._media()
        self.thumbs.value = "".join(preview_html(u, hint) for u in self._urls()[:8])

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
