"""The queue: jobs, a bounded pool of worker threads, cancellation, start deadlines, retention.

HTTP handlers only read and flip job state under one lock; the work itself (PIL, PyAV, user code)
runs on worker threads so the event loop stays responsive under hundreds of submissions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from falwidgets._endpoint_id import parse_endpoint
from falwidgets.server._context import (
    FieldError,
    JobCancelled,
    JobContext,
    Requeued,
    timestamp,
)
from falwidgets.server._faults import Faults
from falwidgets.server._metrics import Metrics
from falwidgets.server._registry import EndpointDef
from falwidgets.server._storage import Storage
from falwidgets.server._validation import pydantic_detail

log = logging.getLogger("falwidgets.server")

RETENTION_SECONDS = 3600.0
MAX_REQUEUES = 3
MAX_EXPIRER_WAIT = 60.0  # the expirer wakes at least this often while deadlines are pending


class BadOutput(ValueError):
    """An endpoint's result that JSON cannot carry (NaN, inf): the request fails, cleanly."""


@dataclass
class Job:
    """One request's whole life. Mutated only with `JobQueue.lock` held."""

    request_id: str
    endpoint_id: str
    queue_prefix: str
    arguments: dict[str, Any]
    inp: Any = None
    definition: EndpointDef | None = None
    state: str = "IN_QUEUE"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    start_deadline: float | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    partials: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None
    error_status: int = 500
    error_body: Any = None
    webhook_url: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)
    version: int = 0
    requeues: int = 0
    visible: bool = True  # False for synchronous run/stream calls
    abandoned: bool = False  # a run/stream job its caller is done with: dropped once finished
    base_url: str = ""  # the base the submit came in on (webhook payload URLs use it)
    priority: str = "normal"  # X-Fal-Queue-Priority: "low" waits behind every "normal" request
    no_retry: bool = False  # X-Fal-No-Retry: a lost runner fails the request instead of requeueing

    @property
    def metrics(self) -> dict[str, float]:
        if self.started is None or self.finished is None:
            return {}
        return {"inference_time": round(self.finished - self.started, 4)}

    def to_record(self, base_url: str) -> dict[str, Any]:
        """JSON for --data-dir persistence (only completed jobs are written; inputs are not)."""
        return {
            "base_url": base_url,
            "request_id": self.request_id,
            "endpoint_id": self.endpoint_id,
            "queue_prefix": self.queue_prefix,
            "state": self.state,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "logs": self.logs,
            "output": self.output,
            "error": self.error,
            "error_type": self.error_type,
            "error_status": self.error_status,
            "error_body": self.error_body,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], base_url: str) -> Job:
        old = record.get("base_url") or ""
        if old and old != base_url:  # the server moved: rewrite URLs it issued
            record = json.loads(json.dumps(record).replace(old, base_url))
        job = cls(
            request_id=record["request_id"],
            endpoint_id=record["endpoint_id"],
            queue_prefix=record["queue_prefix"],
            arguments={},  # released when a job finishes (older records may still hold them)
        )
        for key in ("state", "created", "started", "finished", "logs", "output", "error"):
            setattr(job, key, record.get(key, getattr(job, key)))
        job.error_type = record.get("error_type")
        job.error_status = record.get("error_status", 500)
        job.error_body = record.get("error_body")
        job.done_event.set()
        return job


