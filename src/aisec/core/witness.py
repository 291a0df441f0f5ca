"""Witnesses of the audit log's head, kept outside the database.

After every committed audit event the new head ``(seq, hash, time)`` is appended, as one
JSON line MACed under a key derived from the audit key, to each witness file. The
database's writer cannot rewrite a witness it cannot reach without that being seen: when
the log is verified every witness line must name an event the database still holds with
the same hash, so deleting events from the end, wiping the log, or restoring an older copy
of the database is caught (``audit-log-truncated`` / ``audit-log-rolled-back``).

* The **local** witness (``$AISEC_HOME/audit-<db>.witness``) catches a truncation or
  rollback of the database alone. It is compacted to its newest line when it passes
  256 KiB, and someone who can write ``$AISEC_HOME`` can restore it together with the
  database; that case needs an external witness.
* **External** witnesses are the paths in ``AISEC_AUDIT_WITNESS`` (separated by
  ``os.pathsep``): files the database's writer cannot rewrite, e.g. on a file system made
  append-only with ``chattr +a``, or in a folder owned by another user that grants this
  one append access only. They are opened ``O_APPEND`` and never compacted or rewritten.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from aisec.core.errors import ConfigError

__all__ = [
    "WITNESS_ENV",
    "Witness",
    "WitnessLine",
    "WitnessUnreadableError",
    "configured_witnesses",
    "witness_line",
]

WITNESS_ENV = "AISEC_AUDIT_WITNESS"
_COMPACT_AT = 256 * 1024
_MAX_LINE = 1024
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True, slots=True)
class WitnessLine:
    """One head the witness saw: event ``seq`` had hash ``hash`` at ``time``."""

    seq: int
    hash: str
    time: str


class WitnessUnreadableError(Exception):
    """A witness file that exists but cannot be trusted (damaged, forged, unreadable)."""


def _message(seq: int, head: str, time: str) -> bytes:
    return f"aisec-audit-witness-v1\n{seq}\n{head}\n{time}".encode()


def witness_line(key: bytes, seq: int, head: str, time: str) -> bytes:
    """The line appended for head ``(seq, head)``: JSON with an HMAC-SHA256 under ``key``."""
    mac = hmac.new(key, _message(seq, head, time), hashlib.sha256).hexdigest()
    doc = {"seq": seq, "hash": head, "time": time, "mac": mac}
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class Witness:
    """A witness file; ``external`` ones are append-only (never compacted)."""

    path: Path
    external: bool = False

    @property
    def label(self) -> str:
        return f"{'external' if self.external else 'local'} witness {self.path}"

    def append(self, line: bytes) -> None:
        """Append one line; ConfigError (with the fix) if the file cannot be written."""
        try:
            fd = os.open(self.path, _FLAGS, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"audit {self.label}: cannot open for appending ({exc.strerror}); fix its "
                f"permissions or change {WITNESS_ENV}"
            ) from None
        try:
            os.write(fd, line)  # one write to an O_APPEND file: never interleaved
            size = os.fstat(fd).st_size
        except OSError as exc:
            raise ConfigError(f"audit {self.label}: cannot append ({exc.strerror})") from None
        finally:
            os.close(fd)
        if not self.external and size > _COMPACT_AT:
            self._compact(line)

    def _compact(self, line: bytes) -> None:
        """Keep only the newest line (local witness only: bounded size)."""
        from aisec.core.home import write_private

        with suppress(OSError):  # e.g. an append-only file (chattr +a): it just keeps growing
            write_private(self.path, line)

    def read_lines(self, key: bytes) -> list[WitnessLine] | None:
        """Every line of the file, each MAC checked; None when the file does not exist.

        A torn last line (a crash during the write) is skipped. Any other line that is
        malformed or whose MAC does not verify raises WitnessUnreadableError.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WitnessUnreadableError(f"cannot open ({exc.strerror})") from None
        out: list[WitnessLine] = []
        with os.fdopen(fd, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    break  # torn by a crash mid-write: the line before it stands
                out.append(_parse(raw, key, number))
        return out


def _parse(raw: bytes, key: bytes, number: int) -> WitnessLine:
    if len(raw) > _MAX_LINE:
        raise WitnessUnreadableError(f"line {number} is over {_MAX_LINE} bytes")
    try:
        doc = json.loads(raw)
        seq, head, time, mac = int(doc["seq"]), str(doc["hash"]), str(doc["time"]), doc["mac"]
    except (ValueError, KeyError, TypeError):
        raise WitnessUnreadableError(f"line {number} is not a witness record") from None
    expected = hmac.new(key, _message(seq, head, time), hashlib.sha256).hexdigest()
    if not isinstance(mac, str) or not hmac.compare_digest(expected, mac):
        raise WitnessUnreadableError(
            f"line {number} (event {seq}) does not verify under this audit key (forged, "
            "damaged, or written for another log)"
        )
    return WitnessLine(seq, head, time)


def configured_witnesses(local: Path | None) -> tuple[Witness, ...]:
    """The local witness (if any) and the external ones named in ``AISEC_AUDIT_WITNESS``."""
    out: list[Witness] = [Witness(local)] if local is not None else []
    for part in os.environ.get(WITNESS_ENV, "").split(os.pathsep):
        if part.strip():
            path = Path(part.strip()).expanduser()
            if not path.is_absolute():
                raise ConfigError(f"{WITNESS_ENV}: {part!r} is not an absolute path")
            out.append(Witness(path, external=True))
    return tuple(out)
