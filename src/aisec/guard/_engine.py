"""The guard Engine: builds scanners from the ``guard:`` policy and decides allow/redact/block.

Each scanner runs in its mode: ``detect`` reports findings, ``block`` blocks when it fires,
``redact`` replaces what it found (scanners after it see the redacted text). The decision
is ``block`` if any blocking scanner fired, else ``redact`` if any text was redacted, else
``allow``. A scanner that raises blocks the text with a reason naming it (fail closed),
unless the policy sets ``fail_open`` for it or for the guard; each fail-open pass is audited.

Gate scanners (those with ``gate = True``: the size limits) run before all others, and a
gate that blocks ends the scan there: an oversized text is refused without any other
scanner reading it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aisec.core.errors import AisecError, PolicyError
from aisec.core.findings import Finding, FrameworkRef, Severity
from aisec.core.policy import GuardMode, GuardPolicy, ScannerPolicy
from aisec.guard._builtin import load_builtins
from aisec.guard._scanner import (
    ORIGINAL_TEXT_KEY,
    SCANNERS,
    Direction,
    ScanContext,
    Scanner,
    ScanResult,
)
from aisec.guard._tools import POLICY_KEY as TOOL_POLICY_KEY
from aisec.guard._tools import ToolPolicy

__all__ = ["Action", "Decision", "Engine", "ScannerOutcome"]


class Action(StrEnum):
    ALLOW = "allow"
    REDACT = "redact"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class ScannerOutcome:
    """What one scanner said about one text."""

    scanner: str
    mode: str
    score: float
    threshold: float
    fired: bool
    findings: tuple[Finding, ...]
    error: str | None = None
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "scanner": self.scanner,
            "mode": self.mode,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "fired": self.fired,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 3),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's verdict on one text: ``text`` is what may go on (redacted if so)."""

    action: Action
    direction: Direction
    text: str
    outcomes: tuple[ScannerOutcome, ...]
    reason: str = ""

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for o in self.outcomes for f in o.findings)

    @property
    def score(self) -> float:
        """The highest score of any scanner (1.0 when a scanner failed closed)."""
        return max((o.score for o in self.outcomes), default=0.0)

    @property
    def scores(self) -> dict[str, float]:
        return {o.scanner: o.score for o in self.outcomes}

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "direction": self.direction.value,
            "reason": self.reason,
            "score": round(self.score, 4),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "redacted_text": self.text if self.action is Action.REDACT else None,
            "scanners": [o.to_dict() for o in self.outcomes],
        }


@dataclass(frozen=True, slots=True)
class _Slot:
    scanner: Scanner
    mode: GuardMode
    directions: frozenset[Direction]
    fail_open: bool


