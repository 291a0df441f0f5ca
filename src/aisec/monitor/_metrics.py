"""Prometheus alert metrics: alerts opened by this process, and open alerts in the store.

``aisec_monitor_alerts_opened_total{rule,severity}`` counts what this process opened;
``aisec_monitor_alerts_open{rule,severity}`` is read from the store at each scrape, so
every replica reports the same, true number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aisec.core.store import Store
from aisec.monitor._alerts import Alert

__all__ = ["REGISTRY", "OpenAlertsCollector", "count_opened", "exposition"]

REGISTRY = CollectorRegistry(auto_describe=True)
OPENED = Counter(
    "aisec_monitor_alerts_opened",
    "Alerts opened by this process, by rule and severity.",
    ["rule", "severity"],
    registry=REGISTRY,
)


def count_opened(alerts: Iterable[Alert]) -> None:
    for a in alerts:
        OPENED.labels(a.rule_id, a.severity.value).inc()


class OpenAlertsCollector(Collector):
    """Open alerts per rule and severity, read from the store at each collection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "aisec_monitor_alerts_open",
            "Alerts not yet acknowledged, by rule and severity.",
            labels=["rule", "severity"],
        )
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT rule_id, severity, count(*) FROM monitor_alerts WHERE status = 'open'"
                " GROUP BY rule_id, severity"
            ).fetchall()
        for rule, severity, n in rows:
            gauge.add_metric([str(rule), str(severity)], float(n))
        yield gauge


def exposition(store: Store) -> bytes:
    """The metrics in Prometheus' text format (opened counters and open gauges)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OpenAlertsCollector(store))
    return generate_latest(REGISTRY) + generate_latest(registry)
