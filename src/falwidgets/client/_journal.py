"""The request journal: every submit is on disk before ``submit`` returns, so nothing is lost.

One SQLite file (``journal.sqlite3`` under :func:`falwidgets._home.home`, i.e. ``FALWIDGETS_HOME``
or the platform's user data dir), WAL mode, so several processes and threads can share it; writes
are group-committed by one thread per journal (see ``_journal_writer``). A row per request holds
the endpoint, request id, the queue base it was sent to, its status/response/cancel URLs, the
arguments (JSON, with their sha256), times, the final state and the result. ``data:`` URIs over
64 KiB in arguments or results are replaced by a marker so the file stays small.

Public surface: :func:`journal` lists entries (newest first); :func:`mark_journal` records a final
state the client could not see itself (e.g. the server that ran a request is gone for good);
``Client.resume(entry_or_id)`` and ``Handle.from_request_id`` continue any of them, from any
process.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from falwidgets._home import home
from falwidgets.client._journal_writer import JournalWriter

__all__ = [
    "AMBIGUOUS",
    "FINAL_STATES",
    "Journal",
    "JournalEntry",
    "digest",
    "journal",
    "mark_journal",
    "shrink",
]

SUBMITTED = "SUBMITTED"
# a submit whose answer was lost after sending (see ``_reconcile``): the row has a placeholder id
# (``ambiguous-…``) and no URLs until the request is found in the platform history
AMBIGUOUS = "AMBIGUOUS"
FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED")
DATA_URI_CAP = 64 * 1024
READ_FLUSH_SECONDS = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    base TEXT NOT NULL,
    status_url TEXT NOT NULL,
    response_url TEXT NOT NULL,
    cancel_url TEXT NOT NULL,
    arguments TEXT NOT NULL,
    arguments_sha256 TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    error TEXT,
    error_type TEXT,
    metrics TEXT,
    result TEXT,
    UNIQUE (base, request_id)
);
CREATE INDEX IF NOT EXISTS requests_request_id ON requests (request_id);
CREATE INDEX IF NOT EXISTS requests_endpoint ON requests (endpoint, created);
"""


def shrink(value: Any, cap: int = DATA_URI_CAP) -> Any:
    """A copy of ``value`` with every ``data:`` URI longer than ``cap`` replaced by a marker."""
    if isinstance(value, str):
        if value.startswith("data:") and len(value) > cap:
            head = value[: value.find(",") if "," in value else 40]
            return f"<{head} omitted: {len(value)} chars>"
        return value
    if isinstance(value, dict):
        return {k: shrink(v, cap) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shrink(v, cap) for v in value]
    return value


def _dumps_small(value: Any) -> str:
    """JSON of ``value`` with big data URIs replaced (walks the value only when it has one)."""
    text = json.dumps(value, default=str)
    if len(text) > DATA_URI_CAP and '"data:' in text:
        text = json.dumps(shrink(value), default=str)
    return text


def digest(arguments: Any) -> str:
    """sha256 of the canonical JSON of the arguments (to spot repeated inputs)."""
    text = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class JournalEntry:
    """One journalled request. ``status`` is SUBMITTED until a result, error or cancel is seen."""

    request_id: str
    endpoint: str
    base: str
    status_url: str
    response_url: str
    cancel_url: str
    arguments: dict[str, Any] = field(repr=False)
    arguments_sha256: str
    created: float
    finished: float | None
    status: str
    error: str | None = None
    error_type: str | None = None
    metrics: dict[str, Any] | None = None
    result: Any = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _entry(row: sqlite3.Row) -> JournalEntry:
    """One row as an entry, decoded defensively: a corrupt JSON column (a crash mid-write, a
    hand edit) must not make every listing (and so the history widget) fail. Such a field comes
    back empty and ``error`` says the entry is unreadable, so the row is still listed."""
    broken: list[str] = []

    def load(column: str) -> Any:
        try:
            return _loads(row[column])
        except (ValueError, TypeError):  # JSONDecodeError is a ValueError
            broken.append(column)
            return None

    arguments, metrics, result = load("arguments"), load("metrics"), load("result")
    error = row["error"]
    if broken:
        note = f"journal entry unreadable: {', '.join(broken)} could not be decoded"
        error = f"{note}; {error}" if error else note
    return JournalEntry(
        request_id=row["request_id"],
        endpoint=row["endpoint"],
        base=row["base"],
        status_url=row["status_url"],
        response_url=row["response_url"],
        cancel_url=row["cancel_url"],
        arguments=arguments if isinstance(arguments, dict) else {},
        arguments_sha256=row["arguments_sha256"],
        created=row["created"],
        finished=row["finished"],
        status=row["status"],
        error=error,
        error_type=row["error_type"],
        metrics=metrics if isinstance(metrics, dict) else None,
        result=result,
    )


