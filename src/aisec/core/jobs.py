"""The Executor: run a list of tasks with progress events, bounded concurrency and Ctrl-C.

Callers describe work as :class:`Task` values (a picklable function, its arguments, a
label) and hand the list to an :class:`Executor`; they get :class:`Outcome` values back, in
the tasks' order (``ordered=True``) or as they complete, and may watch :class:`JobEvent`
progress events. A task that raises does not stop the others: its outcome carries the
exception. Ctrl-C (KeyboardInterrupt), or the caller leaving the loop early, cancels every
task not started yet and re-raises; tasks already running in threads finish on their own,
worker processes are stopped.

:class:`LocalExecutor` is the default backend: ``kind="inline"`` runs tasks one by one in
the caller's thread (no overhead; the default), ``"thread"`` in a thread pool (work that
waits on I/O or releases the GIL), ``"process"`` in a process pool (CPU-bound Python).

A Ray backend fits the same interface without changing callers: ``map`` becomes
``ray.remote(task.fn).options(num_cpus=...).remote(*task.args, **task.kwargs)`` for at most
``max_in_flight`` tasks at a time, ``ray.wait`` yields them as they complete (or the
object refs in order), ``ray.cancel`` on interrupt; this is why a task is a function and
its arguments (shippable to another machine), never a closure over the caller's state.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures import Executor as _PoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar

__all__ = [
    "EventKind",
    "Executor",
    "IsolatedWorker",
    "JobEvent",
    "LocalExecutor",
    "Outcome",
    "Task",
    "WorkerFailure",
    "run_tasks",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Task(Generic[T]):
    """One unit of work: ``fn(*args, **kwargs)``. With the process (or a remote) backend
    ``fn`` and its arguments must be picklable: a module-level function, plain data."""

    fn: Callable[..., T]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


class EventKind(StrEnum):
    STARTED = "started"  # submitted to a worker
    DONE = "done"
    FAILED = "failed"  # the task raised; its Outcome holds the exception
    CANCELLED = "cancelled"  # never ran: the job was interrupted


@dataclass(frozen=True, slots=True)
class JobEvent:
    """Progress: ``finished`` of ``total`` tasks have ended (done, failed or cancelled)."""

    kind: EventKind
    index: int
    label: str
    finished: int
    total: int


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """The result of task ``index``: its value, or the exception it raised."""

    index: int
    label: str
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> T:
        """The value; re-raises the task's exception."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # None only when T admits it


Progress = Callable[[JobEvent], None]


class Executor(Protocol):
    """What every backend provides (local pools today, Ray later)."""

    def map(
        self,
        tasks: Sequence[Task[T]],
        *,
        ordered: bool = True,
        progress: Progress | None = None,
    ) -> Iterator[Outcome[T]]:
        """Run ``tasks``; yield one Outcome each, in task order or as they complete."""
        ...


Kind = Literal["inline", "thread", "process"]


class LocalExecutor:
    """Tasks on this machine: inline (the default), in threads or in processes.

    ``workers``: how many tasks run at once (default: the CPUs available, at most 32);
    ``max_in_flight``: how many are handed to the pool ahead of their turn (default twice
    ``workers``), so a long task list never sits in memory as futures all at once.
    """

    def __init__(
        self,
        kind: Kind = "inline",
        workers: int | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if kind not in ("inline", "thread", "process"):
            raise ValueError(f"executor kind must be inline, thread or process, not {kind!r}")
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        self.kind: Kind = kind
        self.workers = max(1, workers if workers is not None else min(32, cpus or 1))
        self.max_in_flight = max(self.workers, max_in_flight or 2 * self.workers)

    def map(
        self,
        tasks: Sequence[Task[T]],
        *,
        ordered: bool = True,
        progress: Progress | None = None,
    ) -> Iterator[Outcome[T]]:
        if self.kind == "inline":
            return _inline(tasks, progress)
        return _pooled(self._pool(), tasks, ordered, progress, self.max_in_flight)

    def _pool(self) -> _PoolExecutor:
        if self.kind == "process":
            return ProcessPoolExecutor(max_workers=self.workers)
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="aisec-job")


