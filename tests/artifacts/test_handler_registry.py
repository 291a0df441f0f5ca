"""The handler registry cannot be taken over, and internal errors are told from bad data.

Plugins that register (a name no built-in uses) are defined in a child interpreter, so the
process-wide registry these tests share stays as the built-ins left it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _formats_samples import gguf_benign, safetensors_raw
from corpus import os_system_proto

from aisec.artifacts import (
    FormatHandler,
    HandlerNameError,
    Verdict,
    detect_format,
    load_builtins,
    scan_bytes,
)
from aisec.artifacts._base import ArtifactContext, registered_handlers
from aisec.artifacts.pickle import PickleHandler
from aisec.core.errors import InputError
from aisec.core.findings import Finding

SRC = Path(__file__).resolve().parents[2] / "src"
EVIL = os_system_proto(2)


def _child(code: str) -> Any:
    """Run ``code`` in a fresh interpreter with this tree's aisec; it prints one JSON value."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_handler_impersonating_builtin_name_raises_at_definition() -> None:
    """A plugin named like the pickle handler, with a higher priority, that calls every
    file clean: it must not be defined, and the built-in keeps judging pickles."""
    with pytest.raises(HandlerNameError, match="'pickle' is taken by"):

        class FakePickle(FormatHandler):
            name: ClassVar[str] = "pickle"
            priority: ClassVar[int] = 1_000

            @classmethod
            def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
                return True

            def scan(self, ctx: ArtifactContext) -> list[Finding]:
                return []

    result = scan_bytes(EVIL, "evil.pkl").files[0]
    assert (result.format, result.verdict) == ("pickle", Verdict.MALICIOUS)
    assert "FakePickle" not in {h.__name__ for h in registered_handlers()}


def test_handler_subclassing_builtin_under_inherited_name_raises() -> None:
    """Subclassing the pickle handler to weaken ``scan`` while keeping its name."""
    with pytest.raises(HandlerNameError, match="must set its own non-empty name"):

        class QuietPickle(PickleHandler):
            def scan(self, ctx: ArtifactContext) -> list[Finding]:
                return []

    assert scan_bytes(EVIL, "evil.pkl").files[0].verdict is Verdict.MALICIOUS


def test_handler_with_higher_priority_cannot_take_over_builtin_format() -> None:
    """A plugin with a new name and the highest priority claims everything: built-ins are
    still asked first, so it only gets content no built-in recognises."""
    out = _child(
        f"""
        import json
        from aisec.artifacts import FormatHandler, scan_bytes

        class Greedy(FormatHandler):
            name = "greedy-plugin"
            priority = 10**9

            @classmethod
            def sniff(cls, head, ctx):
                return True

            def scan(self, ctx):
                return []

        evil = scan_bytes({EVIL!r}, "evil.pkl").files[0]
        other = scan_bytes(b"GREEDY\\x00 not a format aisec knows", "x.bin").files[0]
        print(json.dumps([evil.format, evil.verdict, other.format, other.verdict]))
        """
    )
    assert out == ["pickle", "malicious", "greedy-plugin", "clean"]


def test_plugin_names_are_unique_too() -> None:
    out = _child(
        """
        import json
        from aisec.artifacts import FormatHandler, HandlerNameError

        def define():
            class Plugin(FormatHandler):
                name = "acme-format"

                @classmethod
                def sniff(cls, head, ctx):
                    return head.startswith(b"ACME")

                def scan(self, ctx):
                    return []
            return Plugin

        define()
        try:
            define()
        except HandlerNameError as exc:
            print(json.dumps(str(exc)))
        else:
            print(json.dumps("defined twice"))
        """
    )
    assert "'acme-format' is taken by" in out


def test_load_builtins_is_explicit_idempotent_and_complete() -> None:
    first = load_builtins()
    assert load_builtins() is first
    assert [h.priority for h in first] == sorted((h.priority for h in first), reverse=True)
    assert {h.name for h in first} == {
        "keras",
        "pytorch-legacy",
        "gguf",
        "safetensors",
        "npy",
        "pickle",
        "hdf5",
        "keras-savedmodel-metadata",
        "tf-savedmodel",
        "onnx",
        "tf-graphdef",
        "zip",
        "tar",
        "7z",
        "compressed",
        "json",
        "yaml",
        "jinja-template",
    }


def test_a_crashing_plugin_is_an_internal_error_not_a_data_error() -> None:
    out = _child(
        """
        import json
        from aisec.artifacts import FormatHandler, scan_bytes

        class Broken(FormatHandler):
            name = "broken-plugin"

            @classmethod
            def sniff(cls, head, ctx):
                return head.startswith(b"BROKEN")

            def scan(self, ctx):
                raise KeyError("bug")

        class BadSniffer(FormatHandler):
            name = "bad-sniffer"

            @classmethod
            def sniff(cls, head, ctx):
                if head.startswith(b"SNIFF"):
                    raise IndexError("bug")
                return False

            def scan(self, ctx):
                return []

        rows = []
        for data in (b"BROKEN data", b"SNIFF data", b"\\x93NUMPY\\x01\\x00"):
            r = scan_bytes(data, "x").files[0]
            rows.append([r.verdict, r.internal_error, r.to_dict().get("internal_error")])
        print(json.dumps(rows))
        """
    )
    assert out == [
        ["error", True, True],  # the handler raised
        ["error", True, True],  # every sniffer that could claim it raised
        ["error", False, None],  # a truncated .npy header: the data, not our code
    ]


SAMPLES = {
    "pickle": EVIL,
    "zip": b"PK\x05\x06" + b"\0" * 18,
    "safetensors": safetensors_raw({"__metadata__": {"format": "pt"}}, b""),
    "gguf": gguf_benign(),
    "json": b'{"chat_template": "{{ messages }}"}',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_detect_format_names_the_handler_the_dispatcher_runs(name: str) -> None:
    data = SAMPLES[name]
    assert detect_format(data) == name == scan_bytes(data, "x").files[0].format


def test_detect_format_reads_content_not_the_file_name(tmp_path: Path) -> None:
    p = tmp_path / "weights.safetensors"
    p.write_bytes(EVIL)
    assert detect_format(p) == "pickle"
    assert detect_format(str(p)) == "pickle"
    assert detect_format(b"just some notes") == "unknown"


def test_detect_format_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        detect_format(tmp_path / "missing.pkl")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        detect_format(fifo)  # must not block waiting for a writer
    with pytest.raises(InputError, match="not a regular file"):
        detect_format(tmp_path)
