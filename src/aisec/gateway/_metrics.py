"""Prometheus metrics of one gateway app (its own registry, so apps in one process do not mix).

Under ``aisec up --workers N`` each worker process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, chosen when the
worker imports it) and ``/metrics``, whichever worker answers, adds up every worker's.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["MULTIPROC_ENV", "GatewayMetrics"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_FAST = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "aisec_gateway_requests",
            "Requests by route, endpoint, decision and status.",
            ["route", "endpoint", "decision", "status"],
            registry=r,
        )
        self.guard_fired = Counter(
            "aisec_gateway_guard_fired",
            "Scanner firings by route, scanner, direction and decision.",
            ["route", "scanner", "direction", "decision"],
            registry=r,
        )
        self.overhead = Histogram(
            "aisec_gateway_overhead_seconds",
            "Time spent in the gateway itself (total minus upstream), by endpoint.",
            ["route", "endpoint"],
            buckets=_FAST,
            registry=r,
        )
        self.upstream = Histogram(
            "aisec_gateway_upstream_seconds",
            "Upstream time until its full response (headers for streams).",
            ["route", "endpoint"],
            buckets=_SLOW,
            registry=r,
        )
        self.upstream_errors = Counter(
            "aisec_gateway_upstream_errors",
            "Upstream faults by route and kind (timeout, connect, status, malformed, reset).",
            ["route", "kind"],
            registry=r,
        )
        self.limiter_rejections = Counter(
            "aisec_gateway_limiter_rejections",
            "Requests refused by the limiter, by reason code.",
            ["code"],
            registry=r,
        )

        self._children: dict[tuple[str, ...], Any] = {}

    def finished(
        self,
        route: str,
        endpoint: str,
        decision: str,
        status: str,
        upstream_s: float,
        elapsed: float,
    ) -> None:
        """Count a finished request and, when it reached the upstream, its upstream time and
        the gateway's own (the labelled series are looked up once, then kept)."""
        count = self._children.get((route, endpoint, decision, status))
        if count is None:
            count = self.requests.labels(route, endpoint, decision, status)
            self._children[(route, endpoint, decision, status)] = count
        count.inc()
        if upstream_s:
            timed = self._children.get((route, endpoint))
            if timed is None:
                timed = (
                    self.upstream.labels(route, endpoint),
                    self.overhead.labels(route, endpoint),
                )
                self._children[(route, endpoint)] = timed
            timed[0].observe(upstream_s)
            timed[1].observe(max(0.0, elapsed - upstream_s))

    def render(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):  # every worker's values, not only this one's
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