def run_tasks(
    tasks: Sequence[Task[T]],
    executor: Executor | None = None,
    *,
    ordered: bool = True,
    progress: Progress | None = None,
) -> list[Outcome[T]]:
    """Every outcome of ``tasks`` as a list (inline unless an executor is given)."""
    return list((executor or LocalExecutor()).map(tasks, ordered=ordered, progress=progress))


class _Tally:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.finished = 0
        self.progress = progress

    def emit(self, kind: EventKind, index: int, label: str) -> None:
        if kind is not EventKind.STARTED:
            self.finished += 1
        if self.progress is not None:
            self.progress(JobEvent(kind, index, label, self.finished, self.total))


def _run_one(task: Task[T], index: int) -> Outcome[T]:
    try:
        return Outcome(index, task.label, task.fn(*task.args, **task.kwargs))
    except Exception as exc:  # a task's failure is its outcome, not the job's end
        return Outcome(index, task.label, error=exc)


def _inline(tasks: Sequence[Task[T]], progress: Progress | None) -> Iterator[Outcome[T]]:
    tally = _Tally(len(tasks), progress)
    ended = -1  # the last task whose outcome exists
    try:
        for index, task in enumerate(tasks):
            tally.emit(EventKind.STARTED, index, task.label)
            outcome = _run_one(task, index)
            ended = index
            tally.emit(EventKind.DONE if outcome.ok else EventKind.FAILED, index, task.label)
            yield outcome
    except BaseException:  # Ctrl-C in a task or in the caller, or the caller stopped early
        _cancel_rest(tasks, ended + 1, tally)  # an interrupted task counts as cancelled
        raise


def _cancel_rest(tasks: Sequence[Task[Any]], start: int, tally: _Tally) -> None:
    for i in range(start, len(tasks)):
        tally.emit(EventKind.CANCELLED, i, tasks[i].label)


