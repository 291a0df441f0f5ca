"""Judge pickle streams without unpickling them: ``analyse_pickle`` is the one entry point.

Other handlers (PyTorch, joblib, NumPy, Keras custom objects…) call ``analyse_pickle`` or
``analyse_buffer`` on the pickles they carry. The machine in ``_pickle_vm`` walks the
opcodes; this module turns what it saw into Findings: dangerous calls with their call
chain, imports outside the allowlist, tricks (dynamic imports, BUILD on classes, calls
whose result is thrown away, EXT codes, frame mismatches) and broken streams, judged
on what precedes the break.
"""

from __future__ import annotations

import io
import mmap
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from aisec.artifacts._base import ArtifactContext
from aisec.artifacts.pickle._embedded import EmbeddedScan
from aisec.artifacts.pickle._fold import fold
from aisec.artifacts.pickle._policy import GlobalClass, is_nested_loader
from aisec.artifacts.pickle._vm import (
    NOTE_MIN,
    OPCODES,
    BuildHook,
    Call,
    Event,
    Global,
    Machine,
    Malformed,
    Unknown,
    expanded_size,
    render_value,
    shared_holders,
)
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = [
    "LEGACY_TORCH_STREAMS",
    "PICKLE_RULES",
    "PickleOptions",
    "analyse_buffer",
    "analyse_pickle",
    "is_legacy_torch",
    "judge_events",
    "looks_like_pickle",
    "open_buffer",
    "scan_embedded_values",
    "unpickler_refuses",
]

_ATLAS_UNSAFE = FrameworkRef("ATLAS", "AML.T0011.000")
_ATLAS_SUPPLY = FrameworkRef("ATLAS", "AML.T0010.003")
_ATLAS_MALWARE = FrameworkRef("ATLAS", "AML.T0018.002")
_LLM03 = FrameworkRef("OWASP-LLM", "LLM03:2025")
_LLM04 = FrameworkRef("OWASP-LLM", "LLM04:2025")

_MALICIOUS_REFS = (_ATLAS_UNSAFE, _ATLAS_MALWARE, _ATLAS_SUPPLY, _LLM03, _LLM04)
_SUSPICIOUS_REFS = (_ATLAS_UNSAFE, _ATLAS_SUPPLY, _LLM03)
_MALFORMED_REFS = (_ATLAS_SUPPLY, _LLM03)
_SMUGGLED_REFS = (_ATLAS_MALWARE, _ATLAS_SUPPLY, _LLM03)

_DO_NOT_LOAD = (
    "Do not load this file with pickle, torch.load or joblib.load. Obtain the model from a "
    "trusted source, or convert it to safetensors and load with weights_only=True."
)

