"""Walk paths, sniff each file's format by content, run its handler, and decide verdicts.

``scan_path`` is the public API. Archives hand their members back through
``ArtifactContext.scan_nested``; each member becomes its own entry (``outer.zip!/inner.pkl``)
and its verdict folds into its container's, so a container is never cleaner than
anything inside it.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import stat
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from aisec.artifacts._base import ArtifactContext, FormatHandler, Limits
from aisec.artifacts._builtins import dispatch_order
from aisec.artifacts._format_findings import format_finding, short
from aisec.artifacts._verdict import Verdict, verdict_of
from aisec.artifacts.containers import COMPRESSION_KINDS, archive_finding
from aisec.artifacts.pickle import unpickler_refuses
from aisec.core.errors import InputError, ScanError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.jobs import EventKind, Executor, JobEvent, Task

if TYPE_CHECKING:
    from aisec.artifacts.pickle import ProjectGlobals
    from aisec.core.policy import ArtifactsPolicy

__all__ = [
    "PARTIAL_RULES",
    "FileResult",
    "ScanReport",
    "detect_format",
    "scan_bytes",
    "scan_path",
]

# Findings that say part of the content was not inspected: a limit was hit or a member
# could not be read. What was skipped may hold anything, whatever the finding's severity.
PARTIAL_RULES = frozenset(("archive-limit", "archive-bomb", "zip-unreadable-member"))
# the order of the summary's counts (and of the JSON documented in __init__)
_SUMMARY_ORDER = (Verdict.CLEAN, Verdict.SUSPICIOUS, Verdict.MALICIOUS, Verdict.ERROR)
_HEAD = 4096
_DEFAULT_LIMITS = Limits()  # frozen: one instance serves every scan
_PATHLIKE = (str, Path)
_READ_SMALL = 256 << 10  # files up to this size are read in one call and scanned in memory
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
# Failures of the underlying stream (a truncated archive member): the data, not our code.
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError, zlib.error)


def _read_errors() -> tuple[type[BaseException], ...]:
    """_READ_ERRORS, and TarError once the tar reader has loaded tarfile (an ``except``
    clause evaluates this only when an exception is being matched)."""
    tarfile = sys.modules.get("tarfile")
    return _READ_ERRORS if tarfile is None else (*_READ_ERRORS, tarfile.TarError)


class _SnifferError(ScanError):
    """Every sniffer that could have claimed the data raised: our code failed, not the data."""


@dataclass(frozen=True, slots=True)
class FileResult:
    """One scanned file or archive member.

    ``error`` says why the file could not be judged; ``internal_error`` is True when that
    was an unexpected exception in aisec's own code (a bug to report), not data that is
    malformed, truncated or over a limit.
    """

    path: str
    format: str
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    size: int = 0
    error: str | None = None
    internal_error: bool = False

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "path": self.path,
            "format": self.format,
            "verdict": self.verdict.value,
            "size": self.size,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.error is not None:
            doc["error"] = self.error
        if self.internal_error:
            doc["internal_error"] = True
        if self.partial:
            doc["partial"] = True
        return doc

    @property
    def partial(self) -> bool:
        """Part or all of this entry was not inspected: it could not be judged (``error``)
        or a limit stopped the scan (``PARTIAL_RULES``). A gate must not pass it as clean."""
        return self.error is not None or any(f.rule_id in PARTIAL_RULES for f in self.findings)

    def error_finding(self) -> Finding | None:
        """A finding standing for an ``error`` verdict, so exit codes and SARIF see it."""
        if self.error is None:
            return None
        return Finding(
            rule_id="artifact-scan-error",
            title="File could not be fully scanned",
            severity=Severity.MEDIUM,
            asset=self.path,
            location=Location(path=self.path),
            evidence=self.error[:300],
            frameworks=(
                FrameworkRef("ATLAS", "AML.T0010.003"),
                FrameworkRef("OWASP-LLM", "LLM03:2025"),
            ),
            remediation="Treat the file as untrusted until it can be scanned.",
        )


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The result of a scan: every file and member, and a summary."""

    files: tuple[FileResult, ...]

    @property
    def findings(self) -> list[Finding]:
        """All findings, plus one ``artifact-scan-error`` per file that errored."""
        out: list[Finding] = []
        for r in self.files:
            out.extend(r.findings)
            err = r.error_finding()
            if err is not None:
                out.append(err)
        return out

    @property
    def partial(self) -> list[FileResult]:
        """Entries not fully inspected (see :attr:`FileResult.partial`)."""
        return [r for r in self.files if r.partial]

    @property
    def internal_errors(self) -> list[FileResult]:
        """Entries whose scan ended in an unexpected exception in aisec's own code."""
        return [r for r in self.files if r.internal_error]

    def summary(self) -> dict[str, int]:
        counts = {v.value: 0 for v in _SUMMARY_ORDER}
        for r in self.files:
            counts[r.verdict] += 1
        counts["files"] = len(self.files)
        counts["findings"] = sum(len(r.findings) for r in self.files)
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {"files": [r.to_dict() for r in self.files], "summary": self.summary()}