def _ensure_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch the file to WAL once; concurrent openers may see SQLITE_BUSY without waiting.

    Changing the journal mode needs an exclusive lock, and SQLite answers "database is locked"
    at once (no busy handler) when another connection is opening the same file at that moment.
    The mode is persistent, so most connections find it set already and never ask for the lock.
    """
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


class Journal:
    """Thread- and process-safe access to one journal file."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else home() / "journal.sqlite3"
        self._local = threading.local()
        self._ready = False
        self._writer = JournalWriter(self._open_connection)

    def _connect(self) -> sqlite3.Connection:
        """This thread's reading connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open_connection()
        return conn

    def _open_connection(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        _ensure_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")  # survives crashes, not power cuts (CONTRIBUTING)
        if not self._ready:
            conn.executescript(_SCHEMA)
            self._ready = True
        return conn

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait (at most ``timeout`` s) for this process's queued writes to reach the file."""
        self._writer.flush(timeout)

    def write_submit(
        self,
        *,
        request_id: str,
        endpoint: str,
        base: str,
        status_url: str,
        response_url: str,
        cancel_url: str,
        arguments: Any,
        status: str = SUBMITTED,
    ) -> Future[None]:
        """Queue the submit's row; the future resolves once it is committed (``submit`` waits
        for it before returning) or its failure is logged. ``status`` AMBIGUOUS journals a
        submit whose answer was lost (see ``_reconcile``)."""
        return self._writer.put(
            "INSERT OR IGNORE INTO requests (request_id, endpoint, base, status_url,"
            " response_url, cancel_url, arguments, arguments_sha256, created, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                endpoint,
                base,
                status_url,
                response_url,
                cancel_url,
                _dumps_small(arguments),
                digest(arguments),
                time.time(),
                status,
            ),
            what="submit",
            request_id=request_id,
        )

    def write_resolved(
        self,
        placeholder: str,
        *,
        request_id: str,
        status_url: str,
        response_url: str,
        cancel_url: str,
    ) -> Future[None]:
        """An AMBIGUOUS row becomes the request it was found to be (or was resubmitted as):
        one row per call, SUBMITTED with its real id and URLs, followed like any other."""
        return self._writer.put(
            "UPDATE OR IGNORE requests SET request_id = ?, status_url = ?, response_url = ?,"
            " cancel_url = ?, status = ? WHERE request_id = ? AND status = ?",
            (request_id, status_url, response_url, cancel_url, SUBMITTED, placeholder, AMBIGUOUS),
            what="resolved submit",
            request_id=request_id,
        )

    def record_final(self, request_id: str, status: str, **fields: Any) -> None:
        """Record a final state and wait until it is on disk (see :meth:`write_final`)."""
        self.write_final(request_id, status, **fields).result()

    def write_final(
        self,
        request_id: str,
        status: str,
        *,
        response_url: str | None = None,
        result: Any = None,
        error: str | None = None,
        error_type: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> Future[None]:
        """Queue the final state of a request (result, error or cancel); idempotent. Callers need
        not wait: readers in this process flush first, and exit flushes what is left."""
        sql = (
            "UPDATE requests SET status = ?, finished = ?, error = ?, error_type = ?,"
            " metrics = COALESCE(?, metrics), result = COALESCE(?, result) WHERE request_id = ?"
        )
        params: list[Any] = [
            status,
            time.time(),
            error,
            error_type,
            None if metrics is None else json.dumps(metrics, default=str),
            None if result is None else _dumps_small(result),
            request_id,
        ]
        if response_url:
            sql += " AND response_url = ?"
            params.append(response_url)
        return self._writer.put(sql, params, what="final state", request_id=request_id)

    def entries(
        self,
        limit: int | None = None,
        endpoint: str | None = None,
        status: str | None = None,
        request_id: str | None = None,
        flush: bool = True,
    ) -> list[JournalEntry]:
        """Entries newest first, optionally filtered (after this process's queued writes, unless
        ``flush`` is false)."""
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        where: list[str] = []
        params: list[Any] = []
        filters = (("endpoint", endpoint), ("status", status), ("request_id", request_id))
        for column, value in filters:
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        if flush:  # read our own writes, unless another process holds the file
            self.flush(READ_FLUSH_SECONDS)
        conn = self._connect()
        conn.row_factory = sqlite3.Row
        rows = conn.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]

    def owners(self, endpoint: str, arguments_sha256: str) -> set[str]:
        """Request ids of committed rows (not AMBIGUOUS) with this endpoint and input digest: the
        requests other calls already own (see ``_reconcile``). No flush: a submit's row is
        committed before ``submit`` returns, and waiting on other calls' writes would stall."""
        rows = self._connect().execute(
            "SELECT request_id FROM requests WHERE endpoint = ? AND arguments_sha256 = ?"
            " AND status != ?",
            (endpoint, arguments_sha256, AMBIGUOUS),
        )
        return {row[0] for row in rows.fetchall()}

    def search(
        self, query: str = "", *, offset: int = 0, limit: int = 50, endpoint: str | None = None
    ) -> tuple[int, list[JournalEntry]]:
        """One page of entries, newest first, whose endpoint, request id or arguments contain
        ``query`` (case-insensitive), and how many match in all. A history view lists 10,000 runs
        a page at a time instead of decoding every row."""
        if not isinstance(offset, int) or offset < 0 or not isinstance(limit, int) or limit < 0:
            raise ValueError(
                f"offset and limit must be non-negative integers: {offset!r}, {limit!r}"
            )
        where, params = [], []
        if endpoint is not None:
            where.append("endpoint = ?")
            params.append(endpoint)
        for word in str(query or "").split():
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(endpoint LIKE ? ESCAPE '\\' OR request_id LIKE ? ESCAPE '\\' "
                "OR arguments LIKE ? ESCAPE '\\' OR status LIKE ? ESCAPE '\\')"
            )
            params.extend([like] * 4)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        self.flush(READ_FLUSH_SECONDS)
        conn = self._connect()
        conn.row_factory = sqlite3.Row
        total = conn.execute(f"SELECT COUNT(*) FROM requests{clause}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM requests{clause} ORDER BY created DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return int(total), [_entry(row) for row in rows]

    def get(self, request_id: str, flush: bool = True) -> JournalEntry | None:
        found = self.entries(limit=1, request_id=request_id, flush=flush)
        return found[0] if found else None


_default: dict[Path, Journal] = {}
_lock = threading.Lock()


def default_journal() -> Journal:
    """The journal of the current home (re-resolved so FALWIDGETS_HOME changes take effect)."""
    path = home() / "journal.sqlite3"
    with _lock:
        if path not in _default:
            _default[path] = Journal(path)
        return _default[path]


def journal(
    limit: int | None = None, endpoint: str | None = None, status: str | None = None
) -> list[JournalEntry]:
    """Journalled requests, newest first; ``status``: SUBMITTED/COMPLETED/FAILED/CANCELLED."""
    return default_journal().entries(limit=limit, endpoint=endpoint, status=status)


def mark_journal(
    request_id: str,
    status: str,
    *,
    error: str | None = None,
    error_type: str | None = None,
) -> None:
    """Record a final ``status`` (COMPLETED/FAILED/CANCELLED) for a journalled request.

    For outcomes the client never observes, such as a run whose local server died with its kernel:
    marking it FAILED stops history views from trying to resume it forever. Unknown ids are a
    no-op; ``KeyError`` is not raised so a cleanup pass can mark freely.
    """
    if status not in FINAL_STATES:
        raise ValueError(f"status must be one of {FINAL_STATES}, got {status!r}")
    if not isinstance(request_id, str) or not request_id:
        raise ValueError(f"request_id must be a non-empty string, got {request_id!r}")
    default_journal().record_final(request_id, status, error=error, error_type=error_type)
