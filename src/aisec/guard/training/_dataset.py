"""The training corpus: the shared prompt-injection files, a fixed dev split, generated data.

The dev split is drawn first (stratified by file, source and label, fixed seed) and never
trained on; generated examples for each split are built only from that split's rows.
Plain harmful requests (label 1 in the shared data) are kept as rows, as the shared README
labels them; BIPIA's injected task instructions are only used inside generated documents,
since on their own ("What is the capital of Brazil?") they are ordinary questions;
``injecguard_valid.jsonl`` is evaluation-only and never enters either split.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from aisec.core.errors import InputError
from aisec.core.inputs import read_bounded
from aisec.guard._normalise import normalise
from aisec.guard.training._augment import Example, generate, generate_train_extra
from aisec.guard.training._augment_broad import generate_broad
from aisec.guard.training._augment_gaps import generate_gaps
from aisec.guard.training._augment_howto import generate_benign_twins
from aisec.guard.training._augment_lang import generate_multilingual
from aisec.guard.training._groups import group_keys, held_out

__all__ = ["EVAL_ONLY", "Corpus", "build_corpus", "read_jsonl"]

EVAL_ONLY = "injecguard_valid.jsonl"
_DIRECT = (
    "deepset_train.jsonl",
    "jackhhao_jailbreak_train.jsonl",
    "extra_attacks.jsonl",
    "extra_benign.jsonl",
)
# the second shared release: split by group (``_suite.held_out``), the held-out groups are
# the dev suite's; file -> most rows kept for training (None: all)
_V2: dict[str, int | None] = {
    "embedded_train_v2.jsonl": None,
    "agent_injections_v2.jsonl": None,
    "jailbreaks_v2.jsonl": None,
    "harmful_requests_v2.jsonl": None,
    "chat_benign_v2.jsonl": 6000,
    "documents_benign_v2.jsonl": None,
}
# BIPIA's task-hijack categories are ordinary requests on their own ("What is the capital
# of Brazil?"): a bag of n-grams cannot tell them from a user's question, so injected
# copies that carry them are not trained on (their clean twins still are)
_STANDALONE_BENIGN = frozenset(
    {
        "Information Retrieval",
        "Content Creation",
        "Learning and Tutoring",
        "Language Translation",
        "Programming Help",
    }
)
_INSTRUCTIONS = "bipia_attack_instructions_train.jsonl"
_HARMFUL = "harmful_requests.jsonl"
_MAX_ROW_CHARS = 20_000
_MAX_FILE_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class Corpus:
    train: list[Example]
    dev: list[Example]


def read_jsonl(
    path: Path, text_field: str = "text", label_field: str = "label"
) -> list[tuple[str, int, dict[str, object]]]:
    """Rows of a JSONL file as (text, label, row); a clear error names the bad line."""
    try:
        lines = read_bounded(path, _MAX_FILE_BYTES, "data").decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    rows: list[tuple[str, int, dict[str, object]]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        text, label = row.get(text_field), row.get(label_field)
        if not isinstance(text, str):
            raise InputError(f"{path}:{number}: field {text_field!r} is missing or not text")
        if label not in (0, 1, True, False, "0", "1"):
            raise InputError(f"{path}:{number}: field {label_field!r} must be 0 or 1")
        rows.append((text, int(label), row))
    return rows


def _split(
    rows: list[tuple[str, int, str]], rng: random.Random, share: float
) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    groups: dict[tuple[str, int], list[tuple[str, int, str]]] = defaultdict(list)
    for row in rows:
        groups[(row[2], row[1])].append(row)
    train: list[tuple[str, int, str]] = []
    dev: list[tuple[str, int, str]] = []
    for key in sorted(groups):
        items = groups[key]
        rng.shuffle(items)
        k = round(len(items) * share)
        dev += items[:k]
        train += items[k:]
    return train, dev


def _v2_train_rows(data_dir: Path, seen: set[str], seed: int) -> tuple[list[Example], list[str]]:
    """Training-side groups of the ``*_v2`` files (absent files are skipped)."""
    rng = random.Random(seed + 2)  # noqa: S311 - reproducible sample, not secrets
    out: list[Example] = []
    harmful: list[str] = []
    for name, cap in _V2.items():
        path = data_dir / name
        if not path.is_file():
            continue
        rows = read_jsonl(path)
        keys = group_keys(name, rows)
        kept = [
            i
            for i, ((text, _, _), key) in enumerate(zip(rows, keys, strict=True))
            if not held_out(key) and normalise(text).folded not in seen
        ]
        if cap is not None and len(kept) > cap:
            kept = sorted(rng.sample(kept, cap))
        stem = name.removesuffix(".jsonl")
        twins = _clean_lines(rows, keys)
        for i in kept:
            (text, label, row), key = rows[i], keys[i]
            source = str(row.get("source", ""))
            if label == 1 and source.rsplit("attack=", 1)[-1] in _STANDALONE_BENIGN:
                continue
            origin = source.split("@", 1)[0]
            inserted = _inserted(text, twins.get(key)) if label == 1 else None
            if inserted is not None:
                # documents are not prompts: the positive is what was inserted, not the
                # document (the clean twin, in training too, teaches that the rest is benign)
                out.append(Example(inserted, 1, f"{stem}:inserted:{origin}"))
            else:
                out.append(Example(text[:_MAX_ROW_CHARS], label, f"{stem}:{origin}"))
            if stem.startswith("harmful"):
                harmful.append(text)
    return out, harmful


def _clean_lines(
    rows: list[tuple[str, int, dict[str, object]]], keys: list[str]
) -> dict[str, set[str]]:
    """Group -> the stripped lines of its clean documents."""
    out: dict[str, set[str]] = defaultdict(set)
    for (text, label, _), key in zip(rows, keys, strict=True):
        if label == 0 and not key.startswith("row:"):
            out[key] |= {line.strip() for line in text.split("\n") if line.strip()}
    return out


def _inserted(text: str, clean: set[str] | None) -> str | None:
    """The lines of an injected document that its clean twin lacks, with one line of the
    document on each side (cut to 150 characters): an instruction inside data, not the
    instruction alone (BIPIA's "Describe the lifecycle of a butterfly." is an ordinary
    question on its own). None: no twin, or nothing short enough to be an insertion."""
    if not clean:
        return None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    new = [i for i, line in enumerate(lines) if line not in clean]
    if not new:
        return None
    lo, hi = max(new[0] - 1, 0), min(new[-1] + 1, len(lines) - 1)
    window = [line if i in new else line[:150] for i, line in enumerate(lines) if lo <= i <= hi]
    joined = "\n".join(window)
    return joined if len(joined) < 0.8 * len(text) else None


def build_corpus(
    data_dir: Path,
    seed: int = 1337,
    dev_share: float = 0.18,
    generated: int = 1500,
    extra: int = 0,
    gaps: int = 0,
    exclude: frozenset[str] = frozenset(),
    broad: int = 0,
) -> Corpus:
    """Load, deduplicate, split and augment; the same arguments give the same corpus.

    ``extra``: rounds of the train-only generated families (long benign role prompts,
    token-soup suffixes, more carriers, and a third as many rounds of injections and
    benign requests in other languages, and as many of benign how-to and trigger-word
    requests);
    they never touch the dev split. ``gaps``: rounds of ``_augment_gaps`` (train only);
    ``broad``: rounds of ``_augment_broad`` (train only, with ``extra``).
    The ``*_v2`` files, when present, add their training-side groups (the held-out groups
    are the dev suite's). ``exclude``: normalised texts never to train on (the dev
    suite's)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible split, not secrets
    seen: set[str] = set()
    direct: list[tuple[str, int, str]] = []
    for name in _DIRECT:
        for text, label, row in read_jsonl(data_dir / name):
            key = normalise(text).folded
            if not key or key in seen:
                continue
            seen.add(key)
            source = f"{name.removesuffix('.jsonl')}:{row.get('source', '')}"
            direct.append((text[:_MAX_ROW_CHARS], label, source))
    for text, label, _ in read_jsonl(data_dir / _HARMFUL):
        key = normalise(text).folded
        if key and key not in seen:
            seen.add(key)
            direct.append((text, label, "harmful_requests:"))
    instructions = [t for t, _, _ in read_jsonl(data_dir / _INSTRUCTIONS)]
    train_rows, dev_rows = _split(direct, rng, dev_share)
    rng.shuffle(instructions)
    k_i = round(len(instructions) * dev_share)

    def _harmful(rows: list[tuple[str, int, str]]) -> list[str]:
        return [t for t, _, s in rows if s.startswith("harmful_requests")]

    def _examples(rows: list[tuple[str, int, str]]) -> list[Example]:
        return [Example(t, y, s) for t, y, s in rows]

    def _gen(
        rows: list[tuple[str, int, str]], dev: bool, inst: list[str], harm: list[str]
    ) -> list[Example]:
        benign = [t for t, y, _ in rows if y == 0 and len(t) < 2000]
        injections = [
            t
            for t, y, s in rows
            if y == 1 and len(t) < 800 and "jackhhao" not in s and "harmful" not in s
        ]
        n = max(1, round(generated * dev_share)) if dev else generated
        out = generate(
            dev=dev,
            seed=seed + (1 if dev else 0),
            benign=benign,
            injections=injections,
            instructions=inst,
            harmful=harm,
            n=n,
        )
        unique: list[Example] = []
        for ex in out:
            key = normalise(ex.text).folded
            if key not in seen:
                seen.add(key)
                unique.append(ex)
        return unique

    dev = _examples(dev_rows) + _gen(dev_rows, True, instructions[:k_i], _harmful(dev_rows))
    train = _examples(train_rows) + _gen(
        train_rows, False, instructions[k_i:], _harmful(train_rows)
    )
    if extra:
        more = generate_train_extra(
            seed=seed,
            benign=[t for t, y, _ in train_rows if y == 0 and len(t) < 2000],
            injections=[
                t
                for t, y, s in train_rows
                if y == 1 and len(t) < 800 and "jackhhao" not in s and "harmful" not in s
            ],
            harmful=_harmful(train_rows),
            n=extra,
        )
        more += generate_multilingual(seed, extra // 3)
        more += generate_benign_twins(seed, extra)
        v2_rows, v2_harmful = _v2_train_rows(data_dir, seen, seed)
        more += v2_rows
        if gaps:
            more += generate_gaps(seed, _harmful(train_rows) + v2_harmful, gaps)
        if broad:
            more += generate_broad(seed, [t for t, y, _ in train_rows if y == 0], broad)
        for ex in more:
            key = normalise(ex.text).folded
            if key not in seen:
                seen.add(key)
                train.append(ex)
    if exclude:  # after the split, so that the dev split stays what it was
        train = [e for e in train if normalise(e.text).folded not in exclude]
    return Corpus(train, dev)
