"""Payloads carried as data: strings and bytes that are themselves a pickle or Python code.

Loading a pickle does not run a second pickle kept in one of its strings, but applications
do (``pickle.loads(base64.b64decode(obj["state"]))``), and safetensors, GGUF and ONNX
metadata reach application code the same way. Each long enough value is decoded the ways
such payloads are wrapped (base64, hex, zlib/gzip/bz2/xz/lzma/lz4), layer by layer, and
what comes out is judged: a pickle by the pickle analysis, text by whether it is Python
that parses and calls something dangerous. Bounded: the bytes decoded per value, the
decoding depth, the values decoded per file and the time spent per file.
"""

from __future__ import annotations

import ast
import base64
import binascii
import bz2
import json
import lzma
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aisec.artifacts._base import ArtifactContext
from aisec.artifacts.pickle._values import Blob
from aisec.artifacts.pickle._vm import NOTE_MIN, OPCODES
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["EMBEDDED_RULES", "EmbeddedScan"]

_REFS = (
    FrameworkRef("ATLAS", "AML.T0011.000"),
    FrameworkRef("ATLAS", "AML.T0010.003"),
    FrameworkRef("OWASP-LLM", "LLM03:2025"),
)
_REMEDIATION = (
    "Data fields have no need to carry a pickle or code; an application that decodes and "
    "loads this field runs it. Do not load the field; re-export the file from its source."
)
EMBEDDED_RULES = {
    "embedded-pickle-payload": "A data field holds a pickle that imports or calls something",
    "embedded-code": "A data field holds Python code that calls a dangerous function",
    "embedded-limit": "Too many or too large embedded values to check them all",
}

_MAX_DECODED = 16 << 20  # bytes out of one decoding step
_MAX_DEPTH = 4  # decoding layers (base64 > zlib > pickle is three)
_MAX_VALUES = 2_000  # values that pass the cheap tests and get decoded, per file
_TIME_BUDGET = 10.0  # seconds per file, a safety net behind the counts
_CLOCK_EVERY = 64  # steps between looks at the clock
_BLOB_HEAD = 4096  # of a large byte payload that is not text only the start is looked at
_BLOB_MAX = 64 << 20  # a large text-encoded or compressed payload is read up to this
# first bytes of a compressed stream (gzip, bz2, xz, lzma, lz4, zlib) and of base64/hex text
_MAGIC_FIRST = frozenset(b"\x1fB\xfd\x5d\x04\x78")
_TEXT_FIRST = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_ \t\r\n"
)
_HEX_CHARS = b"0123456789abcdefABCDEF \t\r\n"
_CONTAINER_FIRST = frozenset(b"\x1fB\xfd\x5d\x04\x78{[")
_B64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \t\r\n"
_TEXT_HEAD = re.compile(rb"[A-Za-z0-9+/=_\-\s]+")
_MAX_CODE = 1 << 20  # text parsed as Python
# a pickle imports through GLOBAL/INST (two text lines) or STACK_GLOBAL (two strings pushed
# first): bytes with neither are not walked (random bytes, hashes, array data)
_GLOBAL_LINE = re.compile(rb"[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")
_STRING_OP = re.compile(rb"[\x8cXVSUT\x8d]")
_DEDUPE_MAX = 4096  # longer values are not hashed to skip repeats (array data never repeats)

