"""Split groups of the shared ``*_v2`` files: which rows must stay on one side of a split
(a document and its injected copies, an agent tool, an optimised suffix), and which side a
group is on (a stable hash, the same in every process). Training (``_dataset``) and the dev
suite (``_suite``, ``benchmarks/guard/devsuite/build.py``) both use it."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

__all__ = ["HELD_OUT_SHARE", "group_keys", "held_out"]

HELD_OUT_SHARE = 0.2
_SALT = "aisec-devsuite-v1|"


def held_out(group: str, share: float = HELD_OUT_SHARE) -> bool:
    """Whether a group sits on the dev side: a stable hash, the same in every process."""
    digest = hashlib.blake2b((_SALT + group).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 < share * 10_000


def _bipia_groups(rows: Sequence[tuple[str, int, dict[str, object]]]) -> list[str]:
    """BIPIA: an injected document joins the clean document it shares most lines with."""
    by_line: dict[str, set[int]] = defaultdict(set)
    for i, (text, label, _) in enumerate(rows):
        if label == 0:
            for line in text.split("\n"):
                line = line.strip()
                if len(line) > 20:
                    by_line[line].add(i)
    keys: list[str] = []
    for i, (text, label, _) in enumerate(rows):
        if label == 0:
            keys.append(f"bipia:{i}")
            continue
        votes: Counter[int] = Counter()
        for line in {x.strip() for x in text.split("\n")}:
            for j in by_line.get(line, ()):
                votes[j] += 1
        keys.append(f"bipia:{votes.most_common(1)[0][0]}" if votes else f"bipia:row:{text}")
    return keys


def _agent_group(source: str, text: str) -> str:
    path = source.split(":", 1)[-1]
    if "all_attack_tools" in path or "all_normal_tools" in path or "agent_task" in path:
        # Agent Security Bench: one tool (attack or normal) or one agent is one group
        return "asb:" + path.rsplit(";", 1)[-1].rsplit("#", 1)[-1]
    if "#" in path:
        # AgentDojo: an environment record with and without its injection; an injection
        # task in all its attack templates
        return "agentdojo:" + path.split(";", 1)[0]
    return "row:" + text


def group_keys(name: str, rows: Sequence[tuple[str, int, dict[str, object]]]) -> list[str]:
    """The split group of every row of the shared file ``name``."""
    if name.startswith("embedded_train"):
        return _bipia_groups(rows)
    keys: list[str] = []
    for text, _, row in rows:
        source = str(row.get("source", ""))
        if name.startswith("agent_injections"):
            keys.append(_agent_group(source, text))
        elif name.startswith("jailbreaks") and "gcg" in source:
            # the same optimised suffix on several goals: keep a suffix on one side
            keys.append("suffix:" + text[-30:])
        else:
            keys.append("row:" + text)
    return keys
