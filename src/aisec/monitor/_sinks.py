"""Where new alerts go: a log line, a signed webhook, an e-mail, Prometheus metrics.

Every sink gets the alert's JSON (evidence holds counts, rates, names and key prefixes,
never prompts or secrets). A sink that fails does not stop the others or the monitor:
:func:`deliver` returns what failed and the caller audits it.

Webhook: ``POST`` of ``{"alert": …}`` with ``X-Aisec-Timestamp`` and
``X-Aisec-Signature: sha256=HEX``, the HMAC-SHA256 of ``TIMESTAMP + "." + BODY`` under the
key in the environment variable the policy names (the policy never holds it); a receiver
recomputes it and rejects stale timestamps (replays). Connection errors, 429 and 5xx are
retried with exponential backoff and jitter; other 4xx are not (the receiver refused).
No key, no request: an unsigned alert could be forged by anyone who can reach the hook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from aisec.core.errors import ConfigError
from aisec.core.policy import EmailSink, MonitorPolicy, WebhookSink
from aisec.monitor._alerts import Alert

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SinkFailure",
    "deliver",
    "send_email",
    "send_webhook",
    "sign",
]

SIGNATURE_HEADER = "X-Aisec-Signature"
TIMESTAMP_HEADER = "X-Aisec-Timestamp"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class SinkFailure:
    sink: str
    alert_id: str
    reason: str


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _clean(text: str, limit: int = 200) -> str:
    """One line of printable text (names in alerts come from requests)."""
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


def log_line(alert: Alert) -> str:
    return _clean(
        f"aisec: alert {alert.id} [{alert.severity.value}] {alert.rule_id} {alert.subject}"
        f" (playbook: {alert.playbook or '-'})",
        500,
    )


def send_webhook(
    sink: WebhookSink,
    alert: Alert,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST one alert; returns the attempts it took. Raises ConfigError when it failed."""
    import httpx

    secret = os.environ.get(sink.secret_env, "")
    if not secret:
        raise ConfigError(f"monitor webhook: {sink.secret_env} is not set; alerts are sent signed")
    body = json.dumps({"alert": alert.to_dict()}, sort_keys=True, separators=(",", ":")).encode()
    last = "no attempt"
    with httpx.Client(timeout=sink.timeout_s, follow_redirects=False, trust_env=False) as client:
        for attempt in range(sink.retries + 1):
            if attempt:
                delay = sink.backoff_s * (2 ** (attempt - 1))
                sleep(delay + random.uniform(0, delay / 2))  # noqa: S311 - jitter, not crypto
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: "sha256=" + sign(secret.encode(), stamp, body),
                "User-Agent": "aisec/monitor",
            }
            try:
                resp = client.post(sink.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
                continue
            if resp.status_code < 300:
                return attempt + 1
            last = f"HTTP {resp.status_code}"
            if resp.status_code not in _RETRY_STATUS:
                break
    raise ConfigError(f"monitor webhook: alert {alert.id} not delivered: {last}")


def send_email(sink: EmailSink, alerts: Sequence[Alert]) -> None:
    """One message for the alerts of a run, over SMTP (STARTTLS when the policy says)."""
    import smtplib
    from email.message import EmailMessage

    if not alerts:
        return
    msg = EmailMessage()
    first = alerts[0]
    more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
    msg["Subject"] = _clean(
        f"[aisec] {first.severity.value}: {first.rule_id} {first.subject}{more}", 180
    )
    msg["From"] = sink.sender
    msg["To"] = ", ".join(sink.to)
    lines = []
    for a in alerts:
        lines.append(log_line(a))
        lines.append(json.dumps(a.to_dict(), indent=2, sort_keys=True, ensure_ascii=True))
        lines.append("")
    msg.set_content("\n".join(lines))
    try:
        with smtplib.SMTP(sink.host, sink.port, timeout=sink.timeout_s) as smtp:
            if sink.starttls:
                smtp.starttls()
            if sink.username_env and sink.password_env:
                smtp.login(
                    os.environ.get(sink.username_env, ""), os.environ.get(sink.password_env, "")
                )
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ConfigError(f"monitor e-mail: not sent: {type(exc).__name__}") from None


def deliver(policy: MonitorPolicy, alerts: Iterable[Alert]) -> list[SinkFailure]:
    """Send new alerts to every configured sink; returns the failures (never raises)."""
    batch = list(alerts)
    failures: list[SinkFailure] = []
    if not batch:
        return failures
    sinks = policy.sinks
    from aisec.monitor._metrics import count_opened

    count_opened(batch)
    if sinks.log:
        for a in batch:
            sys.stderr.write(log_line(a) + "\n")
    if sinks.webhook is not None:
        for a in batch:
            try:
                send_webhook(sinks.webhook, a)
            except ConfigError as exc:
                failures.append(SinkFailure("webhook", a.id, exc.message))
    if sinks.email is not None:
        try:
            send_email(sinks.email, batch)
        except ConfigError as exc:
            failures.extend(SinkFailure("email", a.id, exc.message) for a in batch)
    return failures
