"""A symbolic pickle machine: walks opcodes with a stack, metastack and memo, never imports.

It mirrors CPython's ``pickle._Unpickler`` opcode by opcode, but values are symbols:
constants stay constants, GLOBAL/STACK_GLOBAL/INST become :class:`Global`, every
REDUCE/NEWOBJ/OBJ/INST becomes a :class:`Call`. The reader is hand-written and bounded:
every length is checked against the buffer before use, and large byte payloads are
skipped by offset, never copied.
"""

from __future__ import annotations

import codecs
import gc
import struct
from collections.abc import Callable
from itertools import compress
from typing import Any

from aisec.artifacts.pickle._fold import fold
from aisec.artifacts.pickle._policy import (
    CONSTRUCT_PRIMITIVES,
    IMPORT_PRIMITIVES,
    SAFE_BASES,
    GlobalClass,
    ProjectGlobals,
    classify_global,
    is_class_shaped,
)
from aisec.artifacts.pickle._values import (
    Blob,
    Call,
    DictV,
    Event,
    Global,
    PersRef,
    SetV,
    Unknown,
    render_value,
)

__all__ = [
    "NOTE_MIN",
    "OPCODES",
    "Blob",
    "Call",
    "DictV",
    "Event",
    "Global",
    "Machine",
    "Malformed",
    "PersRef",
    "SetV",
    "Unknown",
    "expanded_size",
    "render_value",
    "shared_holders",
]

_INT32 = struct.Struct("<i")
_UINT32 = struct.Struct("<I")
_GC_PAUSE_BYTES = 1 << 20
# Byte payloads above this are recorded as a Blob (length + offset) and skipped.
_INLINE_BYTES = 1 << 20
_MAX_LINE = 1 << 16  # GLOBAL/INST names, INT/FLOAT text
# Strings and bytes at least this long are noted (offset, value) for the embedded-payload
# check: the smallest pickle or line of code that does harm is longer.
NOTE_MIN = 24


