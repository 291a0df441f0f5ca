"""Differential pickle fuzzing: random opcode noise around a payload, judged by CPython.

``generate(rng)`` builds one case: a dangerous call (os.system, eval, subprocess… in
every calling opcode: REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX, or a bare import) with random
prefixes, suffixes and mid-stream PROTO/FRAME/POP/MEMOIZE/MARK noise, random bytes, memo
tricks and broken endings, sometimes inside a compression wrapper (gzip, bz2, xz, lzma,
zlib, lz4 frame: what joblib can write).

``oracle(cases)`` asks CPython's own unpickler, in a subprocess, which cases reach a
dangerous callable: its ``find_class`` records each import and refuses (raises on) the
dangerous ones, so nothing is ever called; every other import becomes an inert stub so
that the load goes on as far as CPython would take it. A case "reaches" when find_class
was asked for a dangerous name.

Used by ``tests/artifacts/test_pickle_differential_fuzz.py`` (a seeded sample) and
``benchmarks/scanners/differential_pickle.py`` (tens of thousands of cases).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import random
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass

__all__ = ["DANGEROUS", "WRAPPERS", "Case", "generate", "oracle", "unwrap"]

# (module, name) pairs the payloads import; each is something a scanner must never pass.
DANGEROUS = (
    ("os", "system"),
    ("posix", "system"),
    ("nt", "system"),
    ("os", "popen"),
    ("subprocess", "Popen"),
    ("subprocess", "check_output"),
    ("subprocess", "getoutput"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("__builtin__", "eval"),
    ("builtins", "__import__"),
    ("builtins", "getattr"),
    ("runpy", "_run_code"),
    ("pty", "spawn"),
    ("importlib", "import_module"),
    ("webbrowser", "open"),
)
_DANGEROUS_SET = frozenset(f"{m}.{n}" for m, n in DANGEROUS)

WRAPPERS = ("raw", "gzip", "bz2", "xz", "lzma", "zlib", "lz4")


@dataclass(frozen=True, slots=True)
class Case:
    data: bytes  # what the scanner gets (possibly compressed)
    wrapper: str
    recipe: str  # a short description, for failure messages


def _s0(text: str) -> bytes:  # protocol 0 STRING
    return b"S'" + text.encode() + b"'\n"


def _u(text: str) -> bytes:  # SHORT_BINUNICODE / BINUNICODE
    raw = text.encode()
    if len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    return b"X" + struct.pack("<I", len(raw)) + raw


def _v0(text: str) -> bytes:  # protocol 0 UNICODE
    return b"V" + text.encode() + b"\n"


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.memo: list[int] = []  # memo keys that hold a value
        self.notes: list[str] = []

    # -- noise: each snippet leaves the stack as it found it ------------------------------
    def _push(self) -> bytes:
        r = self.rng
        return r.choice(
            [
                b"N",
                b")",
                b"}",
                b"]",
                b"\x88",
                b"\x89",
                b"\x8f",
                b"K" + bytes([r.randrange(256)]),
                b"M" + struct.pack("<H", r.randrange(65536)),
                b"J" + struct.pack("<i", r.randrange(-(2**31), 2**31)),
                b"I" + str(r.randrange(-999, 999)).encode() + b"\n",
                b"L" + str(r.randrange(10**12)).encode() + b"L\n",
                b"F" + repr(r.random()).encode() + b"\n",
                b"G" + struct.pack(">d", r.random()),
                b"\x8a\x01" + bytes([r.randrange(256)]),
                _s0("noise"),
                _v0("noise"),
                _u("noise" * r.randrange(1, 4)),
                b"U\x03abc",
                b"C\x02\x00\x01",
                b"B" + struct.pack("<I", 3) + b"xyz",
                b"\x8e" + struct.pack("<Q", 2) + b"ab",  # BINBYTES8
                b"\x96" + struct.pack("<Q", 2) + b"ab",  # BYTEARRAY8
                b"\x8d" + struct.pack("<Q", 2) + b"ab",  # BINUNICODE8
                b"T" + struct.pack("<i", 2) + b"ab",  # BINSTRING
                b"I01\n",
                b"(l",
                b"(d",
                b"(K\x01K\x02l",
                b"(K\x01\x91",  # FROZENSET
                b"\x8f(K\x01\x90",  # EMPTY_SET, ADDITEMS
                b"Pnoise\n",  # PERSID (torch.load resolves these)
                b"NQ",  # BINPERSID
            ]
        )

    def noise(self) -> bytes:
        r = self.rng
        kind = r.randrange(14)
        if kind == 0:
            return b"\x80" + bytes([r.randrange(6)])  # PROTO anywhere
        if kind == 1:
            return b"\x95<FRAME>"  # filled in once the rest is known
        if kind == 2:
            return self._push() + b"0"  # push, POP
        if kind == 3:
            return b"(0" if r.random() < 0.5 else b"(1"  # MARK, POP / POP_MARK
        if kind == 4:
            key = len(self.memo)
            self.memo.append(key)
            return self._push() + b"\x94" + b"0"  # MEMOIZE
        if kind == 5:
            key = r.randrange(256)
            self.memo.append(key)
            return self._push() + b"q" + bytes([key]) + b"0"  # BINPUT
        if kind == 6:
            key = r.randrange(1000)
            self.memo.append(key)
            return self._push() + b"p" + str(key).encode() + b"\n0"  # PUT
        if kind == 7 and self.memo:
            key = r.choice(self.memo)
            if key < 256 and r.random() < 0.5:
                return b"h" + bytes([key]) + b"0"  # BINGET, POP
            return b"g" + str(key).encode() + b"\n0"  # GET, POP
        if kind == 8:
            return b"(" + self._push() + self._push() + b"1"  # MARK, items, POP_MARK
        if kind == 9:
            return self._push() + b"2" + b"00"  # DUP, POP, POP
        if kind == 10:
            return b"}" + self._push() + self._push() + b"s0"  # dict SETITEM, POP
        if kind == 11:
            return b"]" + self._push() + b"a0"  # list APPEND, POP
        if kind == 12:
            return b"(" + self._push() + b"t0"  # TUPLE, POP
        if kind == 13 and r.random() < 0.5:
            key = r.randrange(300, 4096)
            self.memo.append(key)
            return (
                self._push() + b"r" + struct.pack("<I", key) + b"0j" + struct.pack("<I", key) + b"0"
            )
        return b"ccollections\nOrderedDict\n)R0"  # a harmless call, discarded

    def noises(self, most: int) -> bytes:
        return b"".join(self.noise() for _ in range(self.rng.randrange(most + 1)))

    def junk(self) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 4)))

    # -- payloads: each leaves one value (the call's result or the import) ----------------
    def payload(self) -> bytes:
        r = self.rng
        module, name = r.choice(DANGEROUS)
        arg = "echo aisec-fuzz"
        n = self.noises
        how = r.randrange(10)
        self.notes.append(f"{module}.{name}/{how}")
        glob = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        text = r.choice([_u, _s0, _v0, lambda t: b"U" + bytes([len(t)]) + t.encode()])
        stack_glob = text(module) + n(1) + text(name) + b"\x93"
        if how == 0:  # GLOBAL, MARK, STRING, TUPLE, REDUCE
            return glob + n(2) + b"(" + _s0(arg) + n(1) + b"tR"
        if how == 1:  # GLOBAL, unicode, TUPLE1, REDUCE
            return glob + n(2) + _u(arg) + b"\x85" + n(1) + b"R"
        if how == 2:  # STACK_GLOBAL
            return stack_glob + n(2) + _u(arg) + b"\x85R"
        if how == 3:  # INST
            return b"(" + _s0(arg) + n(1) + b"i" + module.encode() + b"\n" + name.encode() + b"\n"
        if how == 4:  # OBJ
            return b"(" + glob + n(1) + _s0(arg) + b"o"
        if how == 5:  # NEWOBJ
            return glob + n(1) + _u(arg) + b"\x85\x81"
        if how == 6:  # NEWOBJ_EX
            return stack_glob + _u(arg) + b"\x85}" + b"\x92"
        if how == 7:  # module and name strings through the memo, then STACK_GLOBAL
            k1, k2 = 200 + r.randrange(20), 230 + r.randrange(20)
            return (
                _u(module)
                + b"q"
                + bytes([k1])
                + b"0"
                + n(2)
                + _u(name)
                + b"q"
                + bytes([k2])
                + b"0"
                + n(1)
                + b"h"
                + bytes([k1])
                + b"h"
                + bytes([k2])
                + b"\x93"
                + _u(arg)
                + b"\x85R"
            )
        if how == 8:  # a bare import (the loader resolves it; a later call may use it)
            return glob
        # protocol 0 text throughout (VS-strings, tuple through MARK)
        return glob + b"(" + _v0(arg) + b"tR"

    def case(self) -> tuple[bytes, str]:
        r = self.rng
        parts: list[bytes] = []
        if r.random() < 0.3:
            parts.append(self.junk())  # random leading bytes: maybe an opcode, maybe not
        if r.random() < 0.5:
            parts.append(b"\x80" + bytes([r.randrange(2, 6)]))
        parts.append(self.noises(4))
        if r.random() < 0.08:  # a prefix longer than any sniffing window
            target = r.randrange(3900, 4300)
            length = sum(map(len, parts))
            while length < target:
                parts.append(self.noise())
                length += len(parts[-1])
        parts.append(self.payload())
        parts.append(self.noises(3))
        if r.random() < 0.15:
            parts.append(b"0")  # throw the call's result away
            parts.append(self._push())
        ending = r.randrange(10)
        if ending < 5:
            parts.append(b".")
            if r.random() < 0.3:
                parts.append(self.junk())
        elif ending == 5:
            parts.append(b"\xff")  # invalid opcode after the payload
        elif ending == 6:
            parts.append(b"")  # no STOP: truncated
        elif ending == 7:
            parts.append(b"h\xfe")  # memo key never set
        elif ending == 8:
            parts.append(b"0000000")  # stack underflow
        else:
            parts.append(b"." + self.payload() + b".")  # a second stream
        if r.random() < 0.1:  # random bytes anywhere
            at = r.randrange(len(parts) + 1)
            parts.insert(at, self.junk())
        return self._frames(b"".join(parts)), ";".join(self.notes)

    def _frames(self, data: bytes) -> bytes:
        """Give each FRAME placeholder a length that fits what follows (or sometimes not)."""
        marker = b"<FRAME>"
        while (at := data.find(marker)) >= 0:
            rest = len(data) - at - len(marker)
            length = self.rng.randrange(rest + 1) if self.rng.random() < 0.9 else rest + 7
            data = data[:at] + struct.pack("<Q", length) + data[at + len(marker) :]
        return data


def _wrap(data: bytes, wrapper: str) -> bytes:
    if wrapper == "gzip":
        return gzip.compress(data)
    if wrapper == "bz2":
        return bz2.compress(data)
    if wrapper == "xz":
        return lzma.compress(data)
    if wrapper == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if wrapper == "zlib":
        return zlib.compress(data)
    if wrapper == "lz4":
        import lz4.frame

        return bytes(lz4.frame.compress(data))
    return data


def unwrap(data: bytes, wrapper: str) -> bytes:
    """What a loader (joblib, or the user's own gzip.open) hands the unpickler."""
    if wrapper == "gzip":
        return gzip.decompress(data)
    if wrapper == "bz2":
        return bz2.decompress(data)
    if wrapper in ("xz", "lzma"):
        return lzma.decompress(data)
    if wrapper == "zlib":
        return zlib.decompress(data)
    if wrapper == "lz4":
        import lz4.frame

        return bytes(lz4.frame.decompress(data))
    return data


def generate(rng: random.Random) -> Case:
    """One case; about one in four wrapped by a compressor."""
    plain, recipe = _Gen(rng).case()
    wrapper = "raw" if rng.random() < 0.75 else rng.choice(WRAPPERS[1:])
    return Case(_wrap(plain, wrapper), wrapper, recipe)


# The oracle runs in a child process: CPython's C unpickler (what pickle.load, torch.load
# and joblib.load use) with a find_class that records and refuses dangerous names.
_ORACLE = r"""
import io, json, pickle, sys
try:  # a random LONG_BINPUT key makes CPython size its memo to it: fail fast instead
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
except (ImportError, ValueError, OSError):
    pass
sys.path.insert(0, sys.argv[1])
from pickle_fuzz import unwrap
DANGEROUS = set(json.loads(sys.argv[2]))

class Refused(Exception):
    pass

class Stub:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return Stub()
    def __setstate__(self, state): pass
    def __setitem__(self, k, v): pass
    def append(self, v): pass
    def extend(self, v): pass
    def add(self, v): pass

class Recorder(pickle.Unpickler):
    def find_class(self, module, name):
        if f"{module}.{name}" in DANGEROUS:
            self.reached = True
            raise Refused(f"{module}.{name}")
        return Stub

    def persistent_load(self, pid):
        return Stub()

out = []
for line in sys.stdin:
    item = json.loads(line)
    data = unwrap(bytes.fromhex(item["data"]), item["wrapper"])
    u = Recorder(io.BytesIO(data))
    u.reached = False
    try:
        u.load()
    except Refused:
        pass
    except BaseException:
        pass
    out.append(bool(u.reached))
json.dump(out, sys.stdout)
"""


def oracle(cases: list[Case], timeout: float = 600.0) -> list[bool]:
    """For each case: does CPython's unpickler reach a dangerous callable? (child process)"""
    from pathlib import Path

    here = str(Path(__file__).parent)
    lines = "".join(json.dumps({"data": c.data.hex(), "wrapper": c.wrapper}) + "\n" for c in cases)
    done = subprocess.run(
        [sys.executable, "-c", _ORACLE, here, json.dumps(sorted(_DANGEROUS_SET))],
        input=lines,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    result: list[bool] = json.loads(done.stdout)
    if len(result) != len(cases):
        raise RuntimeError(f"oracle answered {len(result)} of {len(cases)} cases")
    return result
