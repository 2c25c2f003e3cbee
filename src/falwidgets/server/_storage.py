"""File storage behind the CDN-like URLs: uploads and generated media on disk, served back stably.

Files live under `<root>/files/<file id>/<name>` and are served at `<base>/files/<file id>/<name>`.
Generated media get content-addressed ids (same bytes, same URL); uploads get random ids. Multipart
parts are spooled to disk so a 300 MiB upload never sits in memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import mimetypes
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from falwidgets._hosts import is_loopback

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_RESERVED = ".reserved"  # in an initiate upload's folder until its one PUT: the reserved name


def safe_name(name: str | None, default: str = "upload.bin") -> str:
    """A file name that cannot escape its directory or break a URL."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _SAFE.sub("_", name).strip("._")[:120]
    return name or default


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    """A file the server can serve: where it is on disk and its public URL."""

    file_id: str
    name: str
    path: Path
    url: str
    content_type: str
    size: int

    def as_file(self) -> dict[str, object]:
        """fal's `File` object (url, content_type, file_name, file_size)."""
        return {
            "url": self.url,
            "content_type": self.content_type,
            "file_name": self.name,
            "file_size": self.size,
        }


class Storage:
    """Disk-backed file store addressed by URL."""

    def __init__(self, root: Path, base_url: str = "") -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        (root / "files").mkdir(parents=True, exist_ok=True)
        (root / "multipart").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- naming ---------------------------------------------------------------------------------
    def url_for(self, file_id: str, name: str) -> str:
        return f"{self.base_url}/files/{file_id}/{name}"

    def _dir(self, file_id: str) -> Path:
        if not _ID.match(file_id):
            raise KeyError(file_id)
        return self.root / "files" / file_id

    def _stored(self, file_id: str, name: str) -> StoredFile:
        path = self._dir(file_id) / name
        meta_path = self._dir(file_id) / ".meta.json"
        content_type = guess_type(name)
        if meta_path.exists():
            content_type = json.loads(meta_path.read_text()).get("content_type", content_type)
        return StoredFile(
            file_id,
            name,
            path,
            self.url_for(file_id, name),
            content_type,
            path.stat().st_size if path.exists() else 0,
        )

    def _write_meta(self, file_id: str, content_type: str) -> None:
        """Atomic: readers of a content-addressed file may run while the same bytes are stored."""
        folder = self._dir(file_id)
        tmp = folder / f".meta.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"content_type": content_type}))
        tmp.replace(folder / ".meta.json")

    # -- writing --------------------------------------------------------------------------------
    def put(
        self,
        data: bytes,
        file_name: str | None,
        content_type: str | None = None,
        *,
        content_addressed: bool = False,
    ) -> StoredFile:
        """Store bytes; content-addressed ids make generated media URLs deterministic."""
        name = safe_name(file_name)
        content_type = content_type or guess_type(name)
        if content_addressed:
            digest = hashlib.sha256(data + name.encode()).hexdigest()[:24]
            file_id = digest
        else:
            file_id = uuid.uuid4().hex
        folder = self._dir(file_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if not target.exists() or target.stat().st_size != len(data):
            tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(data)
            tmp.replace(target)
        self._write_meta(file_id, content_type)
        return self._stored(file_id, name)

    def reserve(self, file_name: str | None, content_type: str | None) -> StoredFile:
        """Pick an id and a name for an upload whose bytes arrive later (initiate + PUT)."""
        name = safe_name(file_name)
        file_id = uuid.uuid4().hex
        self._dir(file_id).mkdir(parents=True, exist_ok=True)
        self._write_meta(file_id, content_type or guess_type(name))
        return self._stored(file_id, name)

    def reserve_put(self, file_name: str | None, content_type: str | None) -> StoredFile:
        """`reserve` for initiate + PUT, marked so that only this name may be PUT, once."""
        stored = self.reserve(file_name, content_type)
        (self._dir(stored.file_id) / _RESERVED).write_text(stored.name)
        return stored

    def claim_put(self, file_id: str, name: str) -> Path:
        """Take an initiate reservation for one PUT (else anyone could overwrite stored files).

        KeyError for an unknown id; PermissionError when the name differs or it was used.
        """
        folder = self._dir(file_id)
        if not folder.is_dir():
            raise KeyError(file_id)
        marker = folder / _RESERVED
        with self._lock:
            try:
                reserved = marker.read_text()
            except FileNotFoundError:
                raise PermissionError("this upload URL was already used or never issued") from None
            if reserved != name:
                raise PermissionError(f"this upload URL is for {reserved!r}, not {name!r}")
            marker.unlink()
        return self.open_for_write(file_id, name)

    def release_put(self, file_id: str, name: str) -> None:
        """Give a claimed reservation back after a failed PUT, so the client can try again."""
        (self._dir(file_id) / _RESERVED).write_text(name)

    def open_for_write(self, file_id: str, name: str) -> Path:
        """Path of a temporary file to stream into; `commit` moves it into place."""
        folder = self._dir(file_id)
        if not folder.is_dir():
            raise KeyError(file_id)
        return folder / f".{safe_name(name)}.{uuid.uuid4().hex}.part"

    def commit(self, tmp: Path, file_id: str, name: str) -> StoredFile:
        tmp.replace(self._dir(file_id) / safe_name(name))
        return self._stored(file_id, safe_name(name))

    # -- multipart ------------------------------------------------------------------------------
    def multipart_dir(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise KeyError(upload_id)
        return self.root / "multipart" / upload_id

    def start_multipart(
        self, file_name: str | None, content_type: str | None
    ) -> tuple[str, StoredFile]:
        stored = self.reserve(file_name, content_type)
        upload_id = uuid.uuid4().hex
        folder = self.multipart_dir(upload_id)
        folder.mkdir(parents=True)
        (folder / "target.json").write_text(json.dumps([stored.file_id, stored.name]))
        return upload_id, stored

    def multipart_target(self, upload_id: str) -> tuple[str, str]:
        target = self.multipart_dir(upload_id) / "target.json"
        if not target.exists():
            raise KeyError(upload_id)
        file_id, name = json.loads(target.read_text())
        return file_id, name

    def finish_multipart(self, upload_id: str, part_numbers: list[int] | None) -> StoredFile:
        """Concatenate the parts (all of them, or the listed ones in order) into the file."""
        folder = self.multipart_dir(upload_id)
        file_id, name = self.multipart_target(upload_id)
        available = sorted(int(p.stem.split("-")[1]) for p in folder.glob("part-*.bin"))
        numbers = sorted(set(part_numbers)) if part_numbers else available
        missing = [n for n in numbers if n not in available]
        if missing:
            raise ValueError(f"parts never uploaded: {missing}")
        tmp = self.open_for_write(file_id, name)
        with tmp.open("wb") as out:
            for number in numbers:
                with (folder / f"part-{number}.bin").open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        stored = self.commit(tmp, file_id, name)
        shutil.rmtree(folder, ignore_errors=True)
        return stored

    # -- reading --------------------------------------------------------------------------------
    def get(self, file_id: str, name: str) -> StoredFile | None:
        try:
            stored = self._stored(file_id, safe_name(name))
        except KeyError:
            return None
        return stored if stored.path.is_file() else None

    def local_path(self, url: str) -> Path | None:
        """Disk path of a URL this server issued (any host alias), else None."""
        parts = urlsplit(url)
        segments = unquote(parts.path).strip("/").split("/")
        if len(segments) != 3 or segments[0] != "files":
            return None
        foreign = not url.startswith(self.base_url) and not is_loopback(parts.hostname or "")
        if self.base_url and foreign:
            return None
        stored = self.get(segments[1], segments[2])
        return stored.path if stored else None


def decode_data_uri(uri: str) -> tuple[bytes, str]:
    """Bytes and MIME type of a `data:` URI; ValueError when it is malformed."""
    header, sep, payload = uri.partition(",")
    if not sep or not header.startswith("data:"):
        raise ValueError("malformed data URI")
    mime = header[5:].split(";", 1)[0] or "text/plain"
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False), mime
        except binascii.Error as exc:
            raise ValueError(f"malformed base64 in data URI: {exc}") from None
    return unquote(payload).encode(), mime