@dataclass(slots=True)
class _Scanner:
    limits: Limits
    globals_policy: ProjectGlobals | None = None
    results: list[FileResult | None] = field(default_factory=list)

    def scan_stream(
        self,
        stream: BinaryIO,
        display: str,
        size: int,
        depth: int,
        fs_path: Path | None = None,
        unpacked: bool = False,
    ) -> tuple[str, list[Finding]]:
        """Scan one stream; record its entry (and its members'); return (verdict, findings).

        ``unpacked``: the stream is what a compression wrapper held (never plain data)."""
        slot = len(self.results)
        self.results.append(None)
        first_child = len(self.results)
        ctx = ArtifactContext(
            stream=stream,
            display_path=display,
            size=size,
            limits=self.limits,
            depth=depth,
            fs_path=fs_path,
            globals_policy=self.globals_policy,
        )
        ctx.scan_nested = self._nested_for(ctx)
        findings: list[Finding] = []
        error: str | None = None
        internal = False
        fmt = "unknown"
        claimed = "sniffing"
        try:
            stream.seek(0)
            head = stream.read(_HEAD)
            stream.seek(0)
            handler = _pick(head, ctx)
            if size == 0:
                fmt = "empty"
            elif handler is not None:
                claimed = handler.name
                fmt = handler.name
                findings = handler().scan(ctx)
                fmt = ctx.detected_format or fmt
            if fmt in _POLYGLOT_HOSTS and head[:4] != b"PK\x03\x04":
                findings += _embedded_zip(ctx, head)
            if handler is None and size > 0:
                findings.append(_unknown_format(ctx, head, unpacked))
        except ScanError as exc:
            error = exc.message
            internal = isinstance(exc, _SnifferError)
            fmt = ctx.detected_format or fmt
        except _read_errors() as exc:
            error = f"cannot read the data ({type(exc).__name__}: {exc})"[:300]
            fmt = ctx.detected_format or fmt
        except Exception as exc:  # one hostile file must not end a scan of many
            if os.environ.get("AISEC_DEBUG") == "1":
                raise
            error = f"internal error in the {claimed} handler ({type(exc).__name__}: {exc})"[:300]
            internal = True
            fmt = ctx.detected_format or fmt
        verdict = verdict_of(findings, error)
        for child in self.results[first_child:]:
            if child is not None and child.path.startswith(display + "!/"):
                verdict = max(verdict, child.verdict)
        result = FileResult(display, fmt, verdict, tuple(findings), size, error, internal)
        if (
            depth > 0
            and fmt == "unknown"
            and verdict is Verdict.CLEAN
            and len(self.results) == slot + 1
        ):
            # an archive member no handler claims (metadata, text): not worth a line
            self.results.pop()
        else:
            self.results[slot] = result
        return verdict, findings

    def scan_file(self, path: Path, known: os.stat_result | None) -> None:
        """Scan the file at ``path`` (``known``: its stat, when the walk took it)."""
        _scan_file_body(self, path, known)

    def _nested_for(
        self, parent: ArtifactContext
    ) -> Callable[[bytes | BinaryIO, str, int], list[Finding]]:
        def nested(data: bytes | BinaryIO, name: str, size: int) -> list[Finding]:
            display = f"{parent.display_path}!/{name}"
            if parent.depth + 1 > self.limits.max_nesting_depth:
                why = f"archives nested deeper than {self.limits.max_nesting_depth}"
                # Unscanned content cannot be vouched for: besides the error, a finding
                # that says so (deep nesting is how scanners are made to give up).
                member = ArtifactContext(io.BytesIO(), display, size, self.limits)
                finding = archive_finding(member, "archive-limit", f"{why}: not scanned")
                self.results.append(
                    FileResult(display, "unknown", Verdict.ERROR, (finding,), size, why)
                )
                return [finding]
            stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
            unpacked = parent.detected_format in COMPRESSION_KINDS
            _, findings = self.scan_stream(
                stream, display, size, parent.depth + 1, unpacked=unpacked
            )
            return findings

        return nested


