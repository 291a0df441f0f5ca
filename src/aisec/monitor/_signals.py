"""Access signals from the gateway's audit events, each judged by a Poisson CUSUM.

Per key (or principal, for callers without a key): requests, tokens (in units of the
key's mean tokens per request, capped), prompts not seen from that key earlier in the
same hour (distinct prompts per hour) and models it never used before; for the gateway
as a whole: failed authentications; per principal, outside the gateway: registry pulls
and data exports (decrypting a data set's fields or an encrypted file), whose burst far
above the principal's norm is the exfiltration pattern of an insider or a stolen
credential. Each (signal, subject) is one :class:`Series`.
The request, token and distinct-prompt signals answer one rule (an extraction or scraping
pattern shows in all three), so a key at 20x its norm makes one alert, not three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aisec.core.policy import MonitorPolicy
from aisec.monitor._behaviour import (
    CANARY_LEAK,
    BehaviourEvent,
    BehaviourParams,
    BehaviourSignals,
)
from aisec.monitor._cusum import CusumParams, Series

__all__ = ["RULE_OF_SIGNAL", "SIGNALS", "AccessEvent", "Alarm", "SignalEngine"]

SIGNALS = (
    "requests",
    "tokens",
    "distinct_prompts",
    "failed_auth",
    "new_models",
    "guard_blocks",
    "registry_pulls",
    "data_exports",
)
EXTRACTION = "monitor-extraction-pattern"
FAILED_AUTH = "monitor-failed-auth-burst"
NEW_MODELS = "monitor-new-models-touched"
GUARD_PROBING = "monitor-guard-probing"
REGISTRY_PULLS = "monitor-registry-pull-burst"
DATA_EXPORTS = "monitor-data-export-burst"
RULE_OF_SIGNAL = {
    "requests": EXTRACTION,
    "tokens": EXTRACTION,
    "distinct_prompts": EXTRACTION,
    "failed_auth": FAILED_AUTH,
    "new_models": NEW_MODELS,
    "guard_blocks": GUARD_PROBING,
    "registry_pulls": REGISTRY_PULLS,
    "data_exports": DATA_EXPORTS,
}
GATEWAY_SUBJECT = "gateway"
# Judged by their floor from the first point: a burst of failed logins, a key reaching
# many models or a principal pulling or decrypting in bulk must alarm even when it is the
# first thing the series ever sees (a stolen credential has no history to learn from).
_NO_WARMUP = frozenset(
    {"failed_auth", "new_models", "guard_blocks", "registry_pulls", "data_exports"}
)
_MAX_TOKEN_UNITS = 4.0  # a request of 4x the key's mean tokens or more weighs 1
_MAX_MODELS = 256  # models remembered per subject
_MAX_PROMPTS = 20_000  # prompt digests remembered per subject
_PROMPT_MEMORY_S = 3600.0
_TOKEN_MEAN_ALPHA = 0.01


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One gateway request, as the monitor needs it (no prompt, no key material); or,
    with ``kind`` ``registry_pulls`` / ``data_exports``, one pull or export by a principal."""

    seq: int
    t: float  # seconds since the epoch
    principal: str
    key: str | None  # the API key's public prefix
    status: int
    model: str | None = None
    tokens: int = 0
    prompt_fp: str | None = None
    blocked: bool = False  # the guard blocked it
    behaviour: BehaviourEvent | None = None  # the model's behaviour on the route
    kind: str = "request"  # or the signal a non-gateway event feeds

    @property
    def subject(self) -> str:
        return f"key:{self.key}" if self.key else f"principal:{self.principal}"


@dataclass(frozen=True, slots=True)
class Alarm:
    """A series crossed its threshold at ``t`` (event ``seq``)."""

    rule_id: str
    signal: str
    subject: str
    t: float
    seq: int
    principal: str | None
    observed_per_min: float  # in ``unit`` (per_min for the access signals)
    baseline_per_min: float
    unit: str = "per_min"
    params: tuple[tuple[str, str], ...] = ()  # playbook parameters the alarm names


