"""An ops agent that can look at the support servers for the on-call engineer."""

from __future__ import annotations

import subprocess

from langchain_core.tools import tool


@tool
def run_diagnostics(command: str) -> str:
    """Run a diagnostic command on the support server and return its output."""
    # PLANTED PROBLEM: whatever the model asks for runs in a shell (excessive agency).
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    return done.stdout[-4000:]
