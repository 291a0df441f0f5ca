"""Which globals a model pickle may import, and how each is judged.

The dangerous-name policy comes first, always: names that reach code execution, the file
system, the network or another deserialiser are dangerous whatever any list says. Then
the allowlist (exact ``module.name`` strings: the hand-kept base set below and the list
generated from the libraries themselves, ``allowlist.json``), then the project's
own ``artifacts.allow_globals`` / ``deny_globals``. Anything else is unknown, and the
report judges it by what the pickle does with it (a class only constructed, or a callable
invoked).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources

from aisec.artifacts.pickle._allowlist import SKLEARN_NAMES, TORCH_NN_NAMES

__all__ = [
    "CONSTRUCT_PRIMITIVES",
    "DANGEROUS_CALLABLES",
    "DANGEROUS_MODULES",
    "IMPORT_PRIMITIVES",
    "SAFE_BASES",
    "GlobalClass",
    "ProjectGlobals",
    "classify_global",
    "generated_allowlist",
    "is_class_shaped",
    "is_dangerous_module",
    "is_nested_loader",
]

# Callables that import ``module.name`` from their two string arguments. The pickle machine
# judges each call as that import (``numpy.log1p`` for a pickled ufunc); non-constant
# arguments make it a dynamic import.
IMPORT_PRIMITIVES = frozenset(("numpy.core._ufunc_reconstruct", "numpy._core._ufunc_reconstruct"))


# Callables that only make an instance of their first argument, a class, without calling
# its __init__: copyreg._reconstructor(cls, base, state) is base.__new__(cls[, state]) (and
# base.__init__(obj, state) unless base is object); __newobj__(cls, *args) and
# __newobj_ex__(cls, args, kwargs) are cls.__new__(cls, *args, **kwargs).
CONSTRUCT_PRIMITIVES = frozenset(
    (
        "copyreg._reconstructor",
        "copy_reg._reconstructor",
        "copyreg.__newobj__",
        "copy_reg.__newobj__",
        "copyreg.__newobj_ex__",
    )
)
# Bases of copyreg._reconstructor whose __new__/__init__ only build a plain value from the
# state; any other base is judged as a call of that base with the state.
SAFE_BASES = frozenset(
    f"{mod}.{name}"
    for mod in ("builtins", "__builtin__")
    for name in (
        "object",
        "dict",
        "list",
        "set",
        "frozenset",
        "tuple",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "bytearray",
        "unicode",
        "long",
    )
)


class GlobalClass(Enum):
    """How a resolved global is judged."""

    SAFE = "safe"
    UNKNOWN = "unknown"
    DANGEROUS = "dangerous"
    DENIED = "denied"  # by the project's artifacts.deny_globals


_TORCH_DTYPES = [
    "float32",
    "float16",
    "bfloat16",
    "float64",
    "float",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "complex64",
    "complex128",
    "complex32",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e4m3fn",
    "float8_e5m2",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "half",
    "double",
    "long",
    "int",
    "short",
]
_TORCH_STORAGES = [
    "Float",
    "Double",
    "Half",
    "BFloat16",
    "Long",
    "Int",
    "Short",
    "Char",
    "Byte",
    "Bool",
    "ComplexFloat",
    "ComplexDouble",
    "QInt8",
    "QUInt8",
    "QInt32",
    "QUInt4x2",
    "QUInt2x4",
]

_BASE_SAFE = {
    # builtins that build plain values (protocol 0-2 spell the module __builtin__)
    *(
        f"{mod}.{name}"
        for mod in ("builtins", "__builtin__")
        for name in [
            "set",
            "frozenset",
            "bytes",
            "bytearray",
            "object",
            "complex",
            "slice",
            "range",
            "dict",
            "list",
            "tuple",
            "str",
            "int",
            "float",
            "bool",
            "unicode",
            "long",
        ]
    ),
    "copyreg._reconstructor",
    "copy_reg._reconstructor",
    "copyreg.__newobj__",
    "copy_reg.__newobj__",
    "_codecs.encode",  # protocol 2 spells bytes as _codecs.encode(str, "latin1")
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.deque",
    "collections.Counter",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    *IMPORT_PRIMITIVES,
    "argparse.Namespace",
    "torch.Tensor",
    "torch._tensor.Tensor",
    "uuid.UUID",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "fractions.Fraction",
    # numpy arrays, scalars and dtypes (numpy 1 and 2 module paths)
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ma.core._mareconstruct",
    "numpy.ma.core.MaskedArray",
    "numpy.dtype",
    "numpy.ndarray",
    *(
        f"numpy.{t}"
        for t in [
            "float64",
            "float32",
            "float16",
            "int64",
            "int32",
            "int16",
            "int8",
            "uint64",
            "uint32",
            "uint16",
            "uint8",
            "bool_",
            "complex64",
            "complex128",
            "str_",
            "bytes_",
            "datetime64",
            "timedelta64",
            "longdouble",
        ]
    ),
    *(
        f"numpy.dtypes.{t}DType"
        for t in [
            "Float64",
            "Float32",
            "Float16",
            "Int64",
            "Int32",
            "Int16",
            "Int8",
            "UInt64",
            "UInt32",
            "UInt16",
            "UInt8",
            "Bool",
            "Complex64",
            "Complex128",
            "Str",
            "Bytes",
            "Object",
            "DateTime64",
            "TimeDelta64",
            "Void",
        ]
    ),
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pcg64.PCG64",
    "numpy.random._philox.Philox",
    "numpy.random._sfc64.SFC64",
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    # scipy sparse matrices held by text vectorisers and some estimators
    *(
        f"scipy.sparse._{fmt}.{fmt}_{kind}"
        for fmt in ("csr", "csc", "coo")
        for kind in ("matrix", "array")
    ),
    # torch tensors, storages, dtypes and layouts
    *(
        f"torch._utils.{n}"
        for n in [
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_nested_tensor",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_wrapper_subclass",
        ]
    ),
    "torch._tensor._rebuild_from_type_v2",
    "torch.serialization._get_layout",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    "torch.UntypedStorage",
    *(f"torch.{s}Storage" for s in _TORCH_STORAGES),
    *(f"torch.{d}" for d in _TORCH_DTYPES),
    "torch.Size",
    "torch.device",
    "torch.strided",
    "torch.sparse_coo",
    "torch.sparse_csr",
    "torch.contiguous_format",
    "torch.channels_last",
    "torch.preserve_format",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.per_channel_affine_float_qparams",
    "torch.nn.parameter.Parameter",
    "torch.nn.parameter.Buffer",
    "torch.nn.parameter.UninitializedParameter",
    "torch.nn.parameter.UninitializedBuffer",
    "joblib.numpy_pickle.NumpyArrayWrapper",
}

# TorchScript data.pkl/constants.pkl: read by torch's C++ unpickler, which cannot import
# Python; these names resolve to compiled classes and helpers, not Python objects.
_TORCHSCRIPT_SAFE = {
    "torch.jit._pickle.build_tensor_from_id",
    "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.build_floatlist",
    "torch.jit._pickle.build_boollist",
    "torch.jit._pickle.build_tensorlist",
    "torch.jit._pickle.restore_type_tag",
    "torch._utils._rebuild_tensor",
}


def _load_generated() -> tuple[frozenset[str], dict[str, str]]:
    """The names ``benchmarks/scanners/allowlist/generate.py`` saw real libraries pickle,
    and the library versions it ran with."""
    text = resources.files("aisec.artifacts.pickle").joinpath("allowlist.json").read_text("utf-8")
    data = json.loads(text)
    names = frozenset(n for group in data["globals"].values() for n in group)
    return names, dict(data["libraries"])


_GENERATED, _GENERATED_VERSIONS = _load_generated()


def generated_allowlist() -> tuple[frozenset[str], dict[str, str]]:
    """The generated allowlist and the library versions it was made from."""
    return _GENERATED, dict(_GENERATED_VERSIONS)


SAFE_GLOBALS: frozenset[str] = frozenset(
    _BASE_SAFE | SKLEARN_NAMES | TORCH_NN_NAMES | _GENERATED | CONSTRUCT_PRIMITIVES
)

# Module aliases an attacker may use to dodge a denylist keyed on the usual name.
_ALIASES = {
    "__builtin__": "builtins",
    "__builtins__": "builtins",
    "posix": "os",
    "nt": "os",
    "_posixsubprocess": "subprocess",
    "_operator": "operator",
    "_io": "io",
    "_pickle": "pickle",
    "cPickle": "pickle",
    "copy_reg": "copyreg",
    "_socket": "socket",
    "_ctypes": "ctypes",
    "_thread": "threading",
    "thread": "threading",
    "_functools": "functools",
    "_codecs": "codecs",
    "_imp": "importlib",
    "imp": "importlib",
    "_frozen_importlib": "importlib",
    "_frozen_importlib_external": "importlib",
    "_winapi": "subprocess",
    "commands": "subprocess",
    "popen2": "subprocess",
    "_signal": "signal",
}

# Every attribute of these modules is dangerous (execution, files, network, deserialisers).
_DANGEROUS_MODULES = frozenset(
    [
        "os",
        "sys",
        "subprocess",
        "runpy",
        "importlib",
        "pkgutil",
        "zipimport",
        "socket",
        "ssl",
        "shutil",
        "pty",
        "ctypes",
        "cffi",
        "code",
        "codeop",
        "webbrowser",
        "marshal",
        "pickle",
        "dill",
        "cloudpickle",
        "shelve",
        "multiprocessing",
        "asyncio",
        "threading",
        "signal",
        "platform",
        "timeit",
        "pdb",
        "bdb",
        "trace",
        "profile",
        "cProfile",
        "doctest",
        "telnetlib",
        "ftplib",
        "http",
        "urllib",
        "urllib2",
        "urllib3",
        "requests",
        "httpx",
        "aiohttp",
        "smtplib",
        "poplib",
        "imaplib",
        "nntplib",
        "xmlrpc",
        "socketserver",
        "tempfile",
        "glob",
        "fileinput",
        "io",
        "linecache",
        "tarfile",
        "zipfile",
        "venv",
        "ensurepip",
        "pip",
        "setuptools",
        "distutils",
        "site",
        "sysconfig",
        "atexit",
        "gc",
        "inspect",
        "mmap",
        "fcntl",
        "resource",
        "pwd",
        "grp",
        "termios",
        "readline",
        "rlcompleter",
        "getpass",
        "sched",
        "selectors",
        "select",
        "posixpath",
        "ntpath",
        "genericpath",
        "IPython",
        "jupyter_client",
        "tkinter",
        "idlelib",
        "lib2to3",
        "torch.hub",
        "torch.package",
        "torch.utils.cpp_extension",
        "torch.utils.data.datapipes",
        "torch._dynamo",
        "torch._inductor",
        "torch.distributed",
        "torch.multiprocessing",
        "numpy.distutils",
        "numpy.f2py",
        "numpy.testing",
        "numpy.ctypeslib",
        "yaml",
        "ruamel",
        "jinja2",
        "keras.models",
        "tensorflow.io",
        "builtins.__import__",
        "torch.fx",
        "torch.testing",
        "torch.utils.collect_env",
        "torch.utils.bottleneck",
        "torch.export",
        "torch._export",
        "torch.utils._config_module",
        "torch.jit.unsupported_tensor_ops",
        "logging.config",
        "pydoc",
        "antigravity",
        "_sitebuiltins",
        "asyncore",
        "asynchat",
        "smtpd",
        "concurrent",
        "dbm",
        "mako",
        "httplib",
        "cgi",
        "cgitb",
        "wsgiref",
        # private stdlib helpers that shell out (GHSA-g38g-8gr9-h9xp) or byte-compile files
        "_osx_support",
        "_aix_support",
        "_pyrepl",
        "test.support.script_helper",
        "compileall",
        "py_compile",
        # scanners and their hooks: a pickle that imports one is tampering with the check
        "fickling",
        "picklescan",
        "modelscan",
        "modelaudit",
    ]
)

# Single callables that are dangerous in otherwise tolerable modules.
_DANGEROUS_CALLABLES = frozenset(
    (
        *(
            f"builtins.{n}"
            for n in [
                "eval",
                "exec",
                "execfile",
                "compile",
                "__import__",
                "getattr",
                "setattr",
                "delattr",
                "open",
                "file",
                "input",
                "raw_input",
                "breakpoint",
                "globals",
                "locals",
                "vars",
                "apply",
                "reload",
                "__build_class__",
                "exit",
                "quit",
                "help",
                "memoryview",
            ]
        ),
        "operator.attrgetter",
        "operator.methodcaller",
        "operator.call",
        "operator.setitem",
        "operator.delitem",
        "operator.getitem",
        "functools.reduce",
        "types.FunctionType",
        "types.LambdaType",
        "types.CodeType",
        "types.MethodType",
        "types.ModuleType",
        "copyreg.add_extension",
        "copyreg._reconstructor.__globals__",
        "codecs.open",
        "torch.load",
        "torch.serialization.load",
        "torch.storage._load_from_bytes",
        "torch.jit.load",
        "torch.jit._serialization.load",
        "torch.classes.load_library",
        "torch.ops.load_library",
        "torch._ops.ops.load_library",
        "torch.from_file",
        "torch.save",
        "numpy.load",
        "numpy.loads",
        "numpy.lib.npyio.load",
        "numpy.fromfile",
        "numpy.tofile",
        "numpy.save",
        "numpy.savetxt",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.memmap",
        "numpy.core.multiarray.fromfile",
        "joblib.load",
        "joblib.dump",
        "pandas.read_pickle",
        "pandas.io.pickle.read_pickle",
        "keras.saving.load_model",
        "base64.__builtins__",
        "uuid._get_command_stdout",
        "uuid._popen",
        "mailcap.findmatch",  # runs the mailcap entry's test command
        # handlers that open (and truncate) a file or a socket when constructed
        "logging.FileHandler",
        *(
            f"logging.handlers.{n}"
            for n in [
                "RotatingFileHandler",
                "TimedRotatingFileHandler",
                "WatchedFileHandler",
                "BaseRotatingHandler",
                "SocketHandler",
                "DatagramHandler",
                "SysLogHandler",
                "SMTPHandler",
                "HTTPHandler",
                "NTEventLogHandler",
            ]
        ),
    )
)

# Attribute names that, reached through a dotted name, escape to code execution.
_DANGEROUS_SEGMENTS = frozenset(
    [
        "os",
        "sys",
        "subprocess",
        "builtins",
        "__builtins__",
        "__globals__",
        "__import__",
        "__subclasses__",
        "__class__",
        "__base__",
        "__bases__",
        "__mro__",
        "__dict__",
        "__getattribute__",
        "__code__",
        "__closure__",
        "__func__",
        "__self__",
        "__loader__",
        "__spec__",
        "__reduce__",
        "__reduce_ex__",
        "__setstate__",
        "__init_subclass__",
        "__call__",
        "modules",
        "system",
        "popen",
        "spawnl",
        "spawnv",
        "execv",
        "execve",
        "execl",
        "eval",
        "exec",
        "compile",
        "getattr",
        "setattr",
        "open",
        "import_module",
        "load",
        "loads",
        "Popen",
        "run",
        "call",
        "check_call",
        "check_output",
        "getoutput",
        "getstatusoutput",
        "startfile",
    ]
)

# Module objects that, reached as a submodule path (``torch.os``), escape to execution.
_MODULE_PATH_ESCAPES = frozenset(("os", "sys", "subprocess", "builtins", "importlib", "pty"))

# Callables that deserialise their argument: a constant argument is scanned as a nested pickle.
_NESTED_LOADERS = frozenset(
    (
        "pickle.loads",
        "pickle.load",
        "pickle._loads",
        "pickle._load",
        "pickle.Unpickler",
        "dill.loads",
        "dill.load",
        "cloudpickle.loads",
        "torch.load",
        "torch.serialization.load",
        "torch.storage._load_from_bytes",
        "joblib.load",
        "numpy.load",
        "numpy.loads",
        "pandas.read_pickle",
    )
)


def _normalise(module: str) -> str:
    head, dot, rest = module.partition(".")
    head = _ALIASES.get(head, head)
    return f"{head}{dot}{rest}"


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@lru_cache(maxsize=4096)
def classify_global(module: str, name: str, torchscript: bool = False) -> GlobalClass:
    """Judge ``module.name`` exactly as a pickle import would resolve it (never imports).

    Dangerous first: no allowlist entry, generated or kept by hand, can make a dangerous
    name safe."""
    full = f"{module}.{name}"
    if torchscript and module.startswith("__torch__."):
        # TorchScript's C++ unpickler resolves these to compiled classes, never a Python
        # import (their mangled parts, ``___torch_mangle_3``, look like dunders)
        return GlobalClass.SAFE
    if _is_dangerous(module, name, full):
        return GlobalClass.DANGEROUS
    if full in SAFE_GLOBALS or (torchscript and full in _TORCHSCRIPT_SAFE):
        return GlobalClass.SAFE
    return GlobalClass.UNKNOWN


def _is_dangerous(module: str, name: str, full: str) -> bool:
    norm = _normalise(full)
    if any(p in _DANGEROUS_MODULES for p in _prefixes(norm)):
        return True
    if any(p in _DANGEROUS_CALLABLES for p in _prefixes(norm)):
        return True
    # Dotted names (protocol 4 getattr chains) and module paths that walk into a module
    # object or a dunder escape hatch, e.g. ("pathlib", "os.system").
    if "." in name and any(
        s in _DANGEROUS_SEGMENTS or _ALIASES.get(s, s) in _DANGEROUS_MODULES
        for s in name.split(".")
    ):
        return True
    return any(
        s.startswith("__") or _ALIASES.get(s, s) in _MODULE_PATH_ESCAPES
        for s in module.split(".")[1:]
    )


def is_nested_loader(module: str, name: str) -> bool:
    """True for callables that deserialise their first argument (pickle.loads, torch.load…)."""
    return _normalise(f"{module}.{name}") in _NESTED_LOADERS


def is_dangerous_module(module: str) -> bool:
    """True when ``module`` or a package above it is on the dangerous-module list, so that
    importing it (or naming it in a config, a template or code) reaches dangerous code."""
    return any(p in _DANGEROUS_MODULES for p in _prefixes(_normalise(module)))


# The lists behind classify_global, read-only, for the tests that walk every dangerous name
# through every format.
DANGEROUS_MODULES: frozenset[str] = _DANGEROUS_MODULES
DANGEROUS_CALLABLES: frozenset[str] = _DANGEROUS_CALLABLES


def is_class_shaped(full: str) -> bool:
    """True when ``full`` reads as ``package.module.ClassName``: dotted identifiers whose last
    part, past leading underscores, starts with a capital letter (PEP 8 class names).

    Without importing, a name's spelling is all there is to tell a class from a function;
    a pickle that "constructs" a lower-case name (a function) is judged as calling it."""
    parts = full.split(".")
    if len(parts) < 2 or not all(p.isidentifier() and p.isascii() for p in parts):
        return False
    if any(p.startswith("__") for p in parts):
        return False
    last = parts[-1].lstrip("_")
    return bool(last) and last[0].isupper()


@dataclass(frozen=True, slots=True)
class ProjectGlobals:
    """A project's ``artifacts.allow_globals`` / ``deny_globals``: module or exact
    ``module.name`` patterns (a module covers every name under it). Deny beats allow."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    def judge(self, full: str) -> tuple[str, str] | None:
        """``("deny", pattern)``, ``("allow", pattern)`` or None for ``module.name``."""
        for verdict, patterns in (("deny", self.deny), ("allow", self.allow)):
            for pattern in patterns:
                if full == pattern or full.startswith(pattern + "."):
                    return verdict, pattern
        return None
