"""Near-duplicate texts: MinHash signatures of word shingles, banded LSH, verified pairs.

Each text becomes a set of shingles (word bigrams, so one word changed in a 16-word text
still leaves a Jaccard similarity near 0.8; character 5-grams for texts of fewer than three
words), hashed with CRC-32. A signature is the minimum of ``PERMUTATIONS``
universal hashes ``(a*h + b) mod p`` over the shingles (Broder 1997). Signatures are cut in
``BANDS`` bands; texts sharing a band are candidates (with 16 bands of 4 rows, a pair of
Jaccard 0.7 is a candidate with probability 0.99, one of 0.3 with 0.12), and a candidate
counts when the share of equal signature slots, an estimate of the Jaccard similarity,
reaches the threshold.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt

__all__ = ["near_duplicates"]

PERMUTATIONS = 64
BANDS = 16
_ROWS = PERMUTATIONS // BANDS
_PRIME = np.uint64(4_294_967_291)  # the largest prime below 2**32: a*h stays below 2**64
_CHUNK = 8192
_MAX_SHINGLES = 512  # a text's first 512 shingles: enough to judge, bounded work
_WORD = re.compile(r"\w+")
_rng = np.random.default_rng(20_240_515)
_A = _rng.integers(1, int(_PRIME), PERMUTATIONS, dtype=np.uint64)[:, None]
_B = _rng.integers(0, int(_PRIME), PERMUTATIONS, dtype=np.uint64)[:, None]


def _shingles(text: str) -> list[int]:
    words = _WORD.findall(text.lower())
    if len(words) >= 3:
        grams = [f"{a} {b}" for a, b in pairwise(words)]
    else:
        flat = " ".join(words)
        grams = [flat[i : i + 5] for i in range(max(len(flat) - 4, 1))]
    return [zlib.crc32(g.encode()) for g in grams[:_MAX_SHINGLES]]


def _signatures(texts: Sequence[str | None]) -> npt.NDArray[np.uint32]:
    sig = np.full((len(texts), PERMUTATIONS), np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(texts), _CHUNK):
        hashes: list[int] = []
        owner: list[int] = []
        for i, text in enumerate(texts[start : start + _CHUNK], start):
            if text:
                found = _shingles(text)
                hashes.extend(found)
                owner.extend([i] * len(found))
        if not hashes:
            continue
        h = np.asarray(hashes, dtype=np.uint64)[None, :]
        values = ((_A * h + _B) % _PRIME).astype(np.uint32)  # (PERMUTATIONS, shingles)
        rows = np.asarray(owner)
        cuts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        sig[rows[cuts]] = np.minimum.reduceat(values, cuts, axis=1).T
    return sig


def near_duplicates(texts: Sequence[str | None], threshold: float) -> list[tuple[int, int]]:
    """(row, earlier row it near-duplicates) for each text whose estimated Jaccard
    similarity to an earlier text reaches ``threshold``; empty texts are skipped."""
    if len(texts) < 2:
        return []
    sig = _signatures(texts)
    present = np.flatnonzero(np.asarray([bool(t) for t in texts]))
    best: dict[int, int] = {}
    weights = np.uint64(0x9E3779B97F4A7C15)
    for band in range(BANDS):
        part = sig[present, band * _ROWS : (band + 1) * _ROWS].astype(np.uint64)
        key = np.zeros(len(present), dtype=np.uint64)
        for col in range(_ROWS):
            key = key * weights + part[:, col]
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
        for pos in np.flatnonzero(~starts).tolist():
            row, head = int(present[order[pos]]), int(present[order[first[pos]]])
            if row not in best:
                best[row] = head
    pairs: list[tuple[int, int]] = []
    for row, head in sorted(best.items()):
        if float(np.mean(sig[row] == sig[head])) >= threshold:
            pairs.append((row, head))
    return pairs