def _pooled(
    pool: _PoolExecutor,
    tasks: Sequence[Task[T]],
    ordered: bool,
    progress: Progress | None,
    max_in_flight: int,
) -> Iterator[Outcome[T]]:
    tally = _Tally(len(tasks), progress)
    running: dict[Future[Outcome[T]], int] = {}
    order: deque[Future[Outcome[T]]] = deque()  # submission order, for ordered output
    next_task = 0
    clean_exit = False

    def fill() -> None:
        nonlocal next_task
        while next_task < len(tasks) and len(running) < max_in_flight:
            task = tasks[next_task]
            future = pool.submit(_run_one, task, next_task)
            running[future] = next_task
            order.append(future)
            tally.emit(EventKind.STARTED, next_task, task.label)
            next_task += 1

    def finish(future: Future[Outcome[T]]) -> Outcome[T]:
        index = running.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:  # the pool itself failed (a worker process died)
            outcome = Outcome(index, tasks[index].label, error=exc)
        kind = EventKind.DONE if outcome.ok else EventKind.FAILED
        tally.emit(kind, index, tasks[index].label)
        return outcome

    try:
        fill()
        while running:
            if ordered:
                head = order.popleft()
                wait([head])
                outcome = finish(head)
            else:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                head = min(done, key=running.__getitem__)
                order.remove(head)
                outcome = finish(head)
            fill()
            yield outcome
        clean_exit = True
    finally:
        if not clean_exit:  # Ctrl-C, an error in a progress callback, or an early stop
            for future in list(running):
                if future.cancel():
                    index = running.pop(future)
                    tally.emit(EventKind.CANCELLED, index, tasks[index].label)
            _cancel_rest(tasks, next_task, tally)
            if isinstance(pool, ProcessPoolExecutor):
                for proc in list(getattr(pool, "_processes", {}).values()):
                    proc.kill()  # a running task in a process cannot be cancelled otherwise
        pool.shutdown(wait=clean_exit, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class WorkerFailure:
    """Why an isolated task has no result: it ran past its deadline, or ended its process."""

    kind: Literal["timeout", "crash"]
    deadline: float
    exitcode: int | None = None


@dataclass(slots=True)
class _Sent:
    task: Task[Any]
    deadline: float
    proc: Any  # multiprocessing BaseProcess
    conn: Any  # multiprocessing Connection
    outcome: Any = None
    collected: bool = False


def _serve(conn: Any) -> None:
    """Child loop: run one task at a time until the parent closes the pipe."""
    try:
        while True:
            try:
                fn, args, kwargs = conn.recv()
            except EOFError:
                return
            conn.send(fn(*args, **kwargs))
    finally:
        conn.close()


class IsolatedWorker:
    """One long-lived child process for tasks that may hang or crash the process running
    them (a C library fed hostile input): one task at a time, each with a deadline; a task
    that overruns it or kills the child yields a :class:`WorkerFailure`, and the child is
    replaced for the next. The task's function must not raise (return errors as values).

    One task may be sent ahead (:meth:`send_ahead`) so the child works while the caller
    does something else; :meth:`run` of an equal task then only collects its outcome, and
    :meth:`drop_ahead` forgets one nobody asked for. Thread-safe. This is the isolation
    backend behind the Executor's interface for such work; a Ray backend would give each
    task a worker process with ``ray.get(ref, timeout=deadline)`` and ``ray.kill``.
    """

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.proc: Any = None
        self.conn: Any = None
        self.ahead: _Sent | None = None

    def _start(self) -> tuple[Any, Any]:
        import multiprocessing  # on the first task, not when the module loads

        parent, child = multiprocessing.Pipe(duplex=True)
        proc: Any
        if "fork" in multiprocessing.get_all_start_methods():  # no re-import in the child
            proc = multiprocessing.get_context("fork").Process(
                target=_serve, args=(child,), daemon=True
            )
        else:
            proc = multiprocessing.get_context("spawn").Process(
                target=_serve, args=(child,), daemon=True
            )
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        return proc, parent

    def stop(self) -> None:
        """Stop the child (a later task starts a new one)."""
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(5)
        self.proc = self.conn = None

    def _live(self) -> tuple[Any, Any]:
        if self.proc is None or self.conn is None or not self.proc.is_alive():
            self.stop()
            return self._start()
        return self.proc, self.conn

    def _send(self, task: Task[Any], deadline: float) -> _Sent | WorkerFailure:
        proc, conn = self._live()
        try:
            conn.send((task.fn, task.args, dict(task.kwargs)))
        except (EOFError, OSError):
            self.stop()
            return WorkerFailure("crash", deadline, proc.exitcode)
        return _Sent(task, deadline, proc, conn)

    def _collect(self, sent: _Sent) -> Any:
        if not sent.collected:
            sent.collected = True
            try:
                if not sent.conn.poll(sent.deadline):
                    self.stop()
                    sent.outcome = WorkerFailure("timeout", sent.deadline)
                else:
                    sent.outcome = sent.conn.recv()
            except (EOFError, OSError):
                self.stop()
                sent.outcome = WorkerFailure("crash", sent.deadline, sent.proc.exitcode)
        return sent.outcome

    def send_ahead(self, task: Task[Any], deadline: float) -> None:
        """Start ``task`` now; a later :meth:`run` of an equal task collects its outcome."""
        with self.lock:
            if self.ahead is not None:
                return  # one task ahead at most
            try:
                sent = self._send(task, deadline)
            except OSError:  # no child: run() tries again when asked, and fails there
                self.stop()
                return
            if isinstance(sent, _Sent):
                self.ahead = sent

    def drop_ahead(self, task: Task[Any]) -> None:
        """Forget ``task`` if it was sent ahead and never asked for: its outcome is read if
        it has come, otherwise the child is replaced rather than waited for."""
        with self.lock:
            ahead = self.ahead
            if ahead is None or ahead.task is not task:
                return
            self.ahead = None
            try:
                done = ahead.collected or ahead.conn.poll(0)
            except OSError:
                done = False
            if not done:
                self.stop()
            else:
                self._collect(ahead)

    def run(self, task: Task[T], deadline: float) -> T | WorkerFailure:
        """``task``'s result, or why there is none; waits at most ``deadline`` seconds."""
        with self.lock:
            ahead = self.ahead
            if ahead is not None:
                outcome = self._collect(ahead)  # off the pipe before anything else is sent
                if ahead.task.fn is task.fn and ahead.task.args == task.args:
                    self.ahead = None
                    return outcome  # type: ignore[no-any-return]
            sent = self._send(task, deadline)
            if isinstance(sent, WorkerFailure):
                return sent
            return self._collect(sent)  # type: ignore[no-any-return]
