"""The Executor on its own: real work, ordering, errors in tasks, bounds and cancellation."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Literal

import pytest

from aisec.core.jobs import EventKind, JobEvent, LocalExecutor, Task, run_tasks

Kind = Literal["inline", "thread", "process"]
KINDS: tuple[Kind, ...] = ("inline", "thread", "process")


def digest(seed: int, rounds: int = 200) -> str:
    data = seed.to_bytes(8, "little")
    for _ in range(rounds):
        data = hashlib.sha256(data).digest()
    return data.hex()


def fail_on(seed: int, bad: int) -> str:
    if seed == bad:
        raise ValueError(f"task {seed} refuses")
    return digest(seed)


def wait_for(event: threading.Event) -> str:
    assert event.wait(timeout=60), "the other task never ran"
    return "waited"


def _tasks(n: int) -> list[Task[str]]:
    return [Task(digest, (i,), label=f"t{i}") for i in range(n)]


@pytest.mark.parametrize("kind", KINDS)
def test_results_come_in_task_order(kind: Kind) -> None:
    events: list[JobEvent] = []
    outcomes = run_tasks(_tasks(12), LocalExecutor(kind, workers=3), progress=events.append)
    assert [o.index for o in outcomes] == list(range(12))
    assert [o.result() for o in outcomes] == [digest(i) for i in range(12)]
    assert [o.label for o in outcomes] == [f"t{i}" for i in range(12)]
    done = [e for e in events if e.kind is EventKind.DONE]
    assert sorted(e.index for e in done) == list(range(12))
    assert max(e.finished for e in events) == 12 and {e.total for e in events} == {12}


def test_as_completed_yields_the_first_to_finish_first() -> None:
    gate = threading.Event()

    def open_gate(event: JobEvent) -> None:  # "slow" can end only after "fast" was reported
        if event.kind is EventKind.DONE and event.label == "fast":
            gate.set()

    tasks = [Task(wait_for, (gate,), label="slow"), Task(digest, (7,), label="fast")]
    executor = LocalExecutor("thread", workers=2)
    outcomes = list(executor.map(tasks, ordered=False, progress=open_gate))
    assert [(o.label, o.result()) for o in outcomes] == [("fast", digest(7)), ("slow", "waited")]
    ordered = list(executor.map(tasks, ordered=True, progress=open_gate))
    assert [o.label for o in ordered] == ["slow", "fast"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_task_is_its_outcome_and_the_others_run(kind: Kind) -> None:
    events: list[JobEvent] = []
    tasks = [Task(fail_on, (i, 3), label=f"t{i}") for i in range(6)]
    outcomes = run_tasks(tasks, LocalExecutor(kind, workers=2), progress=events.append)
    bad = outcomes[3]
    assert not bad.ok and isinstance(bad.error, ValueError)
    with pytest.raises(ValueError, match="task 3 refuses"):
        bad.result()
    assert [o.result() for o in outcomes if o.index != 3] == [digest(i) for i in (0, 1, 2, 4, 5)]
    assert [e.index for e in events if e.kind is EventKind.FAILED] == [3]


@pytest.mark.parametrize("kind", ("thread", "process"))
def test_concurrency_and_tasks_in_flight_are_bounded(kind: Kind) -> None:
    in_flight = 0
    most = 0

    def watch(event: JobEvent) -> None:
        nonlocal in_flight, most
        in_flight += 1 if event.kind is EventKind.STARTED else -1
        most = max(most, in_flight)

    executor = LocalExecutor(kind, workers=2, max_in_flight=3)
    outcomes = run_tasks(_tasks(20), executor, ordered=False, progress=watch)
    assert sorted(o.index for o in outcomes) == list(range(20))
    assert most <= 3 and in_flight == 0


def _interrupt_after(n: int) -> tuple[list[JobEvent], Callable[[JobEvent], None]]:
    events: list[JobEvent] = []

    def progress(event: JobEvent) -> None:
        events.append(event)
        if event.kind is EventKind.DONE and event.finished == n:
            raise KeyboardInterrupt  # what Ctrl-C raises in the main thread

    return events, progress


@pytest.mark.parametrize("kind", KINDS)
def test_ctrl_c_cancels_the_tasks_not_started(kind: Kind) -> None:
    events, progress = _interrupt_after(2)
    executor = LocalExecutor(kind, workers=1, max_in_flight=2)
    with pytest.raises(KeyboardInterrupt):
        run_tasks(_tasks(10), executor, progress=progress)
    started = {e.index for e in events if e.kind is EventKind.STARTED}
    cancelled = {e.index for e in events if e.kind is EventKind.CANCELLED}
    assert len(started) <= 3  # two done, at most one more handed to the single worker
    assert cancelled >= set(range(len(started), 10))
    assert max(e.finished for e in events) <= 10


def test_ctrl_c_inside_a_task_stops_the_job() -> None:
    ran: list[int] = []

    def work(i: int) -> int:
        ran.append(i)
        if i == 2:
            raise KeyboardInterrupt
        return i

    events: list[JobEvent] = []
    tasks = [Task(work, (i,)) for i in range(6)]
    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, progress=events.append)
    assert ran == [0, 1, 2]
    assert [e.index for e in events if e.kind is EventKind.CANCELLED] == [2, 3, 4, 5]


@pytest.mark.parametrize("kind", KINDS)
def test_leaving_the_loop_early_cancels_the_rest(kind: Kind) -> None:
    events: list[JobEvent] = []
    stream = LocalExecutor(kind, workers=1, max_in_flight=1).map(_tasks(8), progress=events.append)
    first = next(stream)
    stream.close()  # type: ignore[attr-defined]  # a generator; the protocol says Iterator
    assert first.result() == digest(0)
    assert {e.index for e in events if e.kind is EventKind.CANCELLED} >= set(range(2, 8))


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="inline, thread or process"):
        LocalExecutor("ray")  # type: ignore[arg-type]


def block_forever() -> str:
    threading.Event().wait()  # a C library stuck on hostile input, in effect
    return "never"


def exit_process(code: int) -> str:
    import os

    os._exit(code)


def test_isolated_worker_survives_a_hang_and_a_crash() -> None:
    from aisec.core.jobs import IsolatedWorker, WorkerFailure

    worker = IsolatedWorker()
    try:
        assert worker.run(Task(digest, (1,)), deadline=60) == digest(1)
        hung = worker.run(Task(block_forever), deadline=1.0)
        assert hung == WorkerFailure("timeout", 1.0)
        crashed = worker.run(Task(exit_process, (3,)), deadline=60)
        assert isinstance(crashed, WorkerFailure) and (crashed.kind, crashed.exitcode) == (
            "crash",
            3,
        )
        assert worker.run(Task(digest, (2,)), deadline=60) == digest(2)  # a new child
    finally:
        worker.stop()


def test_isolated_worker_runs_a_task_sent_ahead_once() -> None:
    from aisec.core.jobs import IsolatedWorker

    worker = IsolatedWorker()
    try:
        ahead = Task(digest, (5, 20_000))
        worker.send_ahead(ahead, deadline=60)
        assert worker.ahead is not None
        assert worker.run(Task(digest, (5, 20_000)), deadline=60) == digest(5, 20_000)
        assert worker.ahead is None
        dropped = Task(block_forever)
        worker.send_ahead(dropped, deadline=60)
        worker.drop_ahead(dropped)  # never asked for and not done: the child is replaced
        assert worker.ahead is None and worker.proc is None
        assert worker.run(Task(digest, (6,)), deadline=60) == digest(6)
    finally:
        worker.stop()