class JobQueue:
    """Pending deque + N worker threads; every state change bumps `job.version`."""

    def __init__(
        self,
        storage: Storage,
        metrics: Metrics,
        *,
        workers: int = 4,
        speed: float = 1.0,
        faults: Faults | None = None,
        data_dir: Path | None = None,
        on_complete: Callable[[Job], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.storage = storage
        self.metrics = metrics
        self.speed = speed
        self.faults = faults or Faults()
        self.data_dir = data_dir
        self.on_complete = on_complete
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self.jobs: dict[str, Job] = {}
        self.pending: deque[Job] = deque()
        # (finished, request_id) oldest first, for pruning; ids, not jobs: forget() frees at once
        self._by_finish: deque[tuple[float, str]] = deque()
        self.running = 0
        self._stop = False
        self._threads = [
            threading.Thread(target=self._worker, name=f"falwidgets-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        # start deadlines (X-Fal-Request-Timeout) expire on their own thread: workers only look
        # at the queue when they are free, and a busy pool must not hold a timed-out request
        self._deadlines = threading.Event()
        self._expirer = threading.Thread(
            target=self._expire_loop, name="falwidgets-expirer", daemon=True
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self._watchers: dict[str, list[asyncio.Event]] = {}
        if data_dir is not None:
            self._load()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        self._expirer.start()

    def cancel_all(self) -> None:
        """Shutting down: queued jobs end cancelled now and running ones are asked to stop, so
        open status streams and run calls get their final answer before the HTTP server goes."""
        with self._cond:
            self._stop = True
            while self.pending:
                self._finish_locked(self.pending.popleft(), cancelled=True)
            for job in self.jobs.values():
                job.cancel_event.set()
            self._cond.notify_all()

    def stop(self) -> None:
        self.cancel_all()
        self._deadlines.set()
        for thread in [*self._threads, self._expirer]:
            if thread.is_alive():
                thread.join(timeout=5)

    # -- submission -----------------------------------------------------------------------------
    def submit(
        self,
        definition: EndpointDef,
        endpoint_id: str,
        arguments: dict[str, Any],
        inp: Any,
        *,
        webhook_url: str | None = None,
        start_timeout: float | None = None,
        visible: bool = True,
        base_url: str = "",
        priority: str = "normal",
        no_retry: bool = False,
    ) -> Job:
        app = parse_endpoint(endpoint_id)
        job = Job(
            request_id=str(uuid.uuid4()),
            endpoint_id=endpoint_id,
            queue_prefix=app.app_id,
            arguments=arguments,
            inp=inp,
            definition=definition,
            webhook_url=webhook_url,
            visible=visible,
            base_url=base_url,
            priority=priority,
            no_retry=no_retry,
        )
        if start_timeout is not None:
            job.start_deadline = job.created + start_timeout
        with self._cond:
            self.jobs[job.request_id] = job
            if priority == "low":
                self.pending.append(job)
            else:  # ahead of every low-priority request, behind the other normal ones
                lows = [i for i, queued in enumerate(self.pending) if queued.priority == "low"]
                self.pending.insert(lows[0] if lows else len(self.pending), job)
            self._cond.notify()
        if start_timeout is not None:
            self._deadlines.set()  # the expirer recomputes its next wake-up
        return job

    def get(self, request_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(request_id)

    def forget(self, job: Job) -> None:
        """Drop a synchronous (run/stream) job nobody can ask for again: now if it finished,
        else when it does (a cancelled run is still IN_PROGRESS until its worker notices)."""
        with self.lock:
            if job.visible:
                return
            if job.state == "COMPLETED":
                self.jobs.pop(job.request_id, None)
            else:
                job.abandoned = True

    def position(self, job: Job) -> int:
        """0-based place in the queue (only meaningful while IN_QUEUE)."""
        with self.lock:
            try:
                return self.pending.index(job)
            except ValueError:
                return 0

    def depth(self) -> dict[str, float]:
        with self.lock:
            counts: dict[str, float] = {}
            for job in self.pending:
                counts[job.endpoint_id] = counts.get(job.endpoint_id, 0) + 1
            return counts

    # -- cancellation ---------------------------------------------------------------------------
    def cancel(self, job: Job) -> str:
        """`CANCELLATION_REQUESTED` or `ALREADY_COMPLETED` (fal's answers)."""
        with self._cond:
            if job.state == "COMPLETED":
                return "ALREADY_COMPLETED"
            job.cancel_event.set()
            if job in self.pending:
                self.pending.remove(job)
                self._finish_locked(job, cancelled=True)
            else:
                self._log_locked(job, "cancellation requested", "WARN")
        return "CANCELLATION_REQUESTED"

    # -- change notification for SSE ------------------------------------------------------------
    def watch(self, job: Job) -> asyncio.Event:
        """An event set (from any thread) on the job's next change; call from the loop."""
        event = asyncio.Event()
        with self.lock:
            if job.state == "COMPLETED":
                event.set()
            else:
                self._watchers.setdefault(job.request_id, []).append(event)
        return event

    def unwatch(self, job: Job, event: asyncio.Event) -> None:
        """Forget a watcher that timed out or went away (else each poll would leave one behind)."""
        with self.lock:
            events = self._watchers.get(job.request_id)
            if events is None:
                return
            with contextlib.suppress(ValueError):
                events.remove(event)
            if not events:
                del self._watchers[job.request_id]

    def watcher_count(self, job: Job | None = None) -> int:
        """Registered change watchers (of one job, or all): for leak checks and /metrics."""
        with self.lock:
            if job is not None:
                return len(self._watchers.get(job.request_id, ()))
            return sum(len(events) for events in self._watchers.values())

    def _changed_locked(self, job: Job) -> None:
        job.version += 1
        events = self._watchers.pop(job.request_id, [])
        if events and self.loop is not None and not self.loop.is_closed():
            for event in events:
                with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                    self.loop.call_soon_threadsafe(event.set)

    def _log_locked(self, job: Job, message: str, level: str = "INFO") -> None:
        job.logs.append(
            {"message": message, "level": level, "source": "USER", "timestamp": timestamp()}
        )
        self._changed_locked(job)

    # -- workers --------------------------------------------------------------------------------
    def _next(self) -> Job | None:
        with self._cond:
            while not self._stop:
                self._expire_locked()
                if self.pending:
                    job = self.pending.popleft()
                    job.state = "IN_PROGRESS"
                    job.started = time.time()
                    self.running += 1
                    self._changed_locked(job)
                    return job
                self._cond.wait()  # submit, requeue and stop notify; no polling
        return None

    def _expire_loop(self) -> None:
        """Sleep until the earliest start deadline of a queued job, then expire what is due."""
        while True:
            self._deadlines.clear()
            with self._cond:
                if self._stop:
                    return
                self._expire_locked()
                deadlines = [j.start_deadline for j in self.pending if j.start_deadline]
            wait = max(0.0, min(deadlines) - time.time()) + 0.001 if deadlines else None
            # capped: a far deadline (or inf) would overflow Event.wait and kill this thread
            self._deadlines.wait(None if wait is None else min(wait, MAX_EXPIRER_WAIT))

    def _expire_locked(self) -> None:
        """Fail queued jobs whose X-Fal-Request-Timeout passed before they started."""
        now = time.time()
        for job in [j for j in self.pending if j.start_deadline and j.start_deadline < now]:
            self.pending.remove(job)
            job.error, job.error_type = "Request timed out", "request_timeout"
            job.error_status = 504
            job.error_body = {"detail": "Request timed out", "error_type": "request_timeout"}
            self._finish_locked(job)

    def _worker(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            try:
                self._run(job)
            except Exception:  # pragma: no cover - _run handles everything; belt and braces
                log.exception("worker crashed on %s", job.request_id)
            finally:
                with self.lock:
                    self.running -= 1

    def _run(self, job: Job) -> None:
        definition = job.definition
        assert definition is not None
        requeue_at = None
        if job.requeues < MAX_REQUEUES and self.faults.roll("requeue"):
            requeue_at = 1
            self.metrics.inc("falwidgets_faults_total", kind="requeue")

        def on_log(entry: dict[str, Any]) -> None:
            with self.lock:
                job.logs.append(entry)
                self._changed_locked(job)

        def on_partial(partial: dict[str, Any]) -> None:
            with self.lock:
                job.partials.append(partial)
                self._changed_locked(job)

        ctx = JobContext(
            job.request_id,
            self.storage,
            speed=self.speed,
            on_log=on_log,
            on_partial=on_partial,
            cancel_event=job.cancel_event,
            requeue_at=requeue_at,
        )
        ctx.log(f"running {job.endpoint_id} on {threading.current_thread().name}")
        try:
            args = (job.inp, ctx) if definition.takes_context else (job.inp,)
            result = definition.func(*args)
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
            output = _dump_output(result, definition.output)
        except Requeued:
            if job.no_retry:
                detail = "Runner disconnected (X-Fal-No-Retry: not requeued)"
                body = {"detail": detail, "error_type": "runner_disconnected"}
                self._fail(job, 503, body, detail, "runner_disconnected")
                return
            with self._cond:
                job.requeues += 1
                job.state = "IN_QUEUE"
                job.started = None
                self._log_locked(job, "runner lost; request requeued", "WARN")
                self.pending.appendleft(job)
                self._cond.notify()
            if job.start_deadline:
                self._deadlines.set()
            return
        except JobCancelled:
            with self.lock:
                self._finish_locked(job, cancelled=True)
            return
        except FieldError as exc:
            self._fail(job, 422, {"detail": exc.detail()}, exc.msg, "validation_error")
            return
        except PydanticValidationError as exc:  # the function's output broke its schema
            self._fail(
                job,
                500,
                {"detail": "Output does not match the endpoint's output schema"},
                f"invalid output: {exc.errors()[0]['msg']}",
                "runner_server_error",
            )
            ctx.log(f"output validation failed: {pydantic_detail(exc)}", "ERROR")
            return
        except BadOutput as exc:
            ctx.log(f"output is not valid JSON: {exc}", "ERROR")
            body = {"detail": f"Output is not valid JSON: {exc}"}
            self._fail(job, 500, body, f"invalid output: {exc}", "runner_server_error")
            return
        except Exception as exc:
            ctx.log("".join(traceback.format_exception_only(type(exc), exc)).strip(), "ERROR")
            self._fail(job, 500, {"detail": "Internal Server Error"}, str(exc), "internal_error")
            return
        with self.lock:
            job.output = output
            self._finish_locked(job)

    def _fail(self, job: Job, status: int, body: Any, message: str, error_type: str) -> None:
        with self.lock:
            job.error_status, job.error_body = status, body
            job.error, job.error_type = message, error_type
            self._finish_locked(job)

    def _finish_locked(self, job: Job, *, cancelled: bool = False) -> None:
        if cancelled:
            job.error, job.error_type = "Request cancelled", "client_cancelled"
            job.error_status = 499
            job.error_body = {"detail": "Request cancelled", "error_type": "client_cancelled"}
            job.logs.append(
                {
                    "message": "request cancelled",
                    "level": "WARN",
                    "source": "USER",
                    "timestamp": timestamp(),
                }
            )
        job.state = "COMPLETED"
        job.finished = time.time()
        if job.started is None:
            job.started = job.finished
        job.inp, job.arguments = None, {}  # free memory (data URIs); nothing reads them later
        label = job.endpoint_id
        if cancelled:
            self.metrics.inc("falwidgets_cancellations_total", endpoint=label)
        elif job.error:
            self.metrics.inc("falwidgets_failures_total", endpoint=label)
        else:
            self.metrics.inc("falwidgets_completions_total", endpoint=label)
        self.metrics.observe_latency(job.finished - job.created)
        if job.abandoned:  # forgotten while running: nobody will ask for it
            self.jobs.pop(job.request_id, None)
        self._changed_locked(job)
        job.done_event.set()
        self._by_finish.append((job.finished, job.request_id))
        self._prune_locked()
        if job.visible:
            self._persist(job)
            if self.on_complete is not None:
                self.on_complete(job)

    # -- retention and persistence --------------------------------------------------------------
    def _prune_locked(self) -> None:
        """Forget jobs finished over RETENTION_SECONDS ago (oldest first: no scan of all jobs)."""
        cutoff = time.time() - RETENTION_SECONDS
        while self._by_finish and self._by_finish[0][0] < cutoff:
            finished, request_id = self._by_finish.popleft()
            job = self.jobs.get(request_id)
            if job is not None and job.finished == finished:
                del self.jobs[request_id]

    def _persist(self, job: Job) -> None:
        if self.data_dir is None:
            return
        folder = self.data_dir / "requests"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{job.request_id}.tmp"
        tmp.write_text(json.dumps(job.to_record(self.storage.base_url)))
        tmp.replace(folder / f"{job.request_id}.json")

    def _load(self) -> None:
        assert self.data_dir is not None
        cutoff = time.time() - RETENTION_SECONDS
        for path in sorted((self.data_dir / "requests").glob("*.json")):
            try:
                job = Job.from_record(json.loads(path.read_text()), self.storage.base_url)
            except (ValueError, KeyError, OSError):
                log.warning("skipping unreadable request record %s", path)
                continue
            if job.finished and job.finished >= cutoff:
                self.jobs[job.request_id] = job
        self._by_finish.extend(sorted((job.finished or 0.0, rid) for rid, job in self.jobs.items()))


def _dump_output(result: Any, output_model: type[BaseModel] | None) -> dict[str, Any]:
    """Validate a function's result against its output model; return plain JSON."""
    if isinstance(result, BaseModel):
        data = result.model_dump(mode="json", exclude_unset=True, by_alias=True)
    elif isinstance(result, dict):
        data = result
    else:
        raise TypeError(f"endpoint returned {type(result).__name__}; expected a dict or model")
    if output_model is not None:
        output_model.model_validate(data)
    try:
        return json.loads(json.dumps(data, allow_nan=False))
    except ValueError as exc:  # NaN or inf: stored, it would make the result unreadable
        raise BadOutput(f"NaN and Infinity are not allowed ({exc})") from None