class SignalEngine:
    """Feeds events to the series; :meth:`state` / ``state=`` carry it between runs."""

    def __init__(self, policy: MonitorPolicy, state: dict[str, Any] | None = None) -> None:
        d, floors = policy.detector, policy.floors
        self.params = {
            name: CusumParams.from_budget(
                d.ratio,
                d.false_alarm_events,
                d.baseline_window_s,
                d.bucket_s,
                getattr(floors, name),
                0.0 if name in _NO_WARMUP else d.warmup_s,
            )
            for name in SIGNALS
        }
        self.series: dict[tuple[str, str], Series] = {}
        self.token_mean: dict[str, tuple[float, float]] = {}
        self.prompts: dict[str, dict[str, float]] = {}
        self.models: dict[str, set[str]] = {}
        self.principals: dict[str, str] = {}
        b = policy.behaviour
        self.behaviour = BehaviourSignals(
            BehaviourParams.from_budget(
                d.false_alarm_events,
                b.ratio,
                d.baseline_window_s,
                d.bucket_s,
                b.min_trials,
                b.shift_sigma,
                b.floors.model_dump(),
                b.baseline_gap_s,
            )
        )
        if state:
            self._load(state)

    def _point(
        self, signal: str, subject: str, ev: AccessEvent, weight: float, out: list[Alarm]
    ) -> None:
        key = (signal, subject)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series()
        hit = series.update(self.params[signal], ev.t, weight)
        if hit is not None:
            principal = None if subject == GATEWAY_SUBJECT else ev.principal
            out.append(
                Alarm(
                    RULE_OF_SIGNAL[signal],
                    signal,
                    subject,
                    ev.t,
                    ev.seq,
                    principal,
                    round(hit[0] * 60, 3),
                    round(hit[1] * 60, 3),
                )
            )

    def feed(self, ev: AccessEvent) -> list[Alarm]:
        out: list[Alarm] = []
        if ev.kind != "request":  # a registry pull or data export, judged per principal
            subject = f"principal:{ev.principal}"
            self.principals[subject] = ev.principal
            self._point(ev.kind, subject, ev, 1.0, out)
            return out
        if ev.behaviour is not None:
            out.extend(
                Alarm(
                    a.rule_id,
                    a.signal,
                    f"route:{a.route}",
                    a.t,
                    a.seq,
                    ev.principal if a.rule_id == CANARY_LEAK else None,
                    a.observed,
                    a.baseline,
                    a.unit,
                    a.params,
                )
                for a in self.behaviour.feed(ev.behaviour)
            )
        if ev.status == 401:
            self._point("failed_auth", GATEWAY_SUBJECT, ev, 1.0, out)
            return out
        if ev.principal == "anonymous" and not ev.key:
            return out
        subject = ev.subject
        self.principals[subject] = ev.principal
        self._point("requests", subject, ev, 1.0, out)
        if ev.blocked:
            self._point("guard_blocks", subject, ev, 1.0, out)
        if ev.tokens > 0:
            self._tokens(subject, ev, out)
        if ev.prompt_fp:
            self._prompt(subject, ev, out)
        if ev.model and ev.model != "-":
            models = self.models.setdefault(subject, set())
            if ev.model not in models:
                if len(models) < _MAX_MODELS:
                    models.add(ev.model)
                self._point("new_models", subject, ev, 1.0, out)
        return out

    def _tokens(self, subject: str, ev: AccessEvent, out: list[Alarm]) -> None:
        """Tokens in units of ``_MAX_TOKEN_UNITS`` times the key's mean request, so each
        point weighs at most 1: the series is then no more dispersed than a Poisson count
        (E[w^2] <= E[w]) and the false-alarm budget holds for it as for requests."""
        mean, n = self.token_mean.get(subject, (0.0, 0.0))
        n += 1.0
        mean += (ev.tokens - mean) / min(n, 1.0 / _TOKEN_MEAN_ALPHA)
        self.token_mean[subject] = (mean, n)
        self._point("tokens", subject, ev, min(ev.tokens / (mean * _MAX_TOKEN_UNITS), 1.0), out)

    def _prompt(self, subject: str, ev: AccessEvent, out: list[Alarm]) -> None:
        """A point for each prompt this key did not send in the hour before."""
        seen = self.prompts.setdefault(subject, {})
        fp = ev.prompt_fp or ""
        last = seen.get(fp)
        if len(seen) >= _MAX_PROMPTS:  # forget what is older than the hour
            for old in [k for k, v in seen.items() if ev.t - v > _PROMPT_MEMORY_S]:
                del seen[old]
        if len(seen) < _MAX_PROMPTS or last is not None:
            seen[fp] = ev.t
        if last is None or ev.t - last > _PROMPT_MEMORY_S:
            self._point("distinct_prompts", subject, ev, 1.0, out)

    # -- state -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "v": 1,
            "series": [[sig, sub, s.to_state()] for (sig, sub), s in self.series.items()],
            "token_mean": {k: list(v) for k, v in self.token_mean.items()},
            "prompts": {k: self._recent(v) for k, v in self.prompts.items()},
            "models": {k: sorted(v) for k, v in self.models.items()},
            "principals": self.principals,
            "behaviour": self.behaviour.state(),
        }

    @staticmethod
    def _recent(seen: dict[str, float]) -> dict[str, float]:
        """The digests of the hour before the subject's last one (older ones no longer
        decide whether a prompt is new)."""
        if not seen:
            return {}
        newest = max(seen.values())
        return {fp: at for fp, at in seen.items() if newest - at <= _PROMPT_MEMORY_S}

    def _load(self, state: dict[str, Any]) -> None:
        if state.get("v") != 1:
            return  # an unknown layout: start afresh rather than misread it
        for sig, sub, raw in state.get("series", []):
            if sig in self.params:
                self.series[(str(sig), str(sub))] = Series.from_state(raw)
        self.token_mean = {
            str(k): (float(m), float(q)) for k, (m, q) in state.get("token_mean", {}).items()
        }
        self.prompts = {
            str(k): {str(fp): float(at) for fp, at in v.items()}
            for k, v in state.get("prompts", {}).items()
        }
        self.models = {str(k): {str(x) for x in v} for k, v in state.get("models", {}).items()}
        self.principals = {str(k): str(v) for k, v in state.get("principals", {}).items()}
        behaviour = state.get("behaviour")
        if isinstance(behaviour, dict):
            self.behaviour = BehaviourSignals(self.behaviour.p, behaviour)