class Malformed(Exception):  # noqa: N818 - internal control flow, never escapes the package
    """The stream breaks here; what was walked before still counts."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} at offset {offset}")
        self.offset = offset
        self.reason = reason


# A BUILD hook, given the machine, the object, its state and the offset after BUILD, returns
# how many bytes follow that are not pickle opcodes (joblib writes raw array bytes there),
# or -1 when a nested pickle follows.
BuildHook = Callable[["Machine", Any, Any, int], int]

# Every opcode byte of pickle protocols 0-5; any other byte stops a walk where it stands.
OPCODES = frozenset(
    b"().012BCFGIJKLMNPQRSTUVX]abcdeghijlopqrstu}"
    b"\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c"
    b"\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98"
)


class Machine:
    """Walks one pickle stream from ``start`` to its STOP, collecting :class:`Event` s."""

    def __init__(
        self,
        data: Any,
        *,
        max_opcodes: int,
        torchscript: bool = False,
        build_hook: BuildHook | None = None,
        on_nested_stream: Callable[[int], int] | None = None,
        project: ProjectGlobals | None = None,
    ) -> None:
        self.data = data
        self.project = project
        # (class, the tuple that carried it) for each class handed to a construct primitive
        # (copyreg._reconstructor, __newobj__) or resolved from a module persistent id
        self.carriers: list[tuple[Global, Any]] = []
        self.size = len(data)
        self.max_opcodes = max_opcodes
        self.torchscript = torchscript
        self.build_hook = build_hook
        self.on_nested_stream = on_nested_stream
        self.events: list[Event] = []
        self.calls: list[Call] = []  # non-allowlisted calls, kept for nested-payload decoding
        self.opcodes = 0
        self.protocol = 0
        self.saw_global = False
        self.result: Any = None  # the value STOP returns
        # values pushed again by a memo get or DUP: shared references, whose nesting can
        # make the loaded object exponentially large (a "billion laughs"); see shared_holders
        self.shared: list[Any] = []
        self.start = 0  # where the walk began
        # (offset, value) of every str/bytes constant of NOTE_MIN or more (a Blob for the
        # large ones): data an application may decode and load (see _embedded)
        self.notes: list[tuple[int, Any]] = []

    # -- readers -------------------------------------------------------------------------
    def _need(self, pos: int, n: int) -> None:
        if n < 0 or pos + n > self.size:
            raise Malformed(pos, f"truncated: needs {n} bytes, {max(self.size - pos, 0)} left")

    def _line(self, pos: int, limit: int | None) -> tuple[bytes, int]:
        end = self.data.find(
            b"\n", pos, self.size if limit is None else min(self.size, pos + limit)
        )
        if end < 0:
            raise Malformed(pos, "unterminated text argument")
        return bytes(self.data[pos:end]), end + 1

    def _bytes(self, pos: int, n: int) -> tuple[Any, int]:
        self._need(pos, n)
        if n > _INLINE_BYTES:
            blob = Blob(n, pos)
            self.notes.append((pos, blob))
            return blob, pos + n
        raw = bytes(self.data[pos : pos + n])
        if n >= NOTE_MIN:
            self.notes.append((pos, raw))
        return raw, pos + n

    def _text(self, pos: int, n: int) -> tuple[Any, int]:
        raw, end = self._bytes(pos, n)
        if isinstance(raw, Blob):
            return raw, end
        try:
            return raw.decode("utf-8", "surrogatepass"), end
        except UnicodeDecodeError:
            raise Malformed(pos, "invalid UTF-8 in string") from None

    def _global(self, module: Any, name: Any, offset: int, via: str) -> Any:
        self.saw_global = True
        if not isinstance(module, str) or not isinstance(name, str):
            # Strings built at load time (concatenation, decoding) resolve by folding.
            folded_module, folded_name = fold(module), fold(name)
            if isinstance(folded_module, str) and isinstance(folded_name, str):
                module, name = folded_module, folded_name
        if not isinstance(module, str) or not isinstance(name, str):
            self.events.append(
                Event(
                    "dynamic-global",
                    offset,
                    None,
                    f"{render_value(module)}, {render_value(name)}",
                )
            )
            return Unknown(f"dynamic import {render_value(module)}.{render_value(name)}")
        kind = classify_global(module, name, self.torchscript)
        g = Global(module, name, offset, kind, via)
        if self.project is not None and kind is not GlobalClass.DANGEROUS:
            # the project's word comes after the dangerous-name policy, never before it
            ruling = self.project.judge(g.full)
            if ruling is not None:
                verdict, pattern = ruling
                g.kind = GlobalClass.DENIED if verdict == "deny" else GlobalClass.SAFE
                g.policy = pattern if verdict == "allow" else ""
                if g.policy:
                    self.events.append(Event("global", offset, g))
        if g.kind is not GlobalClass.SAFE:
            self.events.append(Event("global", offset, g))
        return g

    def _call(self, func: Any, args: Any, offset: int, op: str) -> Any:
        imported = type(func) is Global
        if imported and func.full in IMPORT_PRIMITIVES:
            # numpy's ufunc reconstructor imports module.name: judge it as that import
            parts = [fold(a) for a in args] if isinstance(args, tuple) else []
            if len(parts) == 2 and isinstance(parts[0], str) and isinstance(parts[1], str):
                return self._global(parts[0], parts[1], offset, func.name)
            self.events.append(Event("dynamic-global", offset, None, render_value(args)))
            return Unknown(f"import through {func.full}")
        if imported and func.full in CONSTRUCT_PRIMITIVES and type(args) is tuple and args:
            self._construct(func, args, offset)
        call = Call(func, args, offset, op)
        if not imported or func.kind is not GlobalClass.SAFE:
            self.calls.append(call)
            self.events.append(Event("call", offset, call))
        if type(args) is tuple:
            for a in args:
                if type(a) is Call:
                    a.used = True
        return call

    # -- the walk ------------------------------------------------------------------------
    def run(self, start: int) -> int:
        """Walk from ``start``; return the offset after STOP. Raises :class:`Malformed`."""
        self.start = start
        if self.size - start < _GC_PAUSE_BYTES or not gc.isenabled():
            return self._run(start)
        # A long walk allocates millions of small containers and keeps most of them; the
        # cyclic GC would rescan that growing heap again and again (a third of the time).
        # Paused for this walk only: cycles it builds are collected once it is over.
        gc.disable()
        try:
            return self._run(start)
        finally:
            gc.enable()

    def _run(self, start: int) -> int:
        """The walk of :meth:`run`.

        The common data opcodes are handled inline; the rest go to :meth:`_general`, which
        implements every opcode and is what :meth:`run_reference` walks with alone (the
        tests hold the two to the same events, calls and errors). Inline handlers update
        ``pos`` last, so on an IndexError or KeyError ``pos`` is still the opcode's offset.
        """
        data = self.data
        size = self.size
        stack: list[Any] = []
        push = stack.append
        metastack: list[list[Any]] = []
        memo: dict[int, Any] = {}
        pos = start
        frame_end = -1
        opcodes = 0
        limit = self.max_opcodes
        general = self._general
        int32 = _INT32.unpack_from
        uint32 = _UINT32.unpack_from
        find = data.find
        share = self.shared.append
        note = self.notes.append
        try:
            while True:
                # Boundaries, checked once per inner run rather than once per opcode: the
                # opcode limit, the end of a frame, the end of the data.
                if opcodes >= limit:
                    opcodes += 1
                    raise Malformed(pos, f"more than {limit} opcodes")
                if frame_end >= 0 and pos >= frame_end:
                    if pos > frame_end:
                        self.events.append(
                            Event("frame", pos, None, f"opcode crosses frame end at {frame_end}")
                        )
                    frame_end = -1
                if pos >= size:
                    opcodes += 1
                    raise Malformed(pos, "stream ends before STOP")
                # Every opcode takes at least one byte, so a run shorter than the opcodes
                # left under the limit cannot pass it.
                stop = min(size, pos + limit - opcodes)
                if 0 <= frame_end < stop:
                    stop = frame_end
                while pos < stop:
                    opcodes += 1
                    op = data[pos]
                    # Four groups by byte range, each ordered by how common its opcodes are
                    # in real files (every protocol): a few comparisons reach any hot opcode.
                    # Each inline handler ends with ``continue``; what falls through, error
                    # cases included, goes to the general handler below, which raises the
                    # canonical error.
                    if op >= 0x80:
                        if op == 0x94:  # MEMOIZE
                            memo[len(memo)] = stack[-1]
                            pos += 1
                            continue
                        if op == 0x8C:  # SHORT_BINUNICODE
                            end = pos + 2 + data[pos + 1]
                            if end > size:
                                raise Malformed(pos, "truncated string")
                            text = data[pos + 2 : end].decode("utf-8", "surrogatepass")
                            push(text)
                            if end - pos >= NOTE_MIN + 2:
                                note((pos, text))
                            if end < stop and data[end] == 0x94:  # and MEMOIZE
                                memo[len(memo)] = text
                                opcodes += 1
                                end += 1
                            pos = end
                            continue
                        if op == 0x87:  # TUPLE3
                            stack[-3:] = [(stack[-3], stack[-2], stack[-1])]
                            pos += 1
                            continue
                        if op == 0x85:  # TUPLE1
                            stack[-1] = (stack[-1],)
                            pos += 1
                            continue
                        if op == 0x89:  # NEWFALSE
                            push(False)
                            pos += 1
                            continue
                        if op == 0x88:  # NEWTRUE
                            push(True)
                            pos += 1
                            continue
                        if op == 0x86:  # TUPLE2
                            stack[-2:] = [(stack[-2], stack[-1])]
                            pos += 1
                            continue
                        if op == 0x93:  # STACK_GLOBAL
                            name = stack.pop()
                            push(self._global(stack.pop(), name, pos, "STACK_GLOBAL"))
                            pos += 1
                            continue
                        if op == 0x81:  # NEWOBJ
                            args = stack.pop()
                            push(self._call(stack.pop(), args, pos, "NEWOBJ"))
                            pos += 1
                            continue
                        if op == 0x80 and pos + 1 < size and data[pos + 1] <= 5:  # PROTO
                            self.protocol = data[pos + 1]
                            pos += 2
                            continue
                    elif op >= 0x60:
                        if op == 0x68:  # BINGET
                            got = memo[data[pos + 1]]
                            push(got)
                            share(got)
                            pos += 2
                            continue
                        if op == 0x71:  # BINPUT
                            memo[data[pos + 1]] = stack[-1]
                            pos += 2
                            continue
                        if op == 0x7D:  # EMPTY_DICT
                            made = DictV()
                            push(made)
                            if pos + 1 < stop and data[pos + 1] == 0x94:  # and MEMOIZE
                                memo[len(memo)] = made
                                opcodes += 1
                                pos += 2
                            else:
                                pos += 1
                            continue
                        if op == 0x75 and metastack and metastack[-1] and not len(stack) & 1:
                            # SETITEMS
                            items = stack
                            stack = metastack.pop()
                            push = stack.append
                            target = stack[-1]
                            if type(target) is DictV:
                                target.extend(items)
                            else:
                                self._setitems(target, items, pos)
                            pos += 1
                            continue
                        if op == 0x74 and metastack:  # TUPLE
                            items = stack
                            stack = metastack.pop()
                            push = stack.append
                            push(tuple(items))
                            pos += 1
                            continue
                        if (
                            (op == 0x70 or op == 0x67)  # PUT, GET (protocol 0)
                            and (end := find(b"\n", pos + 1, pos + 1 + _MAX_LINE)) >= 0
                            and (op == 0x67 or stack)
                        ):
                            try:
                                number = int(data[pos + 1 : end])
                            except ValueError:
                                raise Malformed(pos, "bad integer argument") from None
                            if op == 0x70:
                                memo[number] = stack[-1]
                            else:
                                got = memo[number]
                                push(got)
                                share(got)
                            pos = end + 1
                            continue
                        if op == 0x73 and len(stack) >= 3:  # SETITEM
                            target = stack[-3]
                            if type(target) is DictV:
                                target.extend((stack[-2], stack[-1]))
                            else:
                                self._setitems(target, [stack[-2], stack[-1]], pos)
                            del stack[-2:]
                            pos += 1
                            continue
                        if op == 0x65 and metastack and metastack[-1]:  # APPENDS
                            items = stack
                            stack = metastack.pop()
                            push = stack.append
                            target = stack[-1]
                            if type(target) is list:
                                target.extend(items)
                            else:
                                self._append(target, items, pos)
                            pos += 1
                            continue
                    elif op >= 0x4B:
                        if op == 0x4B:  # BININT1
                            push(data[pos + 1])
                            pos += 2
                            continue
                        if (
                            op == 0x58  # BINUNICODE; truncated or large ones: the general handler
                            and pos + 5 <= size
                            and (end := pos + 5 + uint32(data, pos + 1)[0]) <= size
                            and end - pos - 5 <= _INLINE_BYTES
                        ):
                            try:
                                text = data[pos + 5 : end].decode("utf-8", "surrogatepass")
                            except UnicodeDecodeError:
                                raise Malformed(pos + 5, "invalid UTF-8 in string") from None
                            push(text)
                            if end - pos >= NOTE_MIN + 5:
                                note((pos, text))
                            pos = end
                            continue
                        if op == 0x52:  # REDUCE
                            args = stack.pop()
                            push(self._call(stack.pop(), args, pos, "REDUCE"))
                            pos += 1
                            continue
                        if op == 0x4D and pos + 3 <= size:  # BININT2
                            push(data[pos + 1] | data[pos + 2] << 8)
                            pos += 3
                            continue
                        if op == 0x4E:  # NONE
                            push(None)
                            pos += 1
                            continue
                        if op == 0x5D:  # EMPTY_LIST
                            push([])
                            pos += 1
                            continue
                    elif op == 0x28:  # MARK
                        metastack.append(stack)
                        stack = []
                        push = stack.append
                        pos += 1
                        continue
                    elif op == 0x47 and pos + 9 <= size:  # BINFLOAT
                        push(0.0)
                        pos += 9
                        continue
                    elif op == 0x4A and pos + 5 <= size:  # BININT
                        push(int32(data, pos + 1)[0])
                        pos += 5
                        continue
                    elif op == 0x29:  # EMPTY_TUPLE
                        push(())
                        pos += 1
                        continue
                    elif (
                        op == 0x49  # INT (protocol 0)
                        and (end := find(b"\n", pos + 1, pos + 1 + _MAX_LINE)) >= 0
                    ):
                        raw = data[pos + 1 : end]
                        if raw == b"00" or raw == b"01":
                            push(raw == b"01")
                        else:
                            try:
                                push(int(raw))
                            except ValueError:
                                raise Malformed(pos, "bad integer argument") from None
                        pos = end + 1
                        continue
                    elif op == 0x2E and stack:  # STOP
                        self.result = stack[-1]
                        return pos + 1
                    # The rest of the table; it returns (pos, stack, frame_end), pos < 0
                    # after STOP. A FRAME or a BUILD hook that skips array bytes moves the
                    # frame end: then the boundaries are worked out again. (A jump forward
                    # keeps the opcode-limit bound: still one byte or more an opcode.)
                    opened = frame_end
                    pos, stack, frame_end = general(
                        op, pos, pos + 1, stack, metastack, memo, frame_end
                    )
                    if pos < 0:
                        return -pos
                    push = stack.append
                    if frame_end != opened:
                        break
        except IndexError:
            raise Malformed(pos, "stack underflow or truncated argument") from None
        except KeyError as exc:
            raise Malformed(pos, f"memo key {exc} not defined") from None
        except UnicodeDecodeError:
            raise Malformed(pos, "invalid UTF-8 in string") from None
        finally:
            self.opcodes = opcodes

    def run_reference(self, start: int) -> int:
        """:meth:`run` one opcode at a time through :meth:`_general` (the tests' yardstick)."""
        self.start = start
        data = self.data
        size = self.size
        stack: list[Any] = []
        metastack: list[list[Any]] = []
        memo: dict[int, Any] = {}
        pos = start
        frame_end = -1
        opcodes = 0
        limit = self.max_opcodes
        at = pos
        try:
            while True:
                at = pos
                opcodes += 1
                if opcodes > limit:
                    raise Malformed(pos, f"more than {limit} opcodes")
                if frame_end >= 0 and pos >= frame_end:
                    if pos > frame_end:
                        self.events.append(
                            Event("frame", pos, None, f"opcode crosses frame end at {frame_end}")
                        )
                    frame_end = -1
                if pos >= size:
                    raise Malformed(pos, "stream ends before STOP")
                pos, stack, frame_end = self._general(
                    data[pos], at, pos + 1, stack, metastack, memo, frame_end
                )
                if pos < 0:
                    return -pos
        except IndexError:
            raise Malformed(at, "stack underflow or truncated argument") from None
        except KeyError as exc:
            raise Malformed(at, f"memo key {exc} not defined") from None
        except UnicodeDecodeError:
            raise Malformed(at, "invalid UTF-8 in string") from None
        finally:
            self.opcodes = opcodes

    def _general(  # the rest of the opcode table, one dispatch chain
        self,
        op: int,
        at: int,
        pos: int,
        stack: list[Any],
        metastack: list[list[Any]],
        memo: dict[int, Any],
        frame_end: int,
    ) -> tuple[int, list[Any], int]:
        """One opcode outside the hot set; returns (pos, stack, frame_end); pos < 0 at STOP."""
        data = self.data
        size = self.size

        if op == 0x58:  # BINUNICODE
            self._need(pos, 4)
            n = int.from_bytes(data[pos : pos + 4], "little")
            val, pos = self._text(pos + 4, n)
            stack.append(val)
        elif op == 0x52:  # REDUCE
            args = stack.pop()
            func = stack.pop()
            stack.append(self._call(func, args, at, "REDUCE"))
        elif op == 0x62:  # BUILD
            state = stack.pop()
            if not stack:
                raise Malformed(at, "BUILD on empty stack")
            self._build(stack[-1], state, at)
            if self.build_hook is not None:
                skip = self.build_hook(self, stack[-1], state, pos)
                if skip > 0:
                    self._need(pos, skip)
                    pos += skip
                    frame_end = -1  # joblib commits the frame before raw array bytes
                elif skip < 0 and self.on_nested_stream is not None:
                    pos = self.on_nested_stream(pos)
                    frame_end = -1
        elif op == 0x93:  # STACK_GLOBAL
            name = stack.pop()
            module = stack.pop()
            stack.append(self._global(module, name, at, "STACK_GLOBAL"))
        elif op == 0x63:  # GLOBAL
            mod_raw, pos = self._line(pos, _MAX_LINE)
            name_raw, pos = self._line(pos, _MAX_LINE)
            stack.append(
                self._global(self._ascii(mod_raw, at), self._ascii(name_raw, at), at, "GLOBAL")
            )
        elif op == 0x81:  # NEWOBJ
            args = stack.pop()
            cls = stack.pop()
            stack.append(self._call(cls, args, at, "NEWOBJ"))
        elif op == 0x80:  # PROTO
            self._need(pos, 1)
            self.protocol = data[pos]
            if self.protocol > 5:
                raise Malformed(at, f"unsupported pickle protocol {self.protocol}")
            pos += 1
        elif op == 0x95:  # FRAME
            self._need(pos, 8)
            n = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
            if frame_end >= 0 and at < frame_end:
                self.events.append(Event("frame", at, None, "FRAME inside an open frame"))
            if pos + n > size:
                self.events.append(
                    Event("frame", at, None, f"FRAME of {n} bytes, {size - pos} left")
                )
            frame_end = pos + n
        elif op == 0x51:  # BINPERSID
            pid = stack.pop()
            ref = _persistent(pid)
            if type(ref) is Global:  # the id's tuple carried the class; it is pushed anew
                self.carriers.append((ref, pid))
                self.shared.append(ref)
            stack.append(ref)
        elif op == 0x73:  # SETITEM
            v = stack.pop()
            k = stack.pop()
            if not stack:
                raise Malformed(at, "SETITEM on empty stack")
            self._setitems(stack[-1], [k, v], at)
        elif op == 0x70:  # PUT
            raw, pos = self._line(pos, _MAX_LINE)
            if not stack:
                raise Malformed(at, "PUT on empty stack")
            memo[self._int(raw, at)] = stack[-1]
        elif op == 0x49:  # INT
            raw, pos = self._line(pos, _MAX_LINE)
            if raw == b"00":
                stack.append(False)
            elif raw == b"01":
                stack.append(True)
            else:
                stack.append(self._int(raw, at))
        elif op == 0x56:  # UNICODE (raw-unicode-escape text)
            raw, pos = self._line(pos, None)
            try:
                stack.append(codecs.raw_unicode_escape_decode(raw)[0])
            except UnicodeDecodeError:
                raise Malformed(at, "bad UNICODE argument") from None
            if len(raw) >= NOTE_MIN:
                self.notes.append((at, stack[-1]))
        elif op == 0x67:  # GET
            raw, pos = self._line(pos, _MAX_LINE)
            idx = self._int(raw, at)
            if idx not in memo:
                raise Malformed(at, f"memo key {idx} not defined")
            stack.append(memo[idx])
            self.shared.append(stack[-1])
        elif op == 0x8D:  # BINUNICODE8
            self._need(pos, 8)
            n = int.from_bytes(data[pos : pos + 8], "little")
            val, pos = self._text(pos + 8, n)
            stack.append(val)
        elif op == 0x72:  # LONG_BINPUT
            self._need(pos, 4)
            if not stack:
                raise Malformed(at, "PUT on empty stack")
            memo[int.from_bytes(data[pos : pos + 4], "little")] = stack[-1]
            pos += 4
        elif op == 0x6A:  # LONG_BINGET
            self._need(pos, 4)
            idx = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
            if idx not in memo:
                raise Malformed(at, f"memo key {idx} not defined")
            stack.append(memo[idx])
            self.shared.append(stack[-1])
        elif op == 0x85:  # TUPLE1
            stack.append((stack.pop(),))
        elif op == 0x86:  # TUPLE2
            b = stack.pop()
            stack.append((stack.pop(), b))
        elif op == 0x87:  # TUPLE3
            c = stack.pop()
            b = stack.pop()
            stack.append((stack.pop(), b, c))
        elif op == 0x74:  # TUPLE
            stack_items, stack = stack, metastack.pop()
            stack.append(tuple(stack_items))
        elif op == 0x29:  # EMPTY_TUPLE
            stack.append(())
        elif op == 0x92:  # NEWOBJ_EX
            kwargs = stack.pop()
            args = stack.pop()
            cls = stack.pop()
            stack.append(self._call(cls, (args, kwargs), at, "NEWOBJ_EX"))
        elif op == 0x4A:  # BININT
            self._need(pos, 4)
            stack.append(int.from_bytes(data[pos : pos + 4], "little", signed=True))
            pos += 4
        elif op == 0x4D:  # BININT2
            self._need(pos, 2)
            stack.append(int.from_bytes(data[pos : pos + 2], "little"))
            pos += 2
        elif op == 0x4E:  # NONE
            stack.append(None)
        elif op == 0x88:  # NEWTRUE
            stack.append(True)
        elif op == 0x89:  # NEWFALSE
            stack.append(False)
        elif op == 0x7D:  # EMPTY_DICT
            stack.append(DictV())
        elif op == 0x5D:  # EMPTY_LIST
            stack.append([])
        elif op == 0x8F:  # EMPTY_SET
            stack.append(SetV())
        elif op == 0x75:  # SETITEMS
            items, stack = stack, metastack.pop()
            if not stack:
                raise Malformed(at, "SETITEMS on empty stack")
            if len(items) % 2:
                raise Malformed(at, "SETITEMS with an odd number of items")
            self._setitems(stack[-1], items, at)
        elif op == 0x61:  # APPEND
            v = stack.pop()
            if not stack:
                raise Malformed(at, "APPEND on empty stack")
            self._append(stack[-1], [v], at)
        elif op == 0x65:  # APPENDS
            items, stack = stack, metastack.pop()
            if not stack:
                raise Malformed(at, "APPENDS on empty stack")
            self._append(stack[-1], items, at)
        elif op == 0x90:  # ADDITEMS
            items, stack = stack, metastack.pop()
            if not stack:
                raise Malformed(at, "ADDITEMS on empty stack")
            target = stack[-1]
            if isinstance(target, SetV):
                target.items.extend(items)
            else:
                self._append(target, items, at)
        elif op == 0x91:  # FROZENSET
            items, stack = stack, metastack.pop()
            stack.append(SetV(items, frozen=True))
        elif op == 0x6C:  # LIST
            items, stack = stack, metastack.pop()
            stack.append(items)
        elif op == 0x64:  # DICT
            items, stack = stack, metastack.pop()
            if len(items) % 2:
                raise Malformed(at, "DICT with an odd number of items")
            stack.append(DictV(items))
        elif op == 0x69:  # INST
            mod_raw, pos = self._line(pos, _MAX_LINE)
            name_raw, pos = self._line(pos, _MAX_LINE)
            items, stack = stack, metastack.pop()
            args = tuple(items)
            cls = self._global(self._ascii(mod_raw, at), self._ascii(name_raw, at), at, "INST")
            stack.append(self._call(cls, args, at, "INST"))
        elif op == 0x6F:  # OBJ
            items, stack = stack, metastack.pop()
            if not items:
                raise Malformed(at, "OBJ without a class")
            stack.append(self._call(items[0], tuple(items[1:]), at, "OBJ"))
        elif op == 0x30:  # POP
            if stack:
                self._discard([stack.pop()], at)
            else:
                items, stack = stack, metastack.pop()
                self._discard(items, at)
        elif op == 0x31:  # POP_MARK
            items, stack = stack, metastack.pop()
            self._discard(items, at)
        elif op == 0x32:  # DUP
            if not stack:
                raise Malformed(at, "DUP on empty stack")
            stack.append(stack[-1])
            self.shared.append(stack[-1])
        elif op == 0x2E:  # STOP
            if not stack:
                raise Malformed(at, "STOP on empty stack")
            self.result = stack[-1]
            return -pos, stack, frame_end
        elif op == 0x43:  # SHORT_BINBYTES
            self._need(pos, 1)
            val, pos = self._bytes(pos + 1, data[pos])
            stack.append(val)
        elif op == 0x42:  # BINBYTES
            self._need(pos, 4)
            n = int.from_bytes(data[pos : pos + 4], "little")
            val, pos = self._bytes(pos + 4, n)
            stack.append(val)
        elif op == 0x8E or op == 0x96:  # BINBYTES8
            self._need(pos, 8)
            n = int.from_bytes(data[pos : pos + 8], "little")
            val, pos = self._bytes(pos + 8, n)
            stack.append(val)
        elif op == 0x55:  # SHORT_BINSTRING
            self._need(pos, 1)
            raw, pos = self._bytes(pos + 1, data[pos])
            stack.append(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
        elif op == 0x54:  # BINSTRING
            self._need(pos, 4)
            n = int.from_bytes(data[pos : pos + 4], "little", signed=True)
            raw, pos = self._bytes(pos + 4, n)
            stack.append(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
        elif op == 0x53:  # STRING (quoted, escaped text)
            raw, pos = self._line(pos, None)
            stack.append(self._quoted(raw.rstrip(b"\r"), at))
            if len(raw) >= NOTE_MIN:
                self.notes.append((at, stack[-1]))
        elif op == 0x4C:  # LONG
            raw, pos = self._line(pos, _MAX_LINE)
            stack.append(self._int(raw.rstrip(b"L"), at))
        elif op == 0x46:  # FLOAT
            raw, pos = self._line(pos, _MAX_LINE)
            try:
                stack.append(float(raw))
            except ValueError:
                raise Malformed(at, "bad FLOAT argument") from None
        elif op == 0x47:  # BINFLOAT
            self._need(pos, 8)
            pos += 8
            stack.append(0.0)
        elif op == 0x8A:  # LONG1
            self._need(pos, 1)
            n = data[pos]
            self._need(pos + 1, n)
            stack.append(int.from_bytes(data[pos + 1 : pos + 1 + n], "little", signed=True))
            pos += 1 + n
        elif op == 0x8B:  # LONG4
            self._need(pos, 4)
            n = int.from_bytes(data[pos : pos + 4], "little", signed=True)
            self._need(pos + 4, n)
            if n > 4096:
                stack.append(Unknown(f"{n}-byte integer"))
            else:
                stack.append(int.from_bytes(data[pos + 4 : pos + 4 + n], "little", signed=True))
            pos += 4 + n
        elif op == 0x50:  # PERSID
            raw, pos = self._line(pos, _MAX_LINE)
            stack.append(PersRef(self._ascii(raw, at)))
        elif op in (0x82, 0x83, 0x84):  # EXT1, EXT2, EXT4
            n = {0x82: 1, 0x83: 2, 0x84: 4}[op]
            self._need(pos, n)
            code = int.from_bytes(data[pos : pos + n], "little", signed=(n == 4))
            pos += n
            self.saw_global = True
            self.events.append(Event("ext", at, None, f"extension code {code}"))
            stack.append(Unknown(f"copyreg extension {code}"))
        elif op == 0x97:  # NEXT_BUFFER
            stack.append(Unknown("out-of-band buffer"))
        elif op == 0x98:  # READONLY_BUFFER
            if not stack:
                raise Malformed(at, "READONLY_BUFFER on empty stack")
        elif op == 0x68:  # BINGET
            stack.append(memo[data[pos]])
            self.shared.append(stack[-1])
            pos += 1
        elif op == 0x94:  # MEMOIZE
            memo[len(memo)] = stack[-1]
        elif op == 0x71:  # BINPUT
            memo[data[pos]] = stack[-1]
            pos += 1
        elif op == 0x28:  # MARK
            metastack.append(stack)
            stack = []
        elif op == 0x8C:  # SHORT_BINUNICODE
            end = pos + 1 + data[pos]
            if end > size:
                raise Malformed(at, "truncated string")
            stack.append(str(data[pos + 1 : end], "utf-8", "surrogatepass"))
            if end - pos > NOTE_MIN:
                self.notes.append((at, stack[-1]))
            pos = end
        elif op == 0x4B:  # BININT1
            stack.append(data[pos])
            pos += 1
        else:
            raise Malformed(at, f"invalid opcode 0x{op:02x}")
        return pos, stack, frame_end

    # -- semantics helpers ---------------------------------------------------------------
    def _construct(self, func: Global, args: tuple[Any, ...], offset: int) -> None:
        """A construct primitive's class is carried, not called; a _reconstructor base
        other than a builtin value type is called (``base.__new__``/``__init__`` with the
        state), so it is recorded as that call."""
        cls = args[0]
        if type(cls) is not Global:
            # a class computed at load time: judged like NEWOBJ on it (an indirect call)
            call = Call(cls, args[1:], offset, "NEWOBJ")
            self.calls.append(call)
            self.events.append(Event("call", offset, call))
            return
        if func.name != "_reconstructor":
            if cls.kind is GlobalClass.SAFE:
                return
            rest = args[1:]
            bare = not rest or (
                func.name == "__newobj_ex__"
                and len(rest) == 2
                and rest[0] == ()
                and type(rest[1]) is DictV
                and not rest[1]
            )
            if bare:
                self.carriers.append((cls, args))
            else:  # cls.__new__(cls, *args, **kwargs) with caller-chosen arguments: a call
                call = Call(cls, rest, offset, "REDUCE")
                self.calls.append(call)
                self.events.append(Event("call", offset, call))
            return
        if cls.kind is not GlobalClass.SAFE:
            self.carriers.append((cls, args))
        if len(args) < 2:
            return
        base = args[1]
        if type(base) is Global and (base.full in SAFE_BASES or base.kind is GlobalClass.SAFE):
            return  # a value type, or an allowlisted class's own __new__/__init__
        call = Call(base, (cls, *args[2:]), offset, "REDUCE")
        self.calls.append(call)
        self.events.append(Event("call", offset, call))

    def constructed_only(self) -> frozenset[str]:
        """Unknown names the walk so far only constructed: every push of the name went to
        NEWOBJ/NEWOBJ_EX with no arguments or to a construct primitive (never called,
        never left in the data), and the name is spelled as a class."""
        unknown: dict[int, Global] = {
            id(ev.subject): ev.subject
            for ev in self.events
            if ev.kind == "global" and ev.subject.kind is GlobalClass.UNKNOWN
        }
        if not unknown:
            return frozenset()
        pushes: dict[str, int] = {}
        for g in unknown.values():
            pushes[g.full] = pushes.get(g.full, 0) + 1
        shared_ids: set[int] = set()
        for v in self.shared:
            if type(v) is Global and id(v) in unknown:
                pushes[v.full] += 1
            elif type(v) is tuple:
                shared_ids.add(id(v))
        uses: dict[str, int] = {}
        invoked: set[str] = set()
        for call in self.calls:
            f = call.func
            if type(f) is not Global or id(f) not in unknown:
                continue
            if _bare_construct(call):
                uses[f.full] = uses.get(f.full, 0) + 1
            else:
                invoked.add(f.full)
        for g, carrier in self.carriers:
            if id(g) in unknown and id(carrier) not in shared_ids:
                uses[g.full] = uses.get(g.full, 0) + 1
        return frozenset(
            name
            for name, n in pushes.items()
            if name not in invoked and uses.get(name, 0) >= n and is_class_shaped(name)
        )

    @staticmethod
    def _ascii(raw: bytes, at: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(at, "non-UTF-8 name") from None

    @staticmethod
    def _int(raw: bytes, at: int) -> int:
        try:
            return int(raw)
        except ValueError:
            raise Malformed(at, "bad integer argument") from None

    @staticmethod
    def _quoted(raw: bytes, at: int) -> str:
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[:1] in (b"'", b'"'):
            try:
                return bytes(codecs.escape_decode(raw[1:-1])[0]).decode("latin-1")
            except ValueError:
                raise Malformed(at, "bad STRING escape") from None
        raise Malformed(at, "STRING argument not quoted")

    def _setitems(self, target: Any, items: list[Any], at: int) -> None:
        """SETITEM(S) of ``items`` (flat: key, value, key, value…) on ``target``."""
        if isinstance(target, DictV):
            target.extend(items)
        elif isinstance(target, Call | Global | Unknown | PersRef):
            # __setitem__ on an object: a call the loader makes for us.
            self._mark_used(items[1::2])
            if not (isinstance(target, Call) and _is_safe_call(target)):
                self.events.append(Event("call", at, target, "__setitem__"))
        else:
            raise Malformed(at, f"SETITEM on {type(target).__name__}")

    def _append(self, target: Any, items: list[Any], at: int) -> None:
        if type(target) is list:  # not DictV, a list of pairs
            target.extend(items)
        elif isinstance(target, Call | Global | Unknown | SetV):
            self._mark_used(items)
            if isinstance(target, SetV):
                target.items.extend(items)
            elif not (isinstance(target, Call) and _is_safe_call(target)):
                self.events.append(Event("call", at, target, "append/extend"))
        else:
            raise Malformed(at, f"APPEND on {type(target).__name__}")

    def _build(self, obj: Any, state: Any, at: int) -> None:
        # exact type tests: the machine makes every value, and no symbol class is subclassed
        if type(state) is Call:
            state.used = True
        if type(obj) is Call:
            obj.state = state
        elif type(obj) is Global:
            # setattr on a class, function or module: monkeypatching at load time.
            self.events.append(Event("build-global", at, obj, render_value(state)))
        for d in state if isinstance(state, tuple) and len(state) == 2 else (state,):
            if type(d) is DictV:
                for k in d[::2]:
                    # "__" in k: a cheap first test, as most keys hold no double underscore
                    if type(k) is str and "__" in k and k.startswith("__") and k.endswith("__"):
                        self.events.append(Event("build-dunder", at, obj, k))

    def _discard(self, items: list[Any], at: int) -> None:
        for v in items:
            if isinstance(v, Call) and not v.used and not _is_safe_call(v):
                self.events.append(Event("discard", at, v))

    @staticmethod
    def _mark_used(values: Any) -> None:
        for v in values:
            if isinstance(v, Call):
                v.used = True


def _persistent(pid: Any) -> Any:
    """What the loader's persistent_load returns, where the pickle alone says what it is.

    Legacy ``torch.save`` of a whole module stores each class as the persistent id
    ``('module', cls, source_file, source)``, and torch's loader returns ``cls`` (the source
    is only compared, never run); the class is then NEWOBJ'd. Resolving the id to the
    imported class lets that call be judged by the class, like any other."""
    if type(pid) is tuple and len(pid) == 4 and pid[0] == "module" and type(pid[1]) is Global:
        return pid[1]
    return PersRef(pid)


def _bare_construct(call: Call) -> bool:
    """NEWOBJ/NEWOBJ_EX with no arguments: ``cls.__new__(cls)``, no caller-chosen input."""
    args = call.args
    if call.op == "NEWOBJ":
        return type(args) is tuple and not args
    if call.op == "NEWOBJ_EX" and type(args) is tuple and len(args) == 2:
        pos, kw = args
        return type(pos) is tuple and not pos and (type(kw) is DictV and not kw)
    return False


def _is_safe_call(call: Call) -> bool:
    return isinstance(call.func, Global) and call.func.kind is GlobalClass.SAFE


# Values that hold other values: only these, shared, can make a loaded object blow up.
_HOLDERS = frozenset((list, DictV, tuple, Call, SetV, PersRef))


def shared_holders(shared: list[Any]) -> list[Any]:
    """The containers among ``shared`` (filtered in C: most gets fetch strings)."""
    return list(compress(shared, map(_HOLDERS.__contains__, map(type, shared))))


def _children(value: Any) -> Any:
    """The values a loaded ``value`` holds (what walking it visits); () for scalars."""
    kind = type(value)
    if kind is list or kind is DictV or kind is tuple:
        return value
    if kind is Call:
        return (value.func, value.args, value.state)
    if kind is SetV:
        return value.items
    if kind is PersRef:
        return (value.pid,)
    return ()


def expanded_size(roots: list[Any], cap: int, budget: int) -> int:
    """The largest tree size (values counted with every repeat) among ``roots``, counted
    up to ``cap``, over at most ``budget`` distinct containers (0 past that: unknown).

    Each container is sized once (its children's sizes summed), so shared references cost
    nothing extra: a "billion laughs" of a few hundred opcodes is sized in as many steps.
    A container met again while it is being sized (a cycle) counts once."""
    sizes: dict[int, int] = {}
    best = 0
    for root in roots:
        if not _children(root) or id(root) in sizes:
            continue
        todo: list[tuple[Any, bool]] = [(root, False)]
        while todo:
            node, ready = todo.pop()
            if ready:
                total = 1 + sum(sizes.get(id(c), 1) for c in _children(node))
                sizes[id(node)] = min(total, cap)
                continue
            if id(node) in sizes:
                continue
            kids = _children(node)
            if not kids:
                continue
            budget -= 1
            if budget < 0:
                return 0
            sizes[id(node)] = 1  # being sized: a cycle back to it counts once
            todo.append((node, True))
            todo.extend((c, False) for c in kids if _children(c) and id(c) not in sizes)
        best = max(best, sizes[id(root)])
        if best >= cap:
            break
    return best