_B64 = re.compile(rb"[A-Za-z0-9+/\s]+={0,2}\s*|[A-Za-z0-9_\-\s]+={0,2}\s*")
_HEX = re.compile(rb"(?:[0-9a-fA-F]{2}\s?)+")
# a cheap filter before Python text is parsed: an import or a call of a name that runs code
_CODE_HINT = re.compile(
    rb"(?:\bimport\b|__import__|\beval\s*\(|\bexec\s*\(|\bcompile\s*\(|\bsystem\s*\("
    rb"|\bpopen\s*\(|\bPopen\s*\(|\bspawn\w*\s*\(|\bexecv\w*\s*\(|\bgetattr\s*\("
    rb"|\bcheck_output\s*\(|\bcheck_call\s*\(|\brun\s*\(|\bopen\s*\("
    rb"|__(?:builtins|globals|subclasses|code|loader|reduce)__|\.system\b|\.popen\b"
    rb"|\b(?:os|posix|nt|subprocess|pty|socket|ctypes|shutil|importlib|runpy|builtins|pickle"
    rb"|marshal|webbrowser|urllib|requests|http|asyncio|multiprocessing|code|codeop)\s*\.)"
)
# Calls that run code, spawn processes, touch the network or delete files; a module name
# alone stands for every function in it.
_DANGEROUS_CALLS = frozenset(
    (
        *("subprocess", "pty", "socket", "ctypes", "runpy", "webbrowser", "requests"),
        *("urllib", "http", "ftplib", "telnetlib", "smtplib", "multiprocessing", "commands"),
        *("code", "codeop", "marshal.loads", "marshal.load", "pickle.loads", "pickle.load"),
        *("_pickle.loads", "_pickle.load", "importlib.import_module", "importlib.__import__"),
        *("builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__"),
        *("asyncio.create_subprocess_shell", "asyncio.create_subprocess_exec"),
        *("shutil.rmtree", "shutil.move", "sys.modules", "torch.load", "numpy.load"),
        *("eval", "exec", "compile", "__import__", "execfile", "breakpoint"),
    )
)
_OS_CALLS = frozenset(
    (
        *("system", "popen", "fork", "forkpty", "kill", "killpg", "remove", "unlink"),
        *("rmdir", "removedirs", "rename", "replace", "chmod", "chown", "putenv"),
        *("setuid", "startfile", "posix_spawn", "posix_spawnp"),
    )
)


def _decompress_kind(head: bytes) -> bool:
    return (
        head[:3] in (b"\x1f\x8b\x08", b"BZh", b"\x5d\x00\x00")
        or head[:6] == b"\xfd7zXZ\x00"
        or head[:4] == b"\x04\x22\x4d\x18"
        or (len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0)
    )


def _decompress(data: bytes) -> tuple[str, bytes] | None:
    """(kind, content) when ``data`` starts like a compressed stream and inflates."""
    head = data[:6]
    try:
        if head[:3] == b"\x1f\x8b\x08":
            return "gzip", zlib.decompressobj(wbits=47).decompress(data, _MAX_DECODED)
        if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
            return "zlib", zlib.decompressobj().decompress(data, _MAX_DECODED)
        if head[:3] == b"BZh":
            return "bz2", bz2.BZ2Decompressor().decompress(data, _MAX_DECODED)
        if head[:6] == b"\xfd7zXZ\x00":
            return "xz", lzma.LZMADecompressor().decompress(data, _MAX_DECODED)
        if head[:3] == b"\x5d\x00\x00":
            alone = lzma.LZMADecompressor(lzma.FORMAT_ALONE)
            return "lzma", alone.decompress(data, _MAX_DECODED)
        if head[:4] == b"\x04\x22\x4d\x18":
            import lz4.frame  # type: ignore[import-untyped]

            frame = lz4.frame.LZ4FrameDecompressor()
            return "lz4", bytes(frame.decompress(data, _MAX_DECODED))
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, RuntimeError):
        return None
    except ImportError:
        return None
    return None


