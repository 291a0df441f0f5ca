"""Every regular expression in ``src/aisec`` runs in linear time on adversarial input.

Patterns are collected two ways: compiled ``re.Pattern`` objects reachable from module
globals and class attributes (also inside tuples, dicts and frozen dataclasses, e.g. the
guard's rule tables), and literal patterns passed to ``re.compile/search/match/...`` calls
found by reading each module's AST (patterns compiled inside functions).

Inputs are built from each pattern's own syntax tree (``re._parser``), the way ReDoS
finders do: for every repeated sub-pattern, a prefix that leads the engine into it (a
sample match of what precedes it), the repeated body pumped ``k`` times (several samples of
it: each alternative, several members of a class), then a character that makes the match
fail, which is what forces backtracking. The whole pattern's sample is pumped too (many
matches in one text, as in a long response full of phone-like numbers).

Work is measured as the minimum over repeats of the CPU time (``time.thread_time``) of one
``finditer`` pass (a search on text with no match, all matches otherwise); CPU time, not
wall time, so that other processes on a shared machine do not inflate long runs. Two
checks, with margins wide enough not to flake on a busy machine: (1) on short inputs
(under 600 characters, where any linear pattern takes microseconds) no run may take
50 ms - this catches exponential blow-up before it hangs the test; (2) from ~2,000 to
~16,000 characters (eight times the input) the work may grow at most 20-fold (linear: 8x,
quadratic: 64x); growth past 20x is confirmed over the next 4x (to ~64,000 characters: a
bounded window rescanned at every position grows fast only while the input is a few
windows long) when the run was short or the growth under 40x, and every failure is
re-measured once; runs under 1 ms at 16,000 characters pass outright, and a run over
50 ms at 2,000 characters fails outright.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import itertools
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import aisec

_parser: Any = importlib.import_module("re._parser")
_const: Any = importlib.import_module("re._constants")

SRC = Path(aisec.__file__).parent
RE_CALLS = frozenset({"compile", "search", "match", "fullmatch", "findall", "finditer", "sub",
                      "subn", "split"})  # fmt: skip
MAX_ATTACKS = 16
SHORT_LIMIT_S = 0.05
SMALL_LIMIT_S = 0.05
CONFIRM_LIMIT_S = 0.25
SUFFIX = "\x00"

# Patterns outside the guard's tool/limit code that are super-linear today. They belong to
# other parts of the package and are reported, not fixed here (see the issue tracker).
KNOWN_SUPERLINEAR: dict[str, str] = {
    "aisec.artifacts.templates._lexer:_TAG_RULES[1][1]": "jinja2's float rule "
    "(\\d+_)*\\d+(\\.(\\d+_)*\\d+)?e...: 4-7x the time per doubling of '0_0_...'",
}


# --- collecting patterns ----------------------------------------------------------------------


def _modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(aisec.__path__, "aisec."):
        if info.name.endswith(("__main__", ".migrations.env")) or ".migrations." in info.name:
            continue
        yield importlib.import_module(info.name)


def _patterns_in(value: object, name: str, depth: int = 0) -> Iterator[tuple[str, re.Pattern[Any]]]:
    if isinstance(value, re.Pattern):
        yield name, value
    elif depth >= 4:
        return
    elif isinstance(value, tuple | list | frozenset | set):
        for i, item in enumerate(list(value)[:500]):
            yield from _patterns_in(item, f"{name}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in list(value.items())[:500]:
            yield from _patterns_in(item, f"{name}[{key!r}]", depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _patterns_in(getattr(value, f.name, None), f"{name}.{f.name}", depth + 1)


def _literal_patterns(module: Any) -> Iterator[tuple[str, re.Pattern[Any]]]:
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py"):
        return
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RE_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str | bytes)
        ):
            continue
        flags = 0
        for kw in node.keywords:
            if kw.arg == "flags" and isinstance(kw.value, ast.Attribute):
                flags |= getattr(re, kw.value.attr, 0)
        try:
            yield f"line {node.lineno}", re.compile(node.args[0].value, flags)
        except re.error:
            continue


def _collect() -> dict[str, re.Pattern[Any]]:
    found: dict[str, re.Pattern[Any]] = {}
    seen: set[tuple[object, int]] = set()

    def add(where: str, pattern: re.Pattern[Any]) -> None:
        key = (pattern.pattern, pattern.flags)
        if key not in seen:
            seen.add(key)
            found[where] = pattern

    for module in _modules():
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for attr, item in vars(value).items():
                    for where, p in _patterns_in(item, f"{name}.{attr}"):
                        add(f"{module.__name__}:{where}", p)
            else:
                for where, p in _patterns_in(value, name):
                    add(f"{module.__name__}:{where}", p)
        for where, p in _literal_patterns(module):
            add(f"{module.__name__}:{where}", p)
    return found


PATTERNS = _collect()


# --- building adversarial inputs from the pattern --------------------------------------------

_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_LINEBREAK": "\n",
    "CATEGORY_NOT_LINEBREAK": "a",
}
_PROBES = "a0 -!/.Z_\t\n\x01\u00e9"


def _in_class(items: list[tuple[Any, Any]], ch: str) -> bool:
    negate = False
    hit = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit |= ord(ch) == av
        elif name == "RANGE":
            hit |= av[0] <= ord(ch) <= av[1]
        elif name == "CATEGORY":
            probe = _CATEGORY_SAMPLES.get(str(av))
            pat = {
                "CATEGORY_DIGIT": r"\d",
                "CATEGORY_NOT_DIGIT": r"\D",
                "CATEGORY_SPACE": r"\s",
                "CATEGORY_NOT_SPACE": r"\S",
                "CATEGORY_WORD": r"\w",
                "CATEGORY_NOT_WORD": r"\W",
            }.get(str(av))
            hit |= bool(pat and re.fullmatch(pat, ch)) or (probe == ch and pat is None)
    return hit != negate


def _class_members(items: list[tuple[Any, Any]], limit: int) -> list[str]:
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "RANGE":
            out.append(chr(av[0]))
        elif name == "CATEGORY" and str(av) in _CATEGORY_SAMPLES:
            out.append(_CATEGORY_SAMPLES[str(av)])
    out += [c for c in _PROBES if c not in out]
    return [c for c in out if _in_class(items, c)][:limit] or ["a"]


def _options(node: tuple[Any, Any], limit: int) -> list[str]:
    """A few strings that ``node`` matches (the first is its plain sample)."""
    op, av = node
    name = str(op)
    if name == "LITERAL":
        return [chr(av)]
    if name == "NOT_LITERAL":
        return ["a" if av != ord("a") else "b"]
    if name == "ANY":
        return ["a"]
    if name == "IN":
        return _class_members(av, limit)
    if name == "BRANCH":
        out: list[str] = []
        for alt in av[1]:
            out += _variants(alt, 1)
        return out[: max(limit, 4)]
    if name in ("SUBPATTERN", "ATOMIC_GROUP"):
        return _variants(av[-1], limit)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, body = av
        return [v * low for v in _variants(body, limit)] if low else [""]
    if name == "GROUPREF_EXISTS":
        return _variants(av[1], limit)
    return [""]  # AT, ASSERT, ASSERT_NOT, GROUPREF: zero width here


def _variants(seq: Any, limit: int) -> list[str]:
    parts = [_options(node, limit) for node in seq]
    out: list[str] = []
    for combo in itertools.product(*parts):
        out.append("".join(combo))
        if len(out) >= limit:
            break
    return out or [""]


def _sample(seq: Any) -> str:
    return _variants(seq, 1)[0]


def _attacks(seq: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    for i, (op, av) in enumerate(seq):
        name = str(op)
        before = prefix + _sample(seq[:i])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _low, high, body = av
            if high == _const.MAXREPEAT or high > 8:
                for pump in _variants(body, 4):
                    if pump:
                        yield before, pump
                # two alternatives in turn (overlapping alternatives backtrack)
                both = _variants(body, 2)
                if len(both) == 2 and all(both):
                    yield before, both[0] + both[1]
            yield from _attacks(body, before)
        elif name == "BRANCH":
            for alt in av[1]:
                yield from _attacks(alt, before)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP", "ASSERT", "ASSERT_NOT"):
            yield from _attacks(av[-1], before)


def attacks_for(pattern: re.Pattern[Any]) -> list[tuple[str, str]]:
    tree = _parser.parse(
        pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1"),
        pattern.flags & ~re.UNICODE if isinstance(pattern.pattern, bytes) else pattern.flags,
    )
    whole = _variants(list(tree), 2)
    out: list[tuple[str, str]] = [("", w + " ") for w in whole if w]
    for attack in _attacks(list(tree)):
        if attack not in out:
            out.append(attack)
        if len(out) >= MAX_ATTACKS:
            break
    return out


# --- measuring ----------------------------------------------------------------------------------


def _runner(pattern: re.Pattern[Any]) -> Callable[[str], float]:
    is_bytes = isinstance(pattern.pattern, bytes)

    def run(text: str) -> float:
        data: Any = text.encode("latin-1", "replace") if is_bytes else text
        # CPU time of this thread: a run preempted on a busy machine is not charged for
        # the time other processes held the core (wall time grew ~3x per 4x input there)
        started = time.thread_time()
        for _ in pattern.finditer(data):
            pass
        return time.thread_time() - started

    return run


def _best(run: Callable[[str], float], text: str, repeats: int) -> float:
    return min(run(text) for _ in range(repeats))


def superlinear(pattern: re.Pattern[Any]) -> str | None:
    """Why ``pattern`` is not linear on some input built from it, or None."""
    run = _runner(pattern)
    for prefix, pump in attacks_for(pattern):
        k = 1
        while len(prefix) + len(pump) * k < 600:
            text = prefix + pump * k + SUFFIX
            if run(text) > SHORT_LIMIT_S:
                return f"{len(text)} chars ({prefix[:20]!r} + {pump[:20]!r}*{k}) took > 50 ms"
            k += max(1, k // 8)  # small steps: an exponential pattern overshoots 50 ms little
        k1 = max(1, 2000 // len(pump))
        small = prefix + pump * k1 + SUFFIX
        large = prefix + pump * (8 * k1) + SUFFIX
        for repeats in (2, 5):
            t_small = _best(run, small, repeats)
            if t_small > SMALL_LIMIT_S:
                return f"{len(small)} chars ({prefix[:20]!r} + {pump[:20]!r}*{k1}) took > 50 ms"
            t_large = _best(run, large, repeats)
            if t_large < 0.001 or t_large <= 20 * t_small + 0.0005:
                break
            # a bounded window rescanned at each position grows faster than 8x while the
            # input is shorter than a few windows: confirm over the next 4x before failing
            if t_large < 0.05 or (t_large < CONFIRM_LIMIT_S and t_large < 40 * t_small):
                larger = prefix + pump * (32 * k1) + SUFFIX
                if _best(run, larger, 2) <= 8 * t_large + 0.0005:
                    break
        else:
            return (
                f"8x input ({prefix[:20]!r} + {pump[:20]!r}*{8 * k1}) took "
                f"{t_large / max(t_small, 1e-9):.0f}x the time ({t_small * 1e3:.2f} ms -> "
                f"{t_large * 1e3:.2f} ms)"
            )
    return None


# --- the tests ---------------------------------------------------------------------------------


def test_patterns_are_found() -> None:
    # the collection must see the guard's tables and module-level patterns, not silently none
    assert len(PATTERNS) > 100
    assert any(w.startswith("aisec.guard._tools:") for w in PATTERNS)
    assert any(w.startswith("aisec.guard._rules:RULES") for w in PATTERNS)


def test_the_harness_catches_exponential_and_quadratic_patterns() -> None:
    # the shape of the SQL pattern fixed in issue 20, and a quadratic search
    assert superlinear(re.compile(r"(?i)\bunion\b(?:\s|/\*.{0,200}?\*/)+select\b")) is not None
    assert superlinear(re.compile(r"(?:a|a)+b")) is not None
    assert superlinear(re.compile(r"\d+(?:[ -]?\d+)*x")) is not None
    assert superlinear(re.compile(r"[a-z]+@")) is not None  # quadratic search
    assert superlinear(re.compile(r"\bunion\s+select\b")) is None
    assert superlinear(re.compile(r"[a-z]{1,20}@")) is None


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_pattern_runs_in_linear_time(where: str) -> None:
    if where in KNOWN_SUPERLINEAR:
        pytest.xfail(KNOWN_SUPERLINEAR[where])
    problem = superlinear(PATTERNS[where])
    assert problem is None, f"{where}: {PATTERNS[where].pattern[:80]!r}: {problem}"
