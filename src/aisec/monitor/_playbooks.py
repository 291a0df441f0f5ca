"""Playbooks: named, parameterised lists of steps that drive existing actions, each step
idempotent and audited, each run's state in the store so a crashed run resumes.

A run is identified by its playbook and parameters: running the same playbook with the
same parameters while an earlier run of them is unfinished (crashed, failed, awaiting
approval) resumes that run. Each step's row is written ``started`` before its action and
``done`` with the result after; a resumed run skips ``done`` steps and repeats a
``started`` one, which is safe because every action is idempotent: it looks at the state
it would change (a key already revoked, a key rotated since the run began, a stage already
rolled back by this run) and does only what is left.

A playbook with ``approval: true`` waits, before its first step, until a principal other
than the one who started it approves the run (``playbook.approve``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from aisec.core.errors import AisecError, AuthorizationError, InputError
from aisec.core.policy import PlaybookPolicy
from aisec.core.store import Connection, Store

__all__ = [
    "ACTIONS",
    "Action",
    "PlaybookResult",
    "PlaybookRunner",
    "RunContext",
    "StepOutcome",
]

_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_MAX_PARAM = 1000
_MAX_RESULT = 16 * 1024
ACTIONS: dict[str, type[Action]] = {}


def _step(run_id: str, idx: int, point: str) -> None:
    """A named point of a run ("started", "acted", "done"). Does nothing; crash tests
    replace it to kill the process there."""


@dataclass(frozen=True, slots=True)
class RunContext:
    run_id: str
    playbook: str
    started: datetime
    actor: str
    store: Store


class Action:
    """One kind of step. Subclasses set ``name`` and implement ``run`` (idempotent) and
    ``describe`` (what a dry run says it would do)."""

    name: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            return
        if cls.name in ACTIONS:
            raise TypeError(f"playbook action {cls.name!r} is already defined")
        ACTIONS[cls.name] = cls

    def describe(self, args: Mapping[str, str]) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(args.items()))
        return f"{self.name}({shown})"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class StepOutcome:
    idx: int
    name: str
    action: str
    status: str  # done, skipped (done earlier), planned (dry run), failed, waiting
    description: str
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.idx + 1,
            "name": self.name,
            "action": self.action,
            "status": self.status,
            "description": self.description,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class PlaybookResult:
    run_id: str | None
    playbook: str
    status: str  # done, awaiting_approval, failed, dry-run
    resumed: bool
    steps: list[StepOutcome]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "playbook": self.playbook,
            "status": self.status,
            "resumed": self.resumed,
            "steps": [s.to_dict() for s in self.steps],
            "error": self.error,
        }


def _now() -> datetime:
    return datetime.now(UTC)


def resolve_params(name: str, book: PlaybookPolicy, given: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(given) - set(book.params))
    if unknown:
        known = ", ".join(sorted(book.params)) or "none"
        raise InputError(f"playbook {name}: unknown parameter {unknown[0]!r}; it takes {known}")
    out: dict[str, str] = {}
    for pname, spec in book.params.items():
        value = given.get(pname, spec.default)
        if value is None or (spec.required and not value.strip()):
            raise InputError(
                f"playbook {name}: parameter {pname!r} is required (--param {pname}=…)"
            )
        if len(value) > _MAX_PARAM or any(ord(c) < 32 for c in value):
            raise InputError(
                f"playbook {name}: parameter {pname!r} is too long or has control characters"
            )
        out[pname] = value
    return out


def _substitute(name: str, template: Any, params: Mapping[str, str]) -> str:
    text = str(template)

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in params:
            raise InputError(f"playbook {name}: a step uses {{{key}}}, which is not a parameter")
        return params[key]

    return _PARAM.sub(one, text)


def _params_key(name: str, params: Mapping[str, str]) -> str:
    doc = json.dumps({"playbook": name, "params": dict(params)}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


class PlaybookRunner:
    """Runs playbooks against a store, as ``actor``, recording each step."""

    def __init__(
        self,
        store: Store,
        playbooks: Mapping[str, PlaybookPolicy],
        actor: str,
        audit: Callable[[str, str, str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.playbooks = playbooks
        self.actor = actor
        self._audit = audit or (lambda *_: None)

    def book(self, name: str) -> PlaybookPolicy:
        book = self.playbooks.get(name)
        if book is None:
            known = ", ".join(sorted(self.playbooks)) or "none"
            raise InputError(f"no playbook {name[:100]!r}; known: {known}")
        return book

    def plan(self, name: str, given: Mapping[str, str]) -> list[tuple[str, str, dict[str, str]]]:
        """(step name, action, arguments) of each step, parameters filled in."""
        book = self.book(name)
        params = resolve_params(name, book, given)
        steps = []
        for step in book.steps:
            if step.action not in ACTIONS:
                known = ", ".join(sorted(ACTIONS))
                raise InputError(
                    f"playbook {name}: step {step.name}: unknown action {step.action!r}; "
                    f"known: {known}"
                )
            args = {k: _substitute(name, v, params) for k, v in step.with_.items()}
            steps.append((step.name, step.action, args))
        return steps

    def dry_run(self, name: str, given: Mapping[str, str]) -> PlaybookResult:
        outcomes = [
            StepOutcome(i, sname, action, "planned", ACTIONS[action]().describe(args))
            for i, (sname, action, args) in enumerate(self.plan(name, given))
        ]
        return PlaybookResult(None, name, "dry_run", False, outcomes)

    # -- runs ------------------------------------------------------------------------
    def _open_run(
        self, name: str, params: dict[str, str]
    ) -> tuple[str, datetime, bool, str | None]:
        """The unfinished run of these parameters, or a new one: (id, started, resumed,
        approved_by)."""
        key = _params_key(name, params)
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT id, started, approved_by FROM playbook_runs WHERE params_key = ?"
                " AND status != 'done' ORDER BY started DESC LIMIT 1",
                (key,),
            ).fetchone()
            if row is not None:
                conn.execute(
                    "UPDATE playbook_runs SET status = 'running', updated = ?, error = NULL"
                    " WHERE id = ?",
                    (conn.time_param(_now()), row[0]),
                )
                return str(row[0]), Connection.time_value(row[1]), True, row[2]
            run_id = secrets.token_hex(8)
            now = _now()
            conn.execute(
                "INSERT INTO playbook_runs (id, playbook, params_key, params, status, actor,"
                " approved_by, started, updated, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    name,
                    key,
                    json.dumps(params, sort_keys=True),
                    "running",
                    self.actor,
                    None,
                    conn.time_param(now),
                    conn.time_param(now),
                    None,
                ),
            )
            return run_id, now, False, None

    def _set_run(self, run_id: str, status: str, error: str | None = None) -> None:
        with self.store.write() as conn:
            conn.execute(
                "UPDATE playbook_runs SET status = ?, updated = ?, error = ? WHERE id = ?",
                (status, conn.time_param(_now()), error, run_id),
            )

    def _done_steps(self, run_id: str) -> dict[int, dict[str, Any]]:
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT idx, result FROM playbook_steps WHERE run_id = ? AND status = 'done'",
                (run_id,),
            ).fetchall()
        return {int(i): json.loads(r) for i, r in rows}

    def _start_step(self, run_id: str, idx: int, name: str) -> int:
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT attempts FROM playbook_steps WHERE run_id = ? AND idx = ?", (run_id, idx)
            ).fetchone()
            now = conn.time_param(_now())
            if row is None:
                conn.execute(
                    "INSERT INTO playbook_steps (run_id, idx, name, status, attempts, started,"
                    " finished, result) VALUES (?, ?, ?, 'started', 1, ?, NULL, '{}')",
                    (run_id, idx, name, now),
                )
                return 1
            conn.execute(
                "UPDATE playbook_steps SET status = 'started', attempts = attempts + 1,"
                " started = ? WHERE run_id = ? AND idx = ?",
                (now, run_id, idx),
            )
            return int(row[0]) + 1

    def _finish_step(self, run_id: str, idx: int, status: str, result: dict[str, Any]) -> None:
        text = json.dumps(result, sort_keys=True, default=str)
        if len(text) > _MAX_RESULT:
            text = json.dumps({"truncated": True, "bytes": len(text)})
        with self.store.write() as conn:
            conn.execute(
                "UPDATE playbook_steps SET status = ?, finished = ?, result = ?"
                " WHERE run_id = ? AND idx = ?",
                (status, conn.time_param(_now()), text, run_id, idx),
            )

    def run(self, name: str, given: Mapping[str, str]) -> PlaybookResult:
        """Run (or resume) the playbook; returns each step's outcome."""
        book = self.book(name)
        params = resolve_params(name, book, given)
        steps = self.plan(name, params)
        run_id, started, resumed, approved_by = self._open_run(name, params)
        audit_base = {"run": run_id, "playbook": name}
        self._audit(
            "playbook.run",
            name,
            "ok",
            {**audit_base, "phase": "resume" if resumed else "start", **_short(params)},
        )
        if book.approval and approved_by is None:
            self._set_run(run_id, "awaiting_approval")
            self._audit("playbook.run", name, "ok", {**audit_base, "phase": "awaiting_approval"})
            waiting = [
                StepOutcome(i, s, a, "waiting", ACTIONS[a]().describe(args))
                for i, (s, a, args) in enumerate(steps)
            ]
            return PlaybookResult(run_id, name, "awaiting_approval", resumed, waiting)
        ctx = RunContext(run_id, name, started, self.actor, self.store)
        done = self._done_steps(run_id)
        outcomes: list[StepOutcome] = []
        for idx, (sname, action_name, args) in enumerate(steps):
            action = ACTIONS[action_name]()
            what = action.describe(args)
            if idx in done:
                outcomes.append(StepOutcome(idx, sname, action_name, "skipped", what, done[idx]))
                continue
            attempt = self._start_step(run_id, idx, sname)
            _step(run_id, idx, "started")
            try:
                result = action.run(ctx, args)
            except (AisecError, OSError, ValueError) as exc:
                message = exc.message if isinstance(exc, AisecError) else type(exc).__name__
                self._finish_step(run_id, idx, "failed", {"error": message[:500]})
                self._set_run(run_id, "failed", f"step {idx + 1} ({sname}): {message[:500]}")
                self._audit(
                    "playbook.step",
                    f"{name}:{sname}",
                    "denied" if isinstance(exc, AuthorizationError) else "error",
                    {**audit_base, "step": idx + 1, "action": action_name, "attempt": attempt},
                )
                outcomes.append(
                    StepOutcome(idx, sname, action_name, "failed", what, {"error": message[:500]})
                )
                return PlaybookResult(run_id, name, "failed", resumed, outcomes, message[:500])
            _step(run_id, idx, "acted")
            self._finish_step(run_id, idx, "done", result)
            self._audit(
                "playbook.step",
                f"{name}:{sname}",
                "ok",
                {
                    **audit_base,
                    "step": idx + 1,
                    "action": action_name,
                    "attempt": attempt,
                    **_short(result),
                },
            )
            _step(run_id, idx, "done")
            outcomes.append(StepOutcome(idx, sname, action_name, "done", what, result))
        self._set_run(run_id, "done")
        self._audit("playbook.run", name, "ok", {**audit_base, "phase": "done"})
        return PlaybookResult(run_id, name, "done", resumed, outcomes)

    def approve(self, run_id: str) -> tuple[str, str]:
        """Approve a run waiting for approval; the approver must not be its starter.
        Returns (playbook, params JSON)."""
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT playbook, params, status, actor, approved_by FROM playbook_runs"
                " WHERE id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise InputError(f"no playbook run {run_id[:40]!r}")
            playbook, params, status, starter, approved = row
            if approved is not None:
                return str(playbook), str(params)
            if status == "done":
                raise InputError(f"playbook run {run_id} is already done")
            if starter == self.actor:
                raise AuthorizationError(
                    f"playbook run {run_id} was started by {starter}; another principal "
                    "must approve it"
                )
            conn.execute(
                "UPDATE playbook_runs SET approved_by = ?, updated = ? WHERE id = ?",
                (self.actor, conn.time_param(_now()), run_id),
            )
        self._audit("playbook.approve", str(playbook), "ok", {"run": run_id})
        return str(playbook), str(params)

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT id, playbook, params, status, actor, approved_by, started, updated, error"
                " FROM playbook_runs ORDER BY started DESC LIMIT ?",
                (max(1, min(limit, 1000)),),
            ).fetchall()
            out = []
            for rid, pb, params, status, actor, approved, started, updated, error in rows:
                steps = conn.execute(
                    "SELECT idx, name, status, attempts FROM playbook_steps WHERE run_id = ?"
                    " ORDER BY idx",
                    (rid,),
                ).fetchall()
                out.append(
                    {
                        "run_id": rid,
                        "playbook": pb,
                        "params": json.loads(params),
                        "status": status,
                        "actor": actor,
                        "approved_by": approved,
                        "started": Connection.time_value(started).isoformat(timespec="seconds"),
                        "updated": Connection.time_value(updated).isoformat(timespec="seconds"),
                        "error": error,
                        "steps": [
                            {"step": int(i) + 1, "name": n, "status": s, "attempts": int(a)}
                            for i, n, s, a in steps
                        ],
                    }
                )
        return out


def _short(values: Mapping[str, Any]) -> dict[str, Any]:
    """Scalar values for an audit event's details (lists become their length)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, str | int | float | bool) or v is None:
            out[k] = v if not isinstance(v, str) else v[:200]
        elif isinstance(v, list | tuple | dict):
            out[f"{k}_count"] = len(v)
    return out
