"""The scripted loopback target, and ``aisec up`` in front of it with the guard blocking."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aisec.core.identity import os_user
from aisec.redteam.testing import ScriptedTarget

SRC = str(Path(__file__).resolve().parents[2] / "src")

# The guard as a team would run it in front of this app: injection blocked on input,
# documents and tool results; leaks of PII and of the system prompt blocked on output;
# only the harmless tools allowed. PII scanning is output-only: the app's own system
# prompt holds the (planted) records.
BLOCKING_POLICY = {
    "guard": {
        "scanners": [
            {"name": "limits", "mode": "block"},
            {"name": "invisible_text", "mode": "block"},
            {
                "name": "prompt_injection",
                "mode": "block",
                "directions": ["input", "document", "tool_result"],
            },
            {"name": "pii", "mode": "block", "directions": ["output"]},
            {"name": "system_prompt_leak", "mode": "block"},
        ],
        "tools": {
            "allow": [
                {"name": "lookup_order", "args": {"order_id": {"type": "text"}}},
                {"name": "browse", "args": {"url": {"type": "url", "schemes": ["https"]}}},
            ]
        },
    }
}


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    with ScriptedTarget() as t:
        yield t


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    env.pop("AISEC_REDIS_URL", None)
    return env


@pytest.fixture
def guarded(tmp_path: Path, target: ScriptedTarget) -> Iterator[tuple[str, str]]:
    """(base URL, API key) of a real ``aisec up`` process guarding the scripted target."""
    doc = json.loads(json.dumps(BLOCKING_POLICY))
    doc["access"] = {"principals": [{"name": os_user(), "roles": ["admin"]}]}
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(doc))
    env = cli_env(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aisec", "up", "--port", str(port), "--upstream", target.url,
         "--policy", str(policy)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "aisec up exited"
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "aisec up did not start"
            time.sleep(0.1)
        made = subprocess.run(
            [sys.executable, "-m", "aisec", "access", "apikey", "create", "--principal", "rt"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        yield url + "/v1", made.stdout.strip().splitlines()[-1]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
