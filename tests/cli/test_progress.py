"""The progress line of aisec encrypt/decrypt (drawn without rich)."""

from __future__ import annotations

import io
import time

from aisec.cli._progress import ProgressLine


def test_progress_line_draws_share_and_size_then_erases_itself() -> None:
    out = io.StringIO()
    bar = ProgressLine("encrypting big.bin", 200 * 10**6, out)
    bar(100 * 10**6)
    assert out.getvalue().startswith(
        "\rencrypting big.bin [" + "#" * 15 + "-" * 15 + "]  50% 100/200 MB"
    )
    bar(100 * 10**6)
    assert "] 100% 200/200 MB" in bar.render(time.monotonic())
    bar.close()
    assert out.getvalue().endswith("\r\x1b[2K")


def test_progress_line_never_shows_more_than_all() -> None:
    bar = ProgressLine("decrypting x", 0, io.StringIO())  # an empty or shrinking file
    bar(10)
    assert "[" + "#" * 30 + "] 100%" in bar.render(time.monotonic())


def test_progress_line_shows_a_hostile_file_name_inertly() -> None:
    out = io.StringIO()
    bar = ProgressLine("encrypting a\x1b[2J\u202egnp.\r.bin", 100, out)
    assert bar.render(time.monotonic()).startswith("encrypting a\\x1b[2J\\u202egnp.\\r.bin [")