# rule id -> (title, severity, frameworks, remediation)
PICKLE_RULES: dict[str, tuple[str, Severity, tuple[FrameworkRef, ...], str]] = {
    "pickle-dangerous-call": (
        "Pickle calls a dangerous function when loaded",
        Severity.CRITICAL,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-dangerous-global": (
        "Pickle imports a dangerous function",
        Severity.CRITICAL,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-nested-payload": (
        "Pickle deserialises an embedded payload when loaded",
        Severity.CRITICAL,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-dynamic-global": (
        "Pickle imports a name computed at load time",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-indirect-call": (
        "Pickle calls a value that is not a plain import",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-ext-opcode": (
        "Pickle imports through the copyreg extension registry (EXT opcode)",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-build-global": (
        "Pickle sets attributes on a class, function or module (BUILD on a global)",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-build-dunder": (
        "Pickle sets a special attribute through BUILD state",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-discarded-call": (
        "Pickle makes a call and throws the result away (side effect only)",
        Severity.HIGH,
        _MALICIOUS_REFS,
        _DO_NOT_LOAD,
    ),
    "pickle-policy-denied": (
        "Pickle imports a name this project denies (artifacts.deny_globals)",
        Severity.HIGH,
        _SUSPICIOUS_REFS,
        "The project's aisec.yaml says this name must not be loaded. Re-export the model "
        "without it, or change artifacts.deny_globals if the policy is wrong.",
    ),
    "pickle-nested-loader": (
        "Pickle runs a deserialiser on embedded data (the data itself looks clean)",
        Severity.MEDIUM,
        _SUSPICIOUS_REFS,
        "Model data has no need to unpickle a second payload; such layers hide the real "
        "payload from scanners that stop at the first. Re-export the file from its source.",
    ),
    "pickle-unknown-global": (
        "Pickle imports a name outside the allowlist",
        Severity.MEDIUM,
        _SUSPICIOUS_REFS,
        "Review the imported name. If it is your own class, load the file only in an "
        "isolated environment, or save weights in a format without code (safetensors).",
    ),
    "pickle-unknown-class": (
        "Pickle constructs a class outside the allowlist (not called, only given state)",
        Severity.INFO,
        _SUSPICIOUS_REFS,
        "Loading imports the class's module and runs the class's own __setstate__, if any. "
        "If it is your own class, add its module to artifacts.allow_globals in aisec.yaml.",
    ),
    "pickle-policy-allowed": (
        "Pickle imports a name this project allows (artifacts.allow_globals)",
        Severity.INFO,
        _SUSPICIOUS_REFS,
        "Allowed by the project's aisec.yaml; review the policy if this name is not yours.",
    ),
    "pickle-malformed": (
        "Pickle stream is broken; judged on what precedes the break",
        Severity.MEDIUM,
        _MALFORMED_REFS,
        "Loaders run every opcode before the break. Re-export the file from its source.",
    ),
    "pickle-frame-mismatch": (
        "Pickle FRAME lengths disagree with the opcodes",
        Severity.MEDIUM,
        _MALFORMED_REFS,
        "Pickle readers differ on bad frames; such files are used to evade scanners. "
        "Re-export the file from its source.",
    ),
    "pickle-limit": (
        "Pickle exceeds a scan limit and was not fully judged",
        Severity.MEDIUM,
        _MALFORMED_REFS,
        "Raise the limit if the file is trusted, or split the file.",
    ),
    "pickle-expansion": (
        "Pickle nests shared references into an exponentially large object (billion laughs)",
        Severity.MEDIUM,
        (
            FrameworkRef("ATLAS", "AML.T0029"),
            _ATLAS_SUPPLY,
            FrameworkRef("OWASP-LLM", "LLM10:2025"),
        ),
        "Loading is cheap but anything that walks, copies or prints the object never ends "
        "(denial of service). Do not use the file; re-export it from its source.",
    ),
    "pickle-trailing-executable": (
        "An executable or script is hidden after the pickle stream",
        Severity.MEDIUM,
        _SMUGGLED_REFS,
        "Loaders ignore these bytes, so they ride along unseen: a way to deliver a binary "
        "that other code then runs. Do not use the file; re-export it from its source.",
    ),
    "pickle-trailing-data": (
        "Bytes after the last pickle stream",
        Severity.INFO,
        _MALFORMED_REFS,
        "Loaders ignore them; check that the file is what it claims to be.",
    ),
}

_MAX_STREAMS = 64
_READ_WHOLE = 32 << 20  # files up to this size are read; larger ones are mapped, not copied
# Legacy torch.save: magic, protocol, sys info, objects, storage keys; raw storages follow.
LEGACY_TORCH_STREAMS = 5
_LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa850192e")


def is_legacy_torch(buf: Any, pos: int = 0) -> bool:
    """True when ``buf`` starts with the pickled magic number of legacy ``torch.save``."""
    return bytes(buf[pos : pos + len(_LEGACY_MAGIC)]) == _LEGACY_MAGIC


_MAX_NESTED_DEPTH = 4
# Loaders that serialisers emit themselves: a plain pickle of torch tensors rebuilds each
# storage with torch.storage._load_from_bytes(<legacy torch.save bytes>), so a clean inner
# stream there is ordinary model data, not a second layer.
_ROUTINE_NESTED_LOADERS = frozenset(("torch.storage._load_from_bytes",))
_MAX_CALL_FINDINGS = 3


