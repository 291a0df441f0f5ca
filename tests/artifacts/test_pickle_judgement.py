"""How an unknown name is judged by what the pickle does with it, and the project's
``artifacts.allow_globals`` / ``deny_globals``. One test per technique an attacker would
try against "a class that is only constructed is info"."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import (
    BUILD,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    NONE,
    POP,
    PROTO2,
    PROTO4,
    REDUCE,
    SETITEM,
    STOP,
    TUPLE1,
    g0,
    get,
    put,
    sg,
    u,
)

from aisec.artifacts import scan_path
from aisec.artifacts.pickle import GlobalClass, classify_global
from aisec.core.errors import PolicyError
from aisec.core.findings import Severity
from aisec.core.policy import ArtifactsPolicy, parse_policy

NEWOBJ = b"\x81"
NEWOBJ_EX = b"\x92"
TUPLE3 = b"\x87"
BINPERSID = b"Q"


def _state(key: str = "w") -> bytes:
    return EMPTY_DICT + u(key) + u("v") + SETITEM


def _scan(
    tmp_path: Path, data: bytes, policy: ArtifactsPolicy | None = None
) -> tuple[str, dict[str, Severity], list[str]]:
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    report = scan_path(path, policy=policy)
    (result,) = report.files
    rules = {f.rule_id: f.severity for f in result.findings}
    return result.verdict, rules, [f.evidence for f in result.findings]


# -- only constructed: info -----------------------------------------------------------------
def test_unknown_class_newobj_and_build_is_info_with_its_name(tmp_path: Path) -> None:
    data = (
        PROTO4 + sg("mypackage.models", "TinyCNN") + EMPTY_TUPLE + NEWOBJ + _state() + BUILD + STOP
    )
    verdict, rules, evidence = _scan(tmp_path, data)
    assert rules == {"pickle-unknown-class": Severity.INFO}
    assert verdict == "clean"
    assert "mypackage.models.TinyCNN" in evidence[0]


def test_unknown_class_copyreg_reconstructor_protocol0_is_info(tmp_path: Path) -> None:
    args = MARK + g0("mypackage.models", "Net") + g0("__builtin__", "object") + NONE + b"t"
    data = g0("copy_reg", "_reconstructor") + args + REDUCE + _state() + BUILD + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert rules == {"pickle-unknown-class": Severity.INFO}
    assert verdict == "clean"


def test_unknown_class_through_copyreg_newobj_is_info(tmp_path: Path) -> None:
    data = PROTO2 + g0("copyreg", "__newobj__") + g0("mypackage.models", "Net") + TUPLE1 + REDUCE
    assert _scan(tmp_path, data + STOP)[1] == {"pickle-unknown-class": Severity.INFO}


@pytest.mark.parametrize(
    "args",
    [
        g0("mypackage.models", "Net") + u("id") + b"\x86",  # __newobj__(cls, "id")
        g0("mypackage.models", "Net") + u("id") + TUPLE1 + EMPTY_DICT + TUPLE3,
    ],
    ids=["newobj", "newobj_ex"],
)
def test_unknown_class_through_copyreg_newobj_with_arguments_is_a_call(
    args: bytes, tmp_path: Path
) -> None:
    name = "__newobj__" if args.endswith(b"\x86") else "__newobj_ex__"
    data = PROTO2 + g0("copyreg", name) + args + REDUCE + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


@pytest.mark.parametrize("primitive", ["__newobj__", "_reconstructor"])
def test_construct_primitive_on_a_computed_class_is_an_indirect_call(
    primitive: str, tmp_path: Path
) -> None:
    # the "class" is whatever an allowlisted call returned: not a plain import
    computed = g0("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    args = MARK + computed + g0("__builtin__", "object") + NONE + b"t"
    if primitive == "__newobj__":
        args = computed + TUPLE1
    data = PROTO2 + g0("copyreg", primitive) + args + REDUCE + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert rules["pickle-indirect-call"] is Severity.HIGH
    assert verdict == "malicious"


def test_unknown_class_memoised_and_constructed_twice_is_info(tmp_path: Path) -> None:
    cls = sg("mypackage.models", "Block") + put(1)
    two = MARK + cls + EMPTY_TUPLE + NEWOBJ + get(1) + EMPTY_TUPLE + NEWOBJ + b"l"
    verdict, rules, _ = _scan(tmp_path, PROTO4 + two + STOP)
    assert rules == {"pickle-unknown-class": Severity.INFO}
    assert verdict == "clean"


def test_unknown_class_newobj_ex_without_arguments_is_info(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net") + EMPTY_TUPLE + EMPTY_DICT + NEWOBJ_EX + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-class": Severity.INFO}


# -- called, or not really a construction: at least suspicious -------------------------------
def test_unknown_function_called_with_reduce_stays_suspicious(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.tools", "run") + u("x") + TUPLE1 + REDUCE + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert rules == {"pickle-unknown-global": Severity.MEDIUM}
    assert verdict == "suspicious"


def test_unknown_class_called_with_reduce_stays_suspicious(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net") + u("x") + TUPLE1 + REDUCE + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_function_name_only_constructed_is_judged_as_called(tmp_path: Path) -> None:
    # NEWOBJ on a lower-case name: without importing, a function; never "only a class"
    data = PROTO4 + sg("mypackage.tools", "run_command") + EMPTY_TUPLE + NEWOBJ + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_dunder_new_spelled_as_the_name_is_not_a_class(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net.__new__") + EMPTY_TUPLE + NEWOBJ + STOP
    assert _scan(tmp_path, data)[1] != {"pickle-unknown-class": Severity.INFO}


def test_unknown_class_newobj_with_arguments_stays_suspicious(tmp_path: Path) -> None:
    # cls.__new__(cls, *args) with caller-chosen arguments is a call of the class's code
    data = PROTO4 + sg("mypackage.models", "Net") + u("rm -rf /") + TUPLE1 + NEWOBJ + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_unknown_class_constructed_and_also_left_in_the_data_stays_suspicious(
    tmp_path: Path,
) -> None:
    # one push constructed, a second (memo get) kept as a value: a callable in the model
    cls = sg("mypackage.models", "Net") + put(1)
    data = PROTO4 + MARK + cls + EMPTY_TUPLE + NEWOBJ + get(1) + b"l" + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_reconstructor_args_tuple_reused_as_data_stays_suspicious(tmp_path: Path) -> None:
    args = MARK + g0("mypackage.models", "Net") + g0("__builtin__", "object") + NONE + b"t" + put(1)
    data = MARK + g0("copy_reg", "_reconstructor") + args + REDUCE + get(1) + b"l" + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_constructed_in_one_stream_and_called_in_the_next_stays_suspicious(
    tmp_path: Path,
) -> None:
    first = PROTO4 + sg("mypackage.models", "Net") + EMPTY_TUPLE + NEWOBJ + STOP
    second = PROTO4 + sg("mypackage.models", "Net") + u("x") + TUPLE1 + REDUCE + STOP
    rules = _scan(tmp_path, first + second)[1]
    assert rules["pickle-unknown-global"] is Severity.MEDIUM


def test_module_persistent_id_reused_as_data_stays_suspicious(tmp_path: Path) -> None:
    pid = MARK + u("module") + g0("mypackage.models", "Net") + u("f.py") + u("src") + b"t"
    data = PROTO2 + MARK + pid + BINPERSID + b"l" + STOP
    assert _scan(tmp_path, data)[1] == {"pickle-unknown-global": Severity.MEDIUM}


def test_reconstructor_with_an_unknown_base_calls_the_base(tmp_path: Path) -> None:
    # base.__new__(cls, state) and base.__init__(obj, state) run the base's code
    args = MARK + g0("mypackage.models", "Net") + g0("mypackage.tools", "Runner") + u("id") + b"t"
    data = g0("copy_reg", "_reconstructor") + args + REDUCE + STOP
    verdict, rules, evidence = _scan(tmp_path, data)
    assert rules["pickle-unknown-global"] is Severity.MEDIUM
    assert verdict == "suspicious"
    assert any("mypackage.tools.Runner" in e and "called" in e for e in evidence)


def test_reconstructor_with_a_dangerous_base_is_a_dangerous_call(tmp_path: Path) -> None:
    args = MARK + g0("mypackage.models", "Net") + g0("subprocess", "Popen") + u("id") + b"t"
    data = g0("copy_reg", "_reconstructor") + args + REDUCE + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert rules["pickle-dangerous-call"] is Severity.CRITICAL
    assert verdict == "malicious"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("subprocess", "Popen"),  # a class: constructing it runs a command
        ("os", "_wrap_close"),
        ("posix", "DirEntry"),
        ("asyncio.subprocess", "Process"),
        ("logging", "FileHandler"),  # opens (truncates) a file when constructed
        ("torch.hub", "Anything"),  # any class in a dangerous module
    ],
)
def test_dangerous_class_only_constructed_is_malicious(
    module: str, name: str, tmp_path: Path
) -> None:
    data = PROTO4 + sg(module, name) + EMPTY_TUPLE + NEWOBJ + _state() + BUILD + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert verdict == "malicious"
    assert rules["pickle-dangerous-call"] is Severity.CRITICAL
    assert "pickle-unknown-class" not in rules


def test_build_setting_setstate_on_a_constructed_class_is_high(tmp_path: Path) -> None:
    data = (
        PROTO4 + sg("mypackage.models", "Net") + EMPTY_TUPLE + NEWOBJ + _state("__setstate__")
        + BUILD + STOP
    )  # fmt: skip
    verdict, rules, _ = _scan(tmp_path, data)
    assert rules["pickle-build-dunder"] is Severity.HIGH
    assert verdict == "malicious"


def test_build_on_the_class_itself_is_high(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net") + _state() + BUILD + STOP
    assert _scan(tmp_path, data)[1]["pickle-build-global"] is Severity.HIGH


def test_constructed_class_used_as_a_callable_after_construction(tmp_path: Path) -> None:
    # Net() then Net()(...): a call on the constructed object is an indirect call
    obj = sg("mypackage.models", "Net") + EMPTY_TUPLE + NEWOBJ
    data = PROTO4 + obj + u("x") + TUPLE1 + REDUCE + STOP
    assert _scan(tmp_path, data)[1]["pickle-indirect-call"] is Severity.HIGH


def test_discarded_construction_of_unknown_class_is_not_info_only(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net") + u("x") + TUPLE1 + NEWOBJ + POP + NONE + STOP
    verdict, rules, _ = _scan(tmp_path, data)
    assert verdict == "malicious"
    assert rules["pickle-discarded-call"] is Severity.HIGH
    assert rules["pickle-discarded-call"] is Severity.HIGH


def test_dangerous_name_first_even_when_a_library_pickles_it() -> None:
    # torch pickles storages through torch.storage._load_from_bytes: the generator saw it,
    # the list does not hold it, and it stays dangerous (a nested loader)
    assert classify_global("torch.storage", "_load_from_bytes") is GlobalClass.DANGEROUS
    assert classify_global("builtins", "getattr") is GlobalClass.DANGEROUS


# -- project policy -------------------------------------------------------------------------
def _policy(allow: list[str] = (), deny: list[str] = ()) -> ArtifactsPolicy:  # type: ignore[assignment]
    return parse_policy(
        {"artifacts": {"allow_globals": list(allow), "deny_globals": list(deny)}}
    ).artifacts


def test_policy_allowed_function_is_reported_as_allowed(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.tools", "make_model") + u("x") + TUPLE1 + REDUCE + STOP
    verdict, rules, evidence = _scan(tmp_path, data, _policy(allow=["mypackage"]))
    assert rules == {"pickle-policy-allowed": Severity.INFO}
    assert verdict == "clean"
    assert "artifacts.allow_globals" in evidence[0] and "'mypackage'" in evidence[0]


def test_policy_allow_of_an_exact_name_does_not_cover_its_neighbours(tmp_path: Path) -> None:
    call = u("x") + TUPLE1 + REDUCE
    data = PROTO4 + MARK + sg("mypackage.tools", "make_model") + call
    data += sg("mypackage.tools", "make_modelx") + call + b"l" + STOP
    rules = _scan(tmp_path, data, _policy(allow=["mypackage.tools.make_model"]))[1]
    assert rules == {
        "pickle-policy-allowed": Severity.INFO,
        "pickle-unknown-global": Severity.MEDIUM,
    }


@pytest.mark.parametrize(
    ("module", "name", "allow"),
    [
        ("os", "system", "os"),
        ("posix", "system", "posix"),
        ("builtins", "exec", "builtins"),
        ("subprocess", "Popen", "subprocess.Popen"),
        ("mypackage", "os.system", "mypackage"),  # a dotted escape through an allowed module
    ],
)
def test_policy_allow_never_unflags_a_dangerous_name(
    module: str, name: str, allow: str, tmp_path: Path
) -> None:
    data = PROTO4 + sg(module, name) + u("id") + TUPLE1 + REDUCE + STOP
    verdict, rules, _ = _scan(tmp_path, data, _policy(allow=[allow]))
    assert verdict == "malicious"
    assert "pickle-dangerous-call" in rules and "pickle-policy-allowed" not in rules


def test_policy_deny_beats_allow(tmp_path: Path) -> None:
    data = PROTO4 + sg("mypackage.models", "Net") + EMPTY_TUPLE + NEWOBJ + STOP
    policy = _policy(allow=["mypackage"], deny=["mypackage.models"])
    verdict, rules, evidence = _scan(tmp_path, data, policy)
    assert rules == {"pickle-policy-denied": Severity.HIGH}
    assert verdict == "malicious"
    assert "artifacts.deny_globals" in evidence[0]


def test_policy_deny_applies_to_an_allowlisted_name(tmp_path: Path) -> None:
    data = PROTO4 + sg("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + STOP
    assert _scan(tmp_path, data)[1] == {}
    rules = _scan(tmp_path, data, _policy(deny=["collections.OrderedDict"]))[1]
    assert rules == {"pickle-policy-denied": Severity.HIGH}


@pytest.mark.parametrize("pattern", ["os system", "mypackage.", ".x", "a..b", "*", "a.b*", ""])
def test_policy_schema_rejects_a_pattern_that_is_not_a_dotted_name(pattern: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy({"artifacts": {"allow_globals": [pattern]}})
    with pytest.raises(PolicyError):
        parse_policy({"artifacts": {"deny_globals": [pattern]}})


def test_policy_section_is_in_the_json_schema() -> None:
    import json

    from aisec.core.policy import policy_schema

    schema = json.loads(policy_schema())
    assert "artifacts" in schema["properties"]
    assert "allow_globals" in json.dumps(schema["$defs"]["ArtifactsPolicy"])


def test_cli_scan_reads_the_artifacts_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.cli.main import main

    model = tmp_path / "model.pkl"
    model.write_bytes(
        PROTO4 + sg("mypackage.tools", "make_model") + u("x") + TUPLE1 + REDUCE + STOP
    )
    assert main(["scan", str(model), "--fail-on", "medium", "-q"]) == 1
    policy = tmp_path / "aisec.yaml"
    access = "access:\n  default_role: ml-engineer\n"  # a policy file brings access rules
    policy.write_text(access + "artifacts:\n  allow_globals: [mypackage.tools]\n")
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    assert main(["scan", str(model), "--fail-on", "medium", "-q"]) == 0
    deny = "artifacts:\n  allow_globals: [mypackage.tools]\n  deny_globals: [mypackage]\n"
    policy.write_text(access + deny)
    assert main(["scan", str(model), "--fail-on", "high", "-q"]) == 1
