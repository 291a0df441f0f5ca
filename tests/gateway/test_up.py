"""``aisec up --demo`` as a user runs it: a subprocess, its banner, the snippets it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai

from conftest import free_port


def test_up_demo_banner_snippets_work(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aisec", "up", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        while "Metrics:" not in banner:
            line = proc.stdout.readline()
            assert line, f"aisec up exited: {proc.stderr.read() if proc.stderr else ''}"
            banner += line
        key_match = re.search(r"Bearer (aisec_[0-9a-f]{12}_[\w-]+)", banner)
        assert key_match
        key = key_match.group(1)
        assert "DEMO" in banner
        assert f'OpenAI(base_url="http://127.0.0.1:{port}/v1", api_key="{key}")' in banner
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {key}"},
            json={"model": "demo-echo", "messages": [{"role": "user", "content": "Hello"}]},
        )
        assert resp.status_code == 200
        assert resp.headers["x-aisec-demo"].startswith("echo upstream")
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key)
        r = client.chat.completions.create(
            model="demo-echo", messages=[{"role": "user", "content": "Hello, gateway"}]
        )
        assert r.choices[0].message.content == "echo: Hello, gateway"
        stream = client.chat.completions.create(
            model="demo-echo",
            messages=[{"role": "user", "content": "Hello, gateway"}],
            stream=True,
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "echo: Hello, gateway"
        bad = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers={"Authorization": "Bearer aisec_000000000000_" + "wrong" * 9},
            json={"model": "demo-echo", "messages": [{"role": "user", "content": "Hello"}]},
        )
        assert bad.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_worker_processes_install_the_audit_redactor() -> None:
    """`aisec up --workers N` starts workers through app_from_env, not the CLI: they must
    redact secrets from audit details too."""
    from aisec.core import audit
    from aisec.gateway._serve import _install_audit_redactor

    previous = audit._redactor
    audit.set_redactor(None)
    try:
        _install_audit_redactor()
        secret = "AKIA" + "Q3EGRYTZ7NWOPLKM"
        assert secret not in audit._redact(f"upstream key {secret}")
    finally:
        audit.set_redactor(None)
        audit.set_redactor(previous)