@dataclass(slots=True)
class PickleOptions:
    """How a container reads its pickles (all optional)."""

    torchscript: bool = False
    multi: bool = True  # scan streams that follow the first STOP
    max_streams: int = _MAX_STREAMS
    build_hook: BuildHook | None = None
    label: str = ""  # e.g. "data.pkl" for evidence inside containers
    nested_depth: int = 0
    embedded: EmbeddedScan | None = None  # shared by the pickles decoded out of one file
    raw_tail: bool = False  # bytes after the last expected stream are data (legacy torch)
    streams_seen: list[int] = field(default_factory=list)


def open_buffer(data: bytes | BinaryIO, ctx: ArtifactContext) -> Any:
    """A random-access view of ``data``: the bytes, an mmap of a real file, or a read bounded
    by ``Limits.max_pickle_bytes`` (streams that are not files, e.g. archive members)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    limit = ctx.limits.max_pickle_bytes
    if isinstance(data, io.BytesIO):  # an archive member or a small file, in memory
        return _bounded_read(data, limit, ctx)
    fileno = -1
    # A SpooledTemporaryFile (a decompressed member) still in memory would move itself to
    # a file on disk when asked for its descriptor: read it instead.
    if getattr(data, "_rolled", True):
        try:
            fileno = data.fileno()
        except (OSError, AttributeError, ValueError):
            fileno = -1
    if fileno >= 0 and data.tell() == 0:
        size = os.fstat(fileno).st_size
        if size == 0:
            return b""
        if size <= _READ_WHOLE:
            return data.read()  # indexing bytes is faster than indexing an mmap
        # mapped, not read: large payloads are skipped by offset, and the opcode limit
        # bounds the walk, so a real file needs no byte limit
        return mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
    return _bounded_read(data, limit, ctx)


def _bounded_read(data: BinaryIO, limit: int, ctx: ArtifactContext) -> bytes:
    raw = data.read(limit + 1)
    if len(raw) > limit:
        raise ScanError(
            f"{ctx.display_path}: pickle larger than the {limit}-byte limit "
            "(raise Limits.max_pickle_bytes to scan it)"
        )
    return raw


def analyse_pickle(data: bytes | BinaryIO, ctx: ArtifactContext) -> list[Finding]:
    """Findings for the pickle stream(s) in ``data``; never unpickles or imports anything."""
    buf = open_buffer(data, ctx)
    try:
        return analyse_buffer(buf, ctx)
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()


def analyse_buffer(
    buf: Any, ctx: ArtifactContext, start: int = 0, options: PickleOptions | None = None
) -> list[Finding]:
    """Walk every pickle stream from ``start`` (several streams, up to the option's cap)."""
    opts = options or PickleOptions()
    report = _Report(ctx, opts)
    pos = start
    size = len(buf)
    own_scan = opts.embedded is None
    scan = opts.embedded if opts.embedded is not None else _embedded_scan(ctx, opts)
    check_data = opts.nested_depth < _MAX_NESTED_DEPTH
    for index in range(opts.max_streams):
        if pos >= size:
            break
        if index > 0 and not _starts_stream(buf, pos):
            report.add("pickle-trailing-data", pos, f"{size - pos} bytes after stream {index}")
            _report_executable(report, buf, pos)
            break
        machine = _machine(buf, ctx, opts, report, scan if check_data else None)
        try:
            end = machine.run(pos)
        except Malformed as exc:
            report.events(machine.events, machine.calls, machine.constructed_only())
            if check_data:
                scan.pickle_notes(machine.notes, buf, opts.label)
            if "opcodes" in exc.reason:
                report.add("pickle-limit", exc.offset, exc.reason)
            elif index == 0 or buf[pos] == 0x80:
                report.add(
                    "pickle-malformed",
                    exc.offset,
                    f"{exc.reason}; {machine.opcodes} opcodes walked before it",
                )
            else:  # bytes after the streams that only start like a protocol 0/1 pickle
                _report_executable(report, buf, pos)
            break
        opts.streams_seen.append(pos)
        report.events(machine.events, machine.calls, machine.constructed_only())
        if check_data:
            scan.pickle_notes(machine.notes, buf, opts.label)
        if len(machine.shared) > _EXPANSION_MIN_SHARED:
            _check_expansion(report, machine, pos)
        pos = end
        if not opts.multi:
            break
    else:
        if pos < size and not opts.raw_tail and _starts_stream(buf, pos):
            report.add("pickle-limit", pos, f"more than {opts.max_streams} pickle streams")
    if own_scan:
        report.findings.extend(scan.findings)
    return report.findings


def scan_embedded_values(
    ctx: ArtifactContext, values: Iterable[tuple[str, str | bytes, int | None]]
) -> list[Finding]:
    """Findings for data values of another format (safetensors/GGUF/ONNX metadata) that hold
    a pickle or Python code; ``values``: (JSON pointer or key, value, byte offset or None)."""
    scan = _embedded_scan(ctx, PickleOptions())
    for pointer, value, offset in values:
        if len(value) >= NOTE_MIN:
            scan.value(value, f"metadata {pointer}", offset, pointer=pointer)
    return scan.findings


def _embedded_scan(ctx: ArtifactContext, opts: PickleOptions) -> EmbeddedScan:
    """The check of the data values of one file: a pickle decoded out of them is analysed
    like any (its own values checked too, down to _MAX_NESTED_DEPTH), under one budget."""

    def judge(raw: bytes, where: str) -> list[Finding]:
        legacy = is_legacy_torch(raw)
        inner = PickleOptions(
            torchscript=opts.torchscript,
            label=where,
            nested_depth=opts.nested_depth + 1,
            max_streams=LEGACY_TORCH_STREAMS if legacy else _MAX_STREAMS,
            raw_tail=legacy,
            embedded=scan,
        )
        return analyse_buffer(raw, ctx, 0, inner)

    scan = EmbeddedScan(ctx, judge, imports_something)
    return scan


# Executable headers: ELF (class, byte order, version 1), Mach-O thin (both byte orders)
# and fat/universal, and a shebang line. PE is found by its DOS stub text (below).
_EXECUTABLE = re.compile(
    rb"\x7fELF[\x01\x02][\x01\x02]\x01"
    rb"|\xfe\xed\xfa[\xce\xcf]|[\xce\xcf]\xfa\xed\xfe|\xca\xfe\xba\xbe"
    rb"|\n#!/"
)
_DOS_STUB = b"program cannot be run"
_DOS_STUB_REACH = 512  # from "MZ" to its stub text
_MAX_STUB_HITS = 1024
_MAX_TAIL_SEARCH = 64 << 20  # trailing bytes searched for an executable


def _report_executable(report: _Report, buf: Any, pos: int) -> None:
    """Add pickle-trailing-executable when the bytes from ``pos`` hold an executable."""
    end = min(len(buf), pos + _MAX_TAIL_SEARCH)
    hits: list[tuple[int, str]] = []
    if bytes(buf[pos : pos + 3]) == b"#!/":
        hits.append((pos, "script (#!)"))
    found = _EXECUTABLE.search(buf, pos, end)
    if found is not None:
        kind = {0x7F: "ELF", 0x0A: "script (#!)"}.get(buf[found.start()], "Mach-O")
        hits.append((found.start() + (kind == "script (#!)"), kind))
    stub = buf.find(_DOS_STUB, pos, end)
    for _ in range(_MAX_STUB_HITS):
        if stub < 0:
            break
        mz = buf.rfind(b"MZ", max(pos, stub - _DOS_STUB_REACH), stub)
        if mz >= 0:
            hits.append((mz, "PE (Windows)"))
            break
        stub = buf.find(_DOS_STUB, stub + 1, end)
    if hits:
        at, kind = min(hits)
        report.add(
            "pickle-trailing-executable",
            at,
            f"{kind} at offset {at}, {at - pos} bytes after the pickle",
        )


# A loaded object this many times larger than its opcodes (and at least _EXPANSION_FLOOR
# values) has nested shared references: linear sharing in real pickles stays far below.
_EXPANSION_FLOOR = 10**8
_EXPANSION_RATIO = 100_000
_EXPANSION_BUDGET = 200_000  # distinct shared containers sized at most
# With s shared references the bound below is at most 2**s: under 2**16 < _EXPANSION_RATIO
# no walk can reach the bound, so a pickle with so few is not looked at further.
_EXPANSION_MIN_SHARED = 16


def _check_expansion(report: _Report, machine: Machine, start: int) -> None:
    """pickle-expansion when the loaded object, counted with every repeat, passes the bound.

    First a bound that needs no walk: a container pushed again c times has c + 1
    references, so no value is reached by more paths than the product of (c + 1) over
    the shared containers, and the object is at most that product times the opcodes.
    Real pickles stay under it; only the rest are sized."""
    holders = shared_holders(machine.shared)
    bound = max(_EXPANSION_FLOOR, _EXPANSION_RATIO * machine.opcodes)
    most_paths = 1
    reach = bound // max(machine.opcodes, 1)
    for repeats in Counter(map(id, holders)).values():
        most_paths *= repeats + 1
        if most_paths >= reach:
            break
    else:
        return
    distinct = list(dict(zip(map(id, holders), holders, strict=True)).values())
    size = expanded_size(distinct, bound, _EXPANSION_BUDGET)
    if size >= bound:
        report.add(
            "pickle-expansion",
            start,
            f"shared references expand to {size:,} or more values from {machine.opcodes} opcodes",
        )


def judge_events(
    ctx: ArtifactContext,
    events: list[Event],
    calls: list[Call],
    options: PickleOptions | None = None,
    constructed: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The findings :func:`analyse_buffer` gives for a walk that saw these events and calls
    (before any finding about how the walk ended); ``constructed``: the walk's
    :meth:`Machine.constructed_only`."""
    report = _Report(ctx, options or PickleOptions())
    report.events(events, calls, constructed)
    return report.findings


def _starts_stream(buf: Any, pos: int) -> bool:
    first = buf[pos]
    if first == 0x80:
        return pos + 1 < len(buf) and buf[pos + 1] <= 5
    return looks_like_pickle(
        bytes(buf[pos : pos + _WINDOW]), more=lambda n: bytes(buf[pos : pos + n])
    )


def _machine(
    buf: Any, ctx: ArtifactContext, opts: PickleOptions, report: _Report, scan: EmbeddedScan | None
) -> Machine:
    def nested_stream(at: int) -> int:
        # joblib writes object arrays as a whole pickle right after the wrapper's BUILD.
        inner = Machine(
            buf,
            max_opcodes=ctx.limits.max_opcodes,
            torchscript=opts.torchscript,
            project=ctx.globals_policy,
        )
        try:
            end = inner.run(at)
        finally:
            report.events(inner.events, inner.calls, inner.constructed_only())
            if scan is not None:
                scan.pickle_notes(inner.notes, buf, opts.label)
        return end

    return Machine(
        buf,
        max_opcodes=ctx.limits.max_opcodes,
        torchscript=opts.torchscript,
        build_hook=opts.build_hook,
        on_nested_stream=nested_stream,
        project=ctx.globals_policy,
    )


_MIN_OPCODES_WHOLE = 3  # a broken protocol-0 payload needs GLOBAL, an argument and REDUCE
# Events that show the loader got as far as importing or calling something the policy does
# not wave through: a stream that reaches one is a pickle, however it breaks afterwards.
# (Not EXT: an extension code resolves only through a copyreg registry, empty unless the
# loading program fills it, and random binary data that starts with an opcode meets EXT
# bytes often enough; a stream that is a pickle for other reasons still reports them.)
_REACHING_EVENTS = frozenset(("global", "call", "dynamic-global", "build-global", "discard"))


def looks_like_pickle(
    head: bytes, whole: bool = False, more: Callable[[int], bytes] | None = None
) -> bool:
    """True when ``head`` is the start of something CPython's unpickler would act on.

    The unpickler takes any opcode as the first byte (PROTO is optional, and may come
    anywhere) and runs each opcode before it meets a later error, so recognition follows
    the walk, not the way ``pickle.dumps`` starts its output: a PROTO header (0-5); or a
    walk that reaches STOP or the end of ``head`` cleanly and imports or builds something;
    or a walk that, before it breaks, reached an import or a call the policy does not wave
    through (the handler then judges what was seen and reports the break).

    ``whole``: ``head`` is the entire file, so a protocol 0/1 walk that runs off its end
    after an opcode or two is text that happens to start with an opcode letter ("Use …"),
    not a pickle cut short by the sniffing window.

    ``more(n)``: the first ``n`` bytes, for when a protocol-0 text line runs past ``head``
    (a pickle whose line is long, or binary data that starts with a text opcode, as a zip
    starts with "P", PERSID): the walk is repeated over up to _RESNIFF bytes."""
    if len(head) < 2:
        return False
    if head[0] == 0x80:
        # A PROTO header is claim enough: the handler walks the stream and reports a
        # break as pickle-malformed, so a sniffing walk here could only repeat that work.
        if head[1] <= 5:
            return True
    elif head[0] not in OPCODES:
        return False
    machine = Machine(head, max_opcodes=10_000)
    try:
        machine.run(0)
    except Malformed as exc:
        if any(_reaches(ev) for ev in machine.events):
            return True
        cut = exc.reason == "unterminated text argument" and not whole
        if cut and more is not None and len(head) < _RESNIFF:
            bigger = more(_RESNIFF)
            if len(bigger) > len(head):
                return looks_like_pickle(bigger, whole=len(bigger) < _RESNIFF)
        # otherwise the walk must reach the end of the head without a real error
        ran_off = _ran_off(exc, whole, head)
        return ran_off and (not whole or machine.opcodes >= _MIN_OPCODES_WHOLE)
    return machine.saw_global or len(head) > 4


_LONGEST_FIXED_OPCODE = 9  # FRAME, BINFLOAT, the 8-byte lengths: opcode and argument
_WINDOW = 4096  # the sniffing window (the dispatcher's head)
_RESNIFF = 1 << 20  # how far a sniff looks when a text line runs past its window


def _ran_off(exc: Malformed, whole: bool, head: Any) -> bool:
    """The walk stopped at the end of the bytes ``head`` it was given, not on a real error.
    Unless the bytes are the whole file, a text argument the window cuts counts, and so
    does any error of an opcode whose fixed argument could reach past the window."""
    if exc.reason.startswith("truncated") or exc.reason == "stream ends before STOP":
        return True
    if whole:
        return False
    if exc.reason == "unterminated text argument":
        return True  # a protocol-0 line the window cuts (looks_like_pickle looks further)
    # only a full window can have cut a fixed-size argument
    return len(head) >= _WINDOW and exc.offset >= len(head) - _LONGEST_FIXED_OPCODE


def _importable(g: Any) -> bool:
    """A name find_class could import: dotted identifiers (text that starts with "c" reads
    as GLOBAL of its first two lines, which no import resolves)."""
    return isinstance(g, Global) and all(
        part.isidentifier() for part in (*g.module.split("."), *g.name.split("."))
    )


def _reaches(ev: Event) -> bool:
    """The walk got to an import or call that CPython could carry out."""
    if ev.kind not in _REACHING_EVENTS:
        return False
    subject = ev.subject
    if isinstance(subject, Call):
        subject = subject.func if isinstance(subject.func, Global) else None
    return subject is None or _importable(subject)


def imports_something(head: bytes) -> bool:
    """True when a walk of ``head`` (to STOP, to its end or to an error) reaches an
    importable name the policy does not wave through, or a call of one: bytes that are a
    pickle doing something, not binary data that starts like one (an array whose first
    bytes read as PROTO, then an EXT code no registry holds)."""
    machine = Machine(head, max_opcodes=10_000)
    try:
        machine.run(0)
    except Malformed as exc:
        # a PROTO header and a clean walk to the end of a full window: a pickle whose work
        # lies further on (behind padding), judged whole by the caller
        if (
            head[:1] == b"\x80"
            and 2 <= head[1] <= 5
            and len(head) >= 4096
            and _ran_off(exc, False, head)
        ):
            return True
    for ev in machine.events:
        if ev.kind not in _REACHING_EVENTS:
            continue
        subject = ev.subject
        if isinstance(subject, Call):
            subject = subject.func
        if _importable(subject):
            return True
    return False


def unpickler_refuses(head: bytes) -> bool:
    """True when CPython's unpickler would stop on ``head`` before importing or calling
    anything: the first byte is no opcode, PROTO names an unknown protocol, or the walk
    meets a definite error (not the end of ``head``) before any import or call."""
    if not head or head[0] not in OPCODES:
        return True
    if head[0] == 0x80 and len(head) > 1 and head[1] > 5:
        return True
    machine = Machine(head, max_opcodes=10_000)
    try:
        machine.run(0)
    except Malformed as exc:
        if any(_reaches(ev) for ev in machine.events):
            return False
        return not _ran_off(exc, False, head)
    return False


class _Report:
    """Collects findings for one container, deduplicating per imported name."""

    def __init__(self, ctx: ArtifactContext, opts: PickleOptions) -> None:
        self.ctx = ctx
        self.opts = opts
        self.findings: list[Finding] = []
        self._seen_globals: set[str] = set()
        self._seen_info: set[str] = set()  # names reported at info (constructed, allowed)
        self._call_count: dict[str, int] = {}
        self._constructed: frozenset[str] = frozenset()

    def add(self, rule: str, offset: int, evidence: str) -> None:
        title, severity, refs, remediation = PICKLE_RULES[rule]
        label = f"{self.opts.label}: " if self.opts.label else ""
        self.findings.append(
            Finding(
                rule_id=rule,
                title=title,
                severity=severity,
                asset=self.ctx.display_path,
                location=Location(path=self.ctx.display_path, offset=offset),
                evidence=(label + evidence)[:300],
                frameworks=refs,
                remediation=remediation,
            )
        )

    def events(
        self, events: list[Event], calls: list[Call], constructed: frozenset[str] = frozenset()
    ) -> None:
        """Judge one walk's events; ``constructed``: its names only constructed, never
        called (:meth:`Machine.constructed_only`), reported at info."""
        self._constructed = constructed
        called: dict[int, list[Call]] = {}
        for call in calls:
            root = _callee(call.func)
            if root is not None:
                called.setdefault(id(root), []).append(call)
        for ev in events:
            handler = _EVENT_HANDLERS.get(ev.kind)
            if handler is not None:
                handler(self, ev, called)

    # -- per-event judgements ------------------------------------------------------------
    def _on_global(self, ev: Event, called: dict[int, list[Call]]) -> None:
        g: Global = ev.subject
        calls = called.get(id(g), [])
        if g.policy or g.full in self._constructed:
            # Deduplicated apart from the other judgements: a name only constructed in one
            # stream and called in the next is still reported as called.
            if g.full not in self._seen_info:
                self._seen_info.add(g.full)
                if g.policy:
                    self.add(
                        "pickle-policy-allowed",
                        g.offset,
                        f"{g.full} via {g.via}, allowed by artifacts.allow_globals "
                        f"pattern {g.policy!r}",
                    )
                else:
                    self.add(
                        "pickle-unknown-class",
                        g.offset,
                        f"{g.full} via {g.via}: a class only constructed and given state",
                    )
            return
        if g.kind is GlobalClass.DENIED:
            if g.full not in self._seen_globals:
                evidence = f"{g.full} via {g.via}, denied by artifacts.deny_globals"
                if calls:
                    evidence += f", called: {render_value(calls[0])}"
                self.add("pickle-policy-denied", g.offset, evidence)
            self._seen_globals.add(g.full)
            return
        if g.kind is GlobalClass.DANGEROUS:
            if calls:
                # A deserialiser given a constant payload is judged by that payload.
                unjudged = [c for c in calls if not self._nested(g, c)]
                n = self._call_count.get(g.full, 0)
                for call in unjudged[: max(0, _MAX_CALL_FINDINGS - n)]:
                    self.add("pickle-dangerous-call", call.offset, render_value(call))
                self._call_count[g.full] = n + len(unjudged)
            elif g.full not in self._seen_globals:
                self.add("pickle-dangerous-global", g.offset, f"{g.full} via {g.via}")
        elif g.full not in self._seen_globals:
            evidence = f"{g.full} via {g.via}"
            if calls:
                evidence += f", called: {render_value(calls[0])}"
            self.add("pickle-unknown-global", g.offset, evidence)
        self._seen_globals.add(g.full)

    def _on_call(self, ev: Event, called: dict[int, list[Call]]) -> None:
        target = ev.subject
        if ev.detail:  # __setitem__/append on a non-allowlisted object: judged by its import
            return
        if isinstance(target, Call) and _callee(target.func) is None:
            self.add("pickle-indirect-call", target.offset, render_value(target))

    def _nested(self, g: Global, call: Call) -> bool:
        """Scan a constant payload handed to a deserialiser; True when it was scanned."""
        if not is_nested_loader(g.module, g.name):
            return False
        args = call.args if isinstance(call.args, tuple) else ()
        payload = fold(args[0]) if args else None
        if not isinstance(payload, bytes) or not payload:  # a str is a path: judged as a call
            return False
        if self.opts.nested_depth >= _MAX_NESTED_DEPTH:
            self.add("pickle-limit", call.offset, "nested payloads deeper than the limit")
            return False
        inner_opts = PickleOptions(
            torchscript=self.opts.torchscript,
            label=(self.opts.label + " > " if self.opts.label else "") + f"nested@{call.offset}",
            nested_depth=self.opts.nested_depth + 1,
            max_streams=LEGACY_TORCH_STREAMS if is_legacy_torch(payload) else _MAX_STREAMS,
            raw_tail=is_legacy_torch(payload),
        )
        inner = analyse_buffer(payload, self.ctx, 0, inner_opts)
        bad = [f for f in inner if f.severity >= Severity.MEDIUM]
        if bad:
            self.add(
                "pickle-nested-payload",
                call.offset,
                f"{g.full} of a {len(payload)}-byte constant holding "
                + ", ".join(sorted({f.rule_id for f in bad})),
            )
        elif g.full not in _ROUTINE_NESTED_LOADERS:
            self.add(
                "pickle-nested-loader",
                call.offset,
                f"{g.full} of a {len(payload)}-byte constant that looks clean",
            )
        self.findings.extend(inner)
        return True


def _callee(func: Any) -> Global | None:
    """The imported name a call resolves to, or None for computed callables."""
    return func if isinstance(func, Global) else None


def _simple(rule: str) -> Callable[[_Report, Event, dict[int, list[Call]]], None]:
    def handle(report: _Report, ev: Event, _called: dict[int, list[Call]]) -> None:
        subject = ev.subject
        text = ev.detail
        if isinstance(subject, Call | Global):
            text = render_value(subject) + (f" <- {ev.detail}" if ev.detail else "")
        elif isinstance(subject, Unknown):
            text = subject.why
        report.add(rule, ev.offset, text)

    return handle


_EVENT_HANDLERS: dict[str, Callable[[_Report, Event, dict[int, list[Call]]], None]] = {
    "global": _Report._on_global,
    "call": _Report._on_call,
    "dynamic-global": _simple("pickle-dynamic-global"),
    "ext": _simple("pickle-ext-opcode"),
    "build-global": _simple("pickle-build-global"),
    "build-dunder": _simple("pickle-build-dunder"),
    "discard": _simple("pickle-discarded-call"),
    "frame": _simple("pickle-frame-mismatch"),
}