class Engine:
    """Runs the policy's scanners on texts; build once, call :meth:`scan` per text.

    Building one needs the ``guard.scan`` permission (AuthorizationError otherwise).

    ``Engine()`` (or a policy with no scanners) is the default pipeline: every built-in
    scanner in its ``default_mode`` (prompt injection blocks; see each scanner). Scanners
    defined outside aisec run only where the policy names them.
    """

    def __init__(self, policy: GuardPolicy | None = None) -> None:
        from aisec.core.authz import authorize

        # The entry point is checked once, here, not on every scan: the per-text path
        # stays within the guard's latency budget, and a server builds its engine once.
        authorize("guard.scan")
        self._builtins = load_builtins()
        self.policy = policy or GuardPolicy()
        entries = list(self.policy.scanners)
        if not entries and self.policy.defaults:
            entries = [
                ScannerPolicy(name=name, mode=GuardMode(cls.default_mode))
                for name, cls in self._builtins.items()
                if cls.default_mode != GuardMode.OFF
            ]
        self._slots: list[_Slot] = []
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            self._slots += self._build(i, entry, seen)
        self.tool_policy = (
            ToolPolicy.from_mapping(self.policy.tools, "policy: guard.tools")
            if self.policy.tools is not None
            else ToolPolicy()
        )
        # gates first (stable: the policy's order otherwise)
        self._slots.sort(key=lambda slot: not _is_gate(slot.scanner))

    @classmethod
    def from_policy_file(cls, path: object = None) -> Engine:
        """The engine for ``aisec.yaml`` (found as :func:`aisec.core.policy.find_policy`
        does) or the default pipeline when there is none."""
        from pathlib import Path

        from aisec.core.policy import active_policy, load_policy

        if path is not None:
            return cls(load_policy(Path(str(path))).guard)
        active = active_policy()
        return cls(active.guard) if active is not None else cls()

    def _build(self, i: int, entry: ScannerPolicy, seen: set[str]) -> list[_Slot]:
        where = f"guard.scanners[{i}]"
        # a built-in name always means the built-in class (the frozen set, not the registry)
        cls = self._builtins.get(entry.name) or SCANNERS.get(entry.name)
        if cls is None:
            raise PolicyError(
                f"policy: {where}.name: unknown scanner {entry.name!r}; expected one of "
                + ", ".join(sorted(SCANNERS))
            )
        if entry.name in seen:
            raise PolicyError(f"policy: {where}.name: scanner {entry.name!r} is listed twice")
        seen.add(entry.name)
        if entry.mode is GuardMode.OFF:
            return []
        if entry.mode is GuardMode.REDACT and not cls.supports_redact:
            raise PolicyError(
                f"policy: {where}.mode: scanner {entry.name!r} cannot redact; "
                "expected off, detect or block"
            )
        try:
            scanner = cls(entry.threshold, **entry.options)
        except PolicyError as exc:
            raise PolicyError(f"policy: {where}.options: {exc.message}") from None
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"policy: {where}.options: {exc}") from None
        directions = frozenset(entry.directions) if entry.directions is not None else cls.directions
        fail_open = self.policy.fail_open if entry.fail_open is None else entry.fail_open
        return [_Slot(scanner, entry.mode, directions, fail_open)]

    @property
    def scanners(self) -> list[tuple[str, str, list[str]]]:
        """(name, mode, directions) of each active scanner, in run order."""
        return [
            (s.scanner.name, s.mode.value, sorted(d.value for d in s.directions))
            for s in self._slots
        ]

    def scanner(self, name: str) -> Scanner:
        """The built scanner called ``name`` (for evaluation of one scanner)."""
        for slot in self._slots:
            if slot.scanner.name == name:
                return slot.scanner
        raise PolicyError(
            f"guard: scanner {name!r} is not active; active: "
            + ", ".join(s.scanner.name for s in self._slots)
        )

    def scan(
        self,
        text: str,
        direction: Direction | str = Direction.INPUT,
        ctx: ScanContext | None = None,
        only: Iterable[str] | None = None,
    ) -> Decision:
        """Run the scanners that apply to ``direction`` on ``text`` and decide."""
        direction = Direction(direction)
        if ctx is None:
            ctx = ScanContext(direction=direction)
        else:
            ctx.direction = direction
        ctx.state.setdefault(TOOL_POLICY_KEY, self.tool_policy)
        # what the scan received, before any redacting scanner ran: leak detectors judge
        # what the model wrote (a canary whose digits read as a card number is redacted by
        # pii first, and would otherwise no longer be seen as a canary leak)
        ctx.state[ORIGINAL_TEXT_KEY] = text
        wanted = None if only is None else set(only)
        current = text
        outcomes: list[ScannerOutcome] = []
        blocked_by: list[str] = []
        redacted = False
        for slot in self._slots:
            scanner = slot.scanner
            # gates (size limits) run even when ``only`` names other scanners
            unwanted = bool(wanted) and scanner.name not in (wanted or ())
            if direction not in slot.directions or (unwanted and not _is_gate(scanner)):
                continue
            started = time.perf_counter()
            try:
                result = scanner.scan(current, ctx)
            except Exception as exc:
                outcomes.append(self._failed(slot, exc, time.perf_counter() - started))
                if not slot.fail_open:
                    blocked_by.append(f"{scanner.name} failed ({type(exc).__name__})")
                    if _is_gate(scanner):  # a size check that failed: read no further
                        break
                continue
            elapsed = (time.perf_counter() - started) * 1000
            fired = result.score >= scanner.threshold
            if fired and slot.mode is GuardMode.BLOCK:
                blocked_by.append(scanner.name)
                if _is_gate(scanner):
                    outcomes.append(self._outcome(slot, result, fired, elapsed))
                    return Decision(
                        Action.BLOCK, direction, text, tuple(outcomes), f"blocked by {scanner.name}"
                    )
            if fired and slot.mode is GuardMode.REDACT and result.redacted_text is not None:
                current = result.redacted_text
                redacted = True
            if not unwanted:
                outcomes.append(self._outcome(slot, result, fired, elapsed))
        if blocked_by:
            return Decision(
                Action.BLOCK,
                direction,
                text,
                tuple(outcomes),
                "blocked by " + ", ".join(blocked_by),
            )
        if redacted:
            return Decision(Action.REDACT, direction, current, tuple(outcomes), "redacted")
        return Decision(Action.ALLOW, direction, text, tuple(outcomes))

    def check_tool_call(
        self, name: str, arguments: object, ctx: ScanContext | None = None
    ) -> list[Finding]:
        """Findings for a model's call of tool ``name`` with ``arguments`` (a mapping or
        JSON text) under the policy's ``guard.tools``; no findings means allowed."""
        return self.tool_policy.check(name, arguments, ctx or ScanContext())

    @staticmethod
    def _outcome(slot: _Slot, result: ScanResult, fired: bool, elapsed: float) -> ScannerOutcome:
        return ScannerOutcome(
            slot.scanner.name,
            slot.mode.value,
            float(result.score),
            slot.scanner.threshold,
            fired,
            result.findings if fired else (),
            None,
            elapsed,
        )

    def _failed(self, slot: _Slot, exc: Exception, seconds: float) -> ScannerOutcome:
        name = slot.scanner.name
        message = exc.message if isinstance(exc, AisecError) else f"{type(exc).__name__}: {exc}"
        message = message[:200]
        finding = Finding(
            rule_id="guard-scanner-failed",
            title=f"Guard scanner {name} failed"
            + (" (passed: fail_open)" if slot.fail_open else " (blocked: fail closed)"),
            severity=Severity.MEDIUM if slot.fail_open else Severity.HIGH,
            asset=name,
            evidence=type(exc).__name__,
            frameworks=(FrameworkRef("OWASP-LLM", "LLM01:2025"),),
            remediation="Fix the scanner or its options; fail_open lets unchecked text through.",
        )
        if slot.fail_open:
            _audit_fail_open(name, type(exc).__name__)
        return ScannerOutcome(
            name,
            slot.mode.value,
            0.0 if slot.fail_open else 1.0,
            slot.scanner.threshold,
            not slot.fail_open,
            (finding,),
            message,
            seconds * 1000,
        )


def _is_gate(scanner: Scanner) -> bool:
    return bool(getattr(type(scanner), "gate", False))


def _audit_fail_open(scanner: str, error: str) -> None:
    """Record that a failed scanner let text through because policy said so."""
    try:
        from aisec.core.audit import record
    except ImportError:  # the audit log is not part of this build
        return
    try:
        record("guard.fail_open", scanner, "error", {"error": error})
    except AisecError as exc:
        # the pass was allowed by policy; a broken audit store must not hide it
        import sys

        sys.stderr.write(f"aisec: guard: could not audit fail-open of {scanner}: {exc}\n")
