"""Alert sinks against real servers on loopback: a webhook (signed, retried with backoff,
not retried on a refusal, never sent unsigned), SMTP (aiosmtpd), Prometheus metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from monitor_trace import T0, failed_auth_burst, record

from aisec.core.audit import default_log
from aisec.core.errors import ConfigError
from aisec.core.policy import EmailSink, MonitorPolicy, Policy, WebhookSink
from aisec.core.store import open_store
from aisec.monitor import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Alarm,
    Alert,
    AlertBook,
    deliver,
    exposition,
    monitor_once,
    sign,
)
from aisec.monitor._sinks import send_email, send_webhook

SECRET = "whsec-test-0123456789"


@dataclass
class Hook:
    url: str
    answers: list[int]  # status per request; the last repeats
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook("", [200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers.items()), body))
            n = len(state.received) - 1
            status = state.answers[min(n, len(state.answers) - 1)]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _alert() -> Alert:
    book = AlertBook(open_store())
    alarm = Alarm("monitor-extraction-pattern", "requests", "key:abc123", T0, 42, "app1", 40.0, 2.0)
    (alert,) = book.raise_alarms([alarm], {"monitor-extraction-pattern": "revoke-principal"})
    return alert


def _sink(hook: Hook, **kw: Any) -> WebhookSink:
    return WebhookSink(url=hook.url, secret_env="AISEC_TEST_HOOK_SECRET", backoff_s=0.01, **kw)


def test_webhook_is_signed_and_retried_with_backoff(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISEC_TEST_HOOK_SECRET", SECRET)
    hook.answers = [503, 502, 200]
    delays: list[float] = []
    alert = _alert()
    attempts = send_webhook(_sink(hook), alert, sleep=delays.append)
    assert attempts == 3 and len(hook.received) == 3
    assert delays[0] < delays[1]  # backoff doubles (jitter stays below the next step)
    headers, body = hook.received[-1]
    expected = sign(SECRET.encode(), headers[TIMESTAMP_HEADER], body)
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    doc = json.loads(body)
    assert doc["alert"]["id"] == alert.id
    assert doc["alert"]["rule_id"] == "monitor-extraction-pattern"
    assert "ATLAS:AML.T0024.002" in doc["alert"]["frameworks"]
    assert doc["alert"]["playbook"] == "revoke-principal"
    # a receiver that changes one byte of the body gets another signature
    assert sign(SECRET.encode(), headers[TIMESTAMP_HEADER], body + b" ") != expected


def test_webhook_refusal_is_not_retried(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_TEST_HOOK_SECRET", SECRET)
    hook.answers = [400]
    with pytest.raises(ConfigError, match="HTTP 400"):
        send_webhook(_sink(hook), _alert(), sleep=lambda _: None)
    assert len(hook.received) == 1


def test_webhook_gives_up_after_its_retries(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_TEST_HOOK_SECRET", SECRET)
    hook.answers = [503]
    with pytest.raises(ConfigError, match="not delivered: HTTP 503"):
        send_webhook(_sink(hook, retries=2), _alert(), sleep=lambda _: None)
    assert len(hook.received) == 3


def test_webhook_without_its_secret_sends_nothing(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AISEC_TEST_HOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="is not set"):
        send_webhook(_sink(hook), _alert())
    assert hook.received == []


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Message]]]:
    from aiosmtpd.controller import Controller

    got: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            got.append(message_from_bytes(envelope.content))
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, got
    finally:
        controller.stop()


def test_email_reaches_a_local_smtp_server(smtp: tuple[int, list[Message]]) -> None:
    port, got = smtp
    alert = _alert()
    sink = EmailSink(host="127.0.0.1", port=port, sender="aisec@test", to=["sec@test"])
    send_email(sink, [alert])
    (msg,) = got
    assert msg["To"] == "sec@test"
    assert "monitor-extraction-pattern" in str(msg["Subject"])
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert alert.id.encode() in body and b"revoke-principal" in body


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_email_to_a_closed_port_is_a_clear_error() -> None:
    port = _free_port()
    sink = EmailSink(host="127.0.0.1", port=port, sender="a@t", to=["b@t"], timeout_s=2)
    with pytest.raises(ConfigError, match="not sent"):
        send_email(sink, [_alert()])


def test_monitor_run_sends_new_alerts_to_every_sink_and_counts_them(
    hook: Hook, smtp: tuple[int, list[Message]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISEC_TEST_HOOK_SECRET", SECRET)
    port, mails = smtp
    record(default_log(), failed_auth_burst(T0 + 3600))
    policy = Policy(
        monitor=MonitorPolicy.model_validate(
            {
                "sinks": {
                    "webhook": _sink(hook).model_dump(),
                    "email": {"host": "127.0.0.1", "port": port, "sender": "a@t", "to": ["b@t"]},
                }
            }
        )
    )
    run = monitor_once(policy=policy)
    (alert,) = run.opened
    assert alert.rule_id == "monitor-failed-auth-burst"
    assert len(hook.received) == 1 and len(mails) == 1
    assert json.loads(hook.received[0][1])["alert"]["id"] == alert.id
    text = exposition(open_store()).decode()
    assert (
        'aisec_monitor_alerts_open{rule="monitor-failed-auth-burst",severity="medium"} 1.0' in text
    )
    assert 'aisec_monitor_alerts_opened_total{rule="monitor-failed-auth-burst"' in text
    # a second run with nothing new sends nothing
    monitor_once(policy=policy)
    assert len(hook.received) == 1 and len(mails) == 1


def test_a_failing_sink_does_not_stop_the_others(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AISEC_TEST_HOOK_SECRET", raising=False)
    policy = MonitorPolicy.model_validate({"sinks": {"webhook": _sink(hook).model_dump()}})
    failures = deliver(policy, [_alert()])
    assert [f.sink for f in failures] == ["webhook"]