# Names that say "model" (or a loader's input): an unidentified file so named is what a
# scanner bypass looks like, since the loader the name invites may still accept it.
_MODEL_SUFFIXES = frozenset(
    (
        *(".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".npy", ".npz"),
        *(".dat", ".model", ".pkl3", ".p", ".sav", ".h5", ".hdf5", ".keras", ".onnx"),
        *(".safetensors", ".gguf", ".ggml", ".pb", ".tflite", ".mlmodel", ".msgpack"),
        *(".ot", ".nemo", ".mar"),
    )
)
# names whose loaders fall back to the unpickler for content they do not otherwise know
_PICKLE_LOADED_SUFFIXES = frozenset(
    (
        *(".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".npy", ".npz"),
        *(".dat", ".model", ".pkl3", ".p", ".sav"),
    )
)
_UNKNOWN_REMEDIATION = (
    "aisec could not identify this file, so it was not judged. Loaders such as pickle.load "
    "accept content no format check recognises; treat the file as untrusted."
)


def _unknown_format(ctx: ArtifactContext, head: bytes, unpacked: bool) -> Finding:
    """No handler claims the content: info, or medium when it came out of a compression
    wrapper, or when its name says it is a model and a loader that name invites may act on
    it.

    pickle.load, torch.load, joblib.load and numpy.load(allow_pickle=True) all end in the
    unpickler when nothing else claims the bytes; content on which CPython's unpickler
    stops before it imports or calls anything (no opcode first, a definite error first)
    is refused by all of them (a PNG named .pt), so for those names it stays info."""
    name = ctx.display_path.rsplit("/", 1)[-1].lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    preview = short(head[:16].decode("latin-1"), 40)
    model_named = suffix in _MODEL_SUFFIXES and not (
        suffix in _PICKLE_LOADED_SUFFIXES and unpickler_refuses(head)
    )
    if unpacked or model_named:
        why = "content of a compressed wrapper" if unpacked else f"a model file name ({suffix})"
        return format_finding(
            "unknown-format-model",
            "Model file in a format aisec does not recognise",
            Severity.MEDIUM,
            ctx.display_path,
            f"{why}, unrecognised content starting {preview!r}",
            _UNKNOWN_REMEDIATION,
            offset=0,
        )
    return format_finding(
        "unknown-format",
        "File format not recognised; not scanned",
        Severity.INFO,
        ctx.display_path,
        f"unrecognised content starting {preview!r}",
        _UNKNOWN_REMEDIATION,
        offset=0,
    )


_EOCD = b"PK\x05\x06"
# Formats whose readers never legitimately end with a zip (archives may hold one).
_POLYGLOT_HOSTS = frozenset(("pickle", "joblib", "pytorch-legacy", "npy", "npy-object", "unknown"))
_TAIL = 66_000  # EOCD (22 bytes) plus the longest zip comment


def _embedded_zip(ctx: ArtifactContext, head: bytes) -> list[Finding]:
    """A zip hiding after other content (a pickle/zip polyglot): report it and scan it."""
    stream = ctx.stream
    if ctx.size <= len(head):
        tail = head
    else:
        stream.seek(max(ctx.size - _TAIL, 0))
        tail = stream.read(_TAIL)
    if _EOCD not in tail:
        return []
    stream.seek(0)
    window = stream.read(min(ctx.size, ctx.limits.max_json_bytes))
    start = window.find(b"PK\x03\x04", 1)
    if start < 0 or ctx.scan_nested is None:
        return []
    from aisec.artifacts._slice import SliceStream

    part = SliceStream(stream, start, ctx.size - start)
    ctx.scan_nested(part, f"@{start}.zip", ctx.size - start)  # type: ignore[arg-type]
    return [
        Finding(
            rule_id="polyglot-embedded-zip",
            title="File hides a zip archive after other content",
            severity=Severity.MEDIUM,
            asset=ctx.display_path,
            location=Location(path=ctx.display_path, offset=start),
            evidence=f"zip local header at offset {start}, end record in the last bytes",
            frameworks=(
                FrameworkRef("ATLAS", "AML.T0011.000"),
                FrameworkRef("ATLAS", "AML.T0010.003"),
                FrameworkRef("OWASP-LLM", "LLM03:2025"),
            ),
            remediation="Zip readers that search for the end record will open the hidden "
            "archive; rebuild the file from its source.",
        )
    ]


def _pick(head: bytes, ctx: ArtifactContext) -> type[FormatHandler] | None:
    failures: list[str] = []
    tell = ctx.stream.tell
    for handler in dispatch_order():
        try:
            claimed = handler.sniff(head, ctx)
        except Exception as exc:  # a sniffer that trips on hostile bytes must not hide them
            if os.environ.get("AISEC_DEBUG") == "1":
                raise
            failures.append(f"{handler.name} sniffer failed ({type(exc).__name__}: {exc})")
            continue
        finally:
            if tell() != 0:  # sniffers that peek into the stream
                ctx.stream.seek(0)
        if claimed:
            return handler
    if failures:
        raise _SnifferError("; ".join(failures)[:300])
    return None


def _walk(paths: Sequence[Path], recursive: bool) -> Iterator[tuple[Path, os.stat_result | None]]:
    """Files to scan, with the stat of those the walk already took (None: not yet)."""
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            if not p.is_symlink():
                raise InputError(f"{p}: no such file or folder") from None
            continue  # a dangling link given by name: nothing to read
        except OSError as exc:
            raise InputError(f"{p}: cannot read ({exc.strerror})") from None
        if stat.S_ISDIR(st.st_mode):
            if recursive:
                for root, dirs, files in os.walk(p, followlinks=False):
                    dirs.sort()
                    for name in sorted(files):
                        yield Path(root) / name, None
            else:
                yield from ((c, None) for c in sorted(c for c in p.iterdir() if c.is_file()))
        else:
            yield p, st


def scan_path(
    paths: str | Path | Sequence[str | Path],
    *,
    recursive: bool = False,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    executor: Executor | None = None,
    policy: ArtifactsPolicy | None = None,
) -> ScanReport:
    """Scan files, folders (their files; all levels with ``recursive``) and archives.

    Never executes, imports or unpickles what it reads. Raises InputError for a path
    that does not exist; a file that cannot be judged gets the ``error`` verdict.
    Needs the ``scan.run`` permission (AuthorizationError otherwise).
    ``executor`` (``aisec.core.jobs``): scan the files as tasks of that executor, e.g.
    ``LocalExecutor("process", workers=4)``; entries come in the same order either way.
    Without one, files are scanned one after another in this thread.
    ``policy``: the ``artifacts:`` section of ``aisec.yaml`` (allow/deny globals).
    """
    from aisec.core.authz import authorize

    authorize("scan.run")
    items = [paths] if isinstance(paths, _PATHLIKE) else list(paths)
    limits = limits or _DEFAULT_LIMITS
    project = _project_globals(policy)
    walk = _walk([Path(p) for p in items], recursive)
    if executor is not None:
        return _scan_with(executor, list(walk), limits, project, progress)
    scanner = _Scanner(limits, project)
    for path, known in walk:
        scanner.scan_file(path, known)
        if progress is not None:
            progress(str(path))
    return ScanReport(tuple(r for r in scanner.results if r is not None))


def _scan_file_task(
    path: str, limits: Limits, project: ProjectGlobals | None
) -> tuple[FileResult, ...]:
    """One file and its members as entries; the unit of work handed to an Executor."""
    scanner = _Scanner(limits, project)
    scanner.scan_file(Path(path), None)
    return tuple(r for r in scanner.results if r is not None)


def _scan_with(
    executor: Executor,
    files: list[tuple[Path, os.stat_result | None]],
    limits: Limits,
    project: ProjectGlobals | None,
    progress: Callable[[str], None] | None,
) -> ScanReport:
    tasks = [Task(_scan_file_task, (str(p), limits, project), label=str(p)) for p, _ in files]

    def tick(event: JobEvent) -> None:
        if progress is not None and event.kind in (EventKind.DONE, EventKind.FAILED):
            progress(event.label)

    results: list[FileResult] = []
    for outcome in executor.map(tasks, ordered=True, progress=tick):
        if outcome.error is None and outcome.value is not None:
            results.extend(outcome.value)
        else:  # the worker itself failed (a process pool that lost its worker)
            why = f"internal error scanning the file ({type(outcome.error).__name__})"
            results.append(FileResult(outcome.label, "unknown", Verdict.ERROR, (), 0, why, True))
    return ScanReport(tuple(results))


def _scan_file_body(scanner: _Scanner, path: Path, known: os.stat_result | None) -> None:
    display = str(path)
    try:
        st = known if known is not None else path.stat()
        size = st.st_size
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            scanner.results.append(
                FileResult(display, "unknown", Verdict.ERROR, (), 0, "not a regular file; skipped")
            )
            return
        if size > scanner.limits.max_file_bytes:
            scanner.results.append(
                FileResult(display, "unknown", Verdict.ERROR, (), size, "file exceeds size limit")
            )
            return
        # os-level open and read: a fraction of the cost of a file object for the
        # small files that make up most scans; O_NONBLOCK in case the path was swapped
        # for a FIFO since the stat (regular files ignore it)
        fd = os.open(display, _OPEN_FLAGS)
        try:
            data = os.read(fd, size + 1) if size <= _READ_SMALL else None
            if data is not None and len(data) == size:
                # one read; handlers then seek and read in memory (zip members, headers)
                scanner.scan_stream(io.BytesIO(data), display, size, 0, fs_path=path)
            else:  # large, or changed since the stat: read as a stream
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise OSError(errno.EINVAL, "not a regular file")
                with open(fd, "rb", closefd=False) as fh:
                    fh.seek(0)
                    scanner.scan_stream(fh, display, st.st_size, 0, fs_path=path)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return  # a dangling symlink inside a folder
    except OSError as exc:
        scanner.results.append(
            FileResult(display, "unknown", Verdict.ERROR, (), 0, f"cannot read: {exc.strerror}")
        )


def detect_format(path_or_head: str | os.PathLike[str] | bytes) -> str:
    """The name of the handler the dispatcher would run on a file, or on bytes taken as a
    whole file: ``"empty"`` for no data, ``"unknown"`` when no handler claims it.

    Content decides, never the name. Bytes should be the whole file or at least its first
    4 KiB (a few formats are recognised further in). A scan may refine the name (a ``zip``
    holding a PyTorch checkpoint is reported as ``pytorch`` once its members are read).
    Raises InputError for a path that is missing, unreadable or not a regular file, and
    ScanError when a sniffer fails on the data.
    """
    if isinstance(path_or_head, bytes | bytearray | memoryview):
        head = bytes(path_or_head)
        return _detect(io.BytesIO(head), len(head), "<bytes>")
    display = os.fsdecode(path_or_head)
    try:
        fd = os.open(display, _OPEN_FLAGS)
    except OSError as exc:
        raise InputError(f"{display}: cannot read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{display}: not a regular file")
        with open(fd, "rb", closefd=False) as fh:
            return _detect(fh, st.st_size, display)
    except OSError as exc:
        raise InputError(f"{display}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _detect(stream: BinaryIO, size: int, display: str) -> str:
    if size == 0:
        return "empty"
    ctx = ArtifactContext(stream=stream, display_path=display, size=size, limits=_DEFAULT_LIMITS)
    head = stream.read(_HEAD)
    stream.seek(0)
    handler = _pick(head, ctx)
    return "unknown" if handler is None else handler.name


def scan_bytes(
    data: bytes,
    name: str = "<bytes>",
    *,
    limits: Limits | None = None,
    policy: ArtifactsPolicy | None = None,
) -> ScanReport:
    """Scan in-memory bytes as if they were a file called ``name`` (needs ``scan.run``)."""
    from aisec.core.authz import authorize

    authorize("scan.run")
    scanner = _Scanner(limits or _DEFAULT_LIMITS, _project_globals(policy))
    scanner.scan_stream(io.BytesIO(data), name, len(data), 0)
    return ScanReport(tuple(r for r in scanner.results if r is not None))


def _project_globals(policy: ArtifactsPolicy | None) -> ProjectGlobals | None:
    if policy is None or not (policy.allow_globals or policy.deny_globals):
        return None
    from aisec.artifacts.pickle import ProjectGlobals

    return ProjectGlobals(tuple(policy.allow_globals), tuple(policy.deny_globals))