def _text_decode(data: bytes) -> tuple[str, bytes] | None:
    """(kind, bytes) when ``data`` is all hex or all base64 (of a length worth decoding)."""
    if len(data) > 4 * _MAX_DECODED:
        return None
    # bytes.translate deletes the alphabet in C: nothing left means all of it is in it
    if not data.translate(None, _HEX_CHARS):
        try:
            return "hex", binascii.unhexlify(b"".join(data.split()))
        except (binascii.Error, ValueError):
            pass
    if not data.translate(None, _B64_CHARS) and _B64.fullmatch(data):
        compact = b"".join(data.split())
        alt = b"-_" if (b"-" in compact or b"_" in compact) else None
        compact += b"=" * (-len(compact) % 4)
        try:
            return "base64", base64.b64decode(compact, altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


_MAX_JSON_STRINGS = 10_000


def _json_strings(raw: bytes) -> list[bytes] | None:
    """The strings (keys too) of a JSON document long enough to check, or None when
    ``raw`` is not JSON."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    out: list[bytes] = []
    todo: list[object] = [doc]
    while todo and len(out) < _MAX_JSON_STRINGS:
        item = todo.pop()
        if isinstance(item, str):
            if len(item) >= NOTE_MIN:
                out.append(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return out


_BARE_CALLS = frozenset(("eval", "exec", "compile", "__import__", "execfile", "breakpoint"))


def _is_dangerous_call(name: str) -> bool:
    if "." not in name:  # a bare name: only the builtins (a module name alone is a variable)
        return name in _BARE_CALLS
    parts = name.split(".")
    if parts[0] in ("os", "posix", "nt") and len(parts) == 2:
        return parts[1] in _OS_CALLS or parts[1].startswith(("exec", "spawn"))
    return any(".".join(parts[:i]) in _DANGEROUS_CALLS for i in range(1, len(parts) + 1))


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local names bound by imports: ``import os as o`` -> o: os; ``from os import system``
    -> system: os.system."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):  # __import__("os").system(...)
        inner = node.func
        if isinstance(inner, ast.Name) and inner.id == "__import__" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                parts.append(first.value)
    return ".".join(reversed(parts))


def dangerous_code(text: str) -> str | None:
    """What Python source ``text`` would do that is dangerous (``os.system(…)``), or None
    when it does not parse as Python or calls nothing that runs code, spawns processes,
    reaches the network or deletes files."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _ESCAPE_NAMES:
            return f"reaches {node.attr}"
        if isinstance(node, ast.Name) and node.id in _ESCAPE_NAMES:
            return f"reaches {node.id}"
        # a call, or a dangerous function taken by reference (f = os.system; f(...))
        target = node.func if isinstance(node, ast.Call) else node
        if not isinstance(target, ast.Attribute) and not (
            isinstance(target, ast.Name) and target is not node
        ):
            continue
        name = _dotted(target)
        if not name:
            continue
        root, _, rest = name.partition(".")
        resolved = aliases.get(root, root) + (f".{rest}" if rest else "")
        if _is_dangerous_call(resolved):
            return f"calls {resolved}()" if target is not node else f"uses {resolved}"
    return None


# names that only sandbox escapes and dynamic-code tricks reach for
_ESCAPE_NAMES = frozenset(
    ("__builtins__", "__globals__", "__subclasses__", "__code__", "__reduce__", "__loader__")
)


# judges a decoded pickle: (bytes, label) -> findings of that pickle
PickleJudge = Callable[[bytes, str], list[Finding]]
# recognises one that does something: first bytes -> is such a pickle
PickleSniff = Callable[[bytes], bool]


@dataclass(slots=True)
class EmbeddedScan:
    """Checks the data values of one file; ``findings`` collects what it reports."""

    ctx: ArtifactContext
    judge_pickle: PickleJudge
    is_pickle: PickleSniff
    findings: list[Finding] = field(default_factory=list)
    decoded: int = 0
    started: float = -1.0  # monotonic time of the first step (the clock is read lazily)
    steps: int = 0
    limited: bool = False
    _seen: set[int] = field(default_factory=set)

    pointer: str | None = None  # of the value being checked (a metadata key)

    def add(self, rule: str, severity: Severity, where: str, offset: int | None, text: str) -> None:
        self.findings.append(
            Finding(
                rule_id=rule,
                title=EMBEDDED_RULES[rule],
                severity=severity,
                asset=self.ctx.display_path,
                location=Location(path=self.ctx.display_path, offset=offset, pointer=self.pointer),
                evidence=f"{where}: {text}"[:300],
                frameworks=_REFS,
                remediation=_REMEDIATION,
            )
        )

    def pickle_notes(self, notes: list[tuple[int, Any]], buf: Any, label: str = "") -> None:
        """The long strings a pickle walk noted, by their offset in ``buf``."""
        prefix = f"{label}: " if label else ""
        for offset, value in notes:
            if isinstance(value, Blob):
                start = value.offset
                head = bytes(buf[start : start + 64])
                proto = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
                if proto or _decompress_kind(head) or _TEXT_HEAD.fullmatch(head):
                    # a pickle, compressed or text-encoded: judged whole (bounded), like a
                    # short value
                    raw = bytes(buf[start : start + min(value.length, _BLOB_MAX)])
                    self.value(raw, f"{prefix}bytes at offset {offset}", offset)
                else:  # array data, most likely: only a pickle header is worth a look
                    raw = bytes(buf[start : start + min(value.length, _BLOB_HEAD)])
                    self.value(raw, f"{prefix}bytes at offset {offset}", offset, blob=True)
            else:
                self.value(value, f"{prefix}string at offset {offset}", offset)

    def value(
        self,
        value: str | bytes,
        where: str,
        offset: int | None = None,
        blob: bool = False,
        pointer: str | None = None,
    ) -> None:
        """Check one value (a metadata string, a pickle constant)."""
        if len(value) < NOTE_MIN or self.limited:
            return
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        if (
            b"\n" not in raw  # no GLOBAL/INST line, no multi-line code or MIME base64
            and b"(" not in raw  # no call in code
            and b"\x93" not in raw  # no STACK_GLOBAL
            and raw.translate(None, _B64_CHARS)  # not base64 or hex text
            and raw[0] not in _CONTAINER_FIRST  # not compressed, not JSON
        ):
            return  # prose, names, array bytes: nothing that decodes into a payload
        if len(raw) <= _DEDUPE_MAX:  # the same short literal repeated: judged once
            key = hash(raw)
            if key in self._seen:
                return
            self._seen.add(key)
        # values met inside a decoded pickle keep the pointer of the field that held it
        outer = self.pointer
        self.pointer = pointer if pointer is not None else outer
        try:
            self._check(raw, where, offset, (), blob)
        finally:
            self.pointer = outer

    def _in_time(self) -> bool:
        now = time.monotonic()
        if self.started < 0:
            self.started = now
        return now - self.started <= _TIME_BUDGET

    def _over_budget(self, where: str, offset: int | None, count: bool = True) -> bool:
        """Past the limits? ``count``: this step (a pickle judged, a stream inflated) counts
        against the number of values; cheap text decoding and parsing only against time."""
        self.decoded += count
        self.steps += 1
        if self.decoded <= _MAX_VALUES and (self.steps % _CLOCK_EVERY != 1 or self._in_time()):
            return False
        self.limited = True
        self.add(
            "embedded-limit",
            Severity.MEDIUM,
            where,
            offset,
            f"stopped after {self.decoded} decoded values (limits: {_MAX_VALUES} values, "
            f"{_TIME_BUDGET:.0f} s); the rest was not checked",
        )
        return True

    def _check(
        self, raw: bytes, where: str, offset: int | None, chain: tuple[str, ...], blob: bool
    ) -> None:
        if self.limited or len(raw) < NOTE_MIN:
            return
        first = raw[0]
        layers = " > ".join(chain)
        shown = f"{where} ({layers})" if chain else where
        head = raw[:4096]
        if (
            first in OPCODES
            and (first != 0x80 or raw[1] <= 5)
            and (
                (first == 0x80 and 2 <= raw[1] <= 5)  # PROTO: maybe imports past padding
                or _GLOBAL_LINE.search(head)
                or (b"\x93" in head and _STRING_OP.search(head))
            )
            and self.is_pickle(head)
        ):
            if self._over_budget(where, offset):
                return
            inner = self.judge_pickle(raw, shown)
            bad = [f for f in inner if f.severity >= Severity.MEDIUM]
            if bad:
                worst = max(bad, key=lambda f: f.severity)
                severity = Severity.HIGH if worst.severity >= Severity.HIGH else Severity.MEDIUM
                self.add(
                    "embedded-pickle-payload",
                    severity,
                    shown,
                    offset,
                    f"a {len(raw)}-byte pickle: {worst.rule_id} {worst.evidence}",
                )
            return
        if len(chain) >= _MAX_DEPTH:
            return
        if first in b"{[" and not blob and len(raw) <= _MAX_DECODED:
            leaves = _json_strings(raw)
            if leaves is not None:  # JSON: each string in it is a value of its own
                for leaf in leaves:
                    self._check(leaf, where, offset, (*chain, "json"), False)
                return
        unpacked = _decompress(raw) if first in _MAGIC_FIRST else None
        if unpacked is not None:
            if self._over_budget(where, offset):
                return
            self._check(unpacked[1], where, offset, (*chain, unpacked[0]), False)
            return
        if blob:
            return  # of a large payload only its header is judged
        decoded = _text_decode(raw) if first in _TEXT_FIRST else None
        if decoded is not None and len(decoded[1]) >= NOTE_MIN:
            if self._over_budget(where, offset, count=False):
                return
            self._check(decoded[1], where, offset, (*chain, decoded[0]), False)
            return
        # Python source is UTF-8 text without NUL bytes (ast refuses them): array bytes fail
        # these C-speed tests long before the pattern search would
        if len(raw) > _MAX_CODE or b"\x00" in raw or b"(" not in raw:
            return  # (and code that calls nothing runs nothing)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return
        if _CODE_HINT.search(raw):
            if self._over_budget(where, offset, count=False):
                return
            what = dangerous_code(text)
            if what is not None:
                self.add(
                    "embedded-code", Severity.MEDIUM, shown, offset, f"Python code that {what}"
                )
