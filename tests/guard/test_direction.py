"""One ``Direction``: the policy, the guard and the CLI share the enum in ``aisec.core.policy``,
and no module spells the directions as string literals it compares against."""

from __future__ import annotations

import ast
from pathlib import Path

import aisec
import aisec.core.policy
import aisec.guard
from aisec.core.policy import Direction, parse_policy
from aisec.guard import Engine

SRC = Path(aisec.__file__).resolve().parent
VALUES = {d.value for d in Direction}
HOME = SRC / "core" / "policy" / "_guard.py"


def test_guard_and_policy_share_one_direction() -> None:
    assert aisec.guard.Direction is aisec.core.policy.Direction
    policy = parse_policy({"guard": {"scanners": [{"name": "pii", "directions": ["output"]}]}})
    (entry,) = policy.guard.scanners
    assert entry.directions == [Direction.OUTPUT]
    assert type(entry.directions[0]) is Direction
    engine = Engine(policy.guard)
    assert engine.scanners == [("pii", "block", ["output"])]


def _literal_strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)} & VALUES
    return set()


def test_no_module_defines_or_compares_its_own_directions() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and path != HOME:
                members = {
                    s.value.value
                    for s in node.body
                    if isinstance(s, ast.Assign)
                    and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                }
                if {"input", "output", "tool_result"} <= members:
                    bad.append(f"{path.relative_to(SRC)}:{node.lineno} class {node.name}")
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                spelled = set().union(*(_literal_strings(n) for n in sides))
                if spelled & {"output", "document", "tool_result"}:
                    bad.append(f"{path.relative_to(SRC)}:{node.lineno} compares {spelled}")
            if (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and node.value is not None
                and _literal_strings(node.value) >= {"input", "output", "tool_result"}
            ):
                bad.append(f"{path.relative_to(SRC)}:{node.lineno} spells the directions")
    assert bad == []
