"""Fixtures of the monitor's tests; ``monitor_trace`` builds synthetic gateway traffic."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # monitor_trace, for the test modules
