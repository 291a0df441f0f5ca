"""The shipped prompt-injection classifier: hashed n-grams and a linear model, in numpy.

Features are computed on the folded text (see ``_normalise``): character 3-, 4- and 5-grams
and word 1- and 2-grams, hashed with a fixed multiplicative hash (stable across processes,
unlike Python's ``hash``) into ``2**bits`` buckets. Each family's counts are scaled by
1/sqrt(number of n-grams in the family), and the logit is a dot product with the weights.
Everything is vectorised: a 1 KB prompt costs a few dozen microseconds.

Longer texts are also scored per segment (a line, or a window of ``WINDOW`` characters over
a long line) and the highest segment wins, so an instruction hidden in one line of a long
document is not diluted by the rest.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aisec.core.errors import ScanError

__all__ = [
    "CHAR_NGRAMS",
    "FEATURE_VERSION",
    "MIN_SEGMENTED",
    "Featurizer",
    "LinearModel",
    "load_default",
]

FEATURE_VERSION = 1
CHAR_NGRAMS = (3, 4, 5)
WINDOW = 384
SEGMENT_MIN = 48
MIN_SEGMENTED = 160
SEGMENT_PENALTY = 1.0
_FAMILIES = len(CHAR_NGRAMS) + 2  # char n-grams, word unigrams, word bigrams
_MODEL_FILE = "injection_v1.npz"
_MAX_CHARS = 200_000  # longer texts are scored on their first and last parts

U32 = npt.NDArray[np.uint32]
F64 = npt.NDArray[np.float64]

_rng = np.random.default_rng(20260514)  # fixed: the hash must never change between runs
_MULT = (_rng.integers(1, 2**32, size=_FAMILIES + 1, dtype=np.uint64) | 1).astype(np.uint32)
_POS_KEYS = (_rng.integers(1, 2**32, size=64, dtype=np.uint64) | 1).astype(np.uint32)
_PRIME = np.uint32(0x01000193)
_WORD_CHAR = np.zeros(128, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyz0123456789'":
    _WORD_CHAR[ord(_c)] = True


@dataclass(frozen=True, slots=True)
class Features:
    """Hashed feature buckets of one text, per family, with each n-gram's start offset."""

    buckets: tuple[npt.NDArray[np.intp], ...]
    starts: tuple[npt.NDArray[np.intp], ...]
    length: int


class Featurizer:
    """Turns folded text into hashed n-gram buckets (the same code trains and infers)."""

    def __init__(self, bits: int = 20) -> None:
        if not 10 <= bits <= 24:
            raise ValueError("bits must be in 10..24")
        self.bits = bits
        self.dim = 1 << bits
        self._shift = np.uint32(32 - bits)

    def _bucket(self, h: U32, family: int) -> npt.NDArray[np.intp]:
        h = h ^ (h >> np.uint32(15))
        h = h * _MULT[family]
        return (h >> self._shift).astype(np.intp)

    def features(self, text: str) -> Features:
        """Buckets of ``text`` (already folded); texts over the limit keep head and tail."""
        if len(text) > _MAX_CHARS:
            half = _MAX_CHARS // 2
            text = text[:half] + " " + text[-half:]
        padded = f" {text} "
        a = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32)
        buckets: list[npt.NDArray[np.intp]] = []
        starts: list[npt.NDArray[np.intp]] = []
        h = a.copy()
        max_n = max(CHAR_NGRAMS)
        for n in range(2, max_n + 1):
            h = h[:-1] * _PRIME + a[n - 1 :]
            if n in CHAR_NGRAMS:
                buckets.append(self._bucket(h, len(buckets)))
                starts.append(np.arange(h.size, dtype=np.intp))
        # words: runs of ASCII letters/digits/apostrophes or any non-ASCII letter
        is_word = np.where(a < 128, _WORD_CHAR[np.minimum(a, 127)], a > 0x2F)
        edges = np.diff(is_word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
        w_start = np.flatnonzero(edges == 1)
        w_end = np.flatnonzero(edges == -1)
        if w_start.size:
            idx = np.arange(a.size, dtype=np.intp)
            run_start = np.maximum.accumulate(np.where(edges[:-1] == 1, idx, 0))
            pos = np.minimum(idx - run_start, 63)
            contrib = a * _POS_KEYS[pos]
            csum = np.concatenate(([np.uint32(0)], np.cumsum(contrib, dtype=np.uint32)))
            wh = (csum[w_end] - csum[w_start]) ^ (w_end - w_start).astype(np.uint32)
            wh = wh * _MULT[-1]
            buckets.append(self._bucket(wh, len(CHAR_NGRAMS)))
            starts.append(w_start)
            if wh.size > 1:
                bh = (wh[:-1] ^ (wh[:-1] >> np.uint32(13))) * _PRIME + wh[1:]
                buckets.append(self._bucket(bh, len(CHAR_NGRAMS) + 1))
                starts.append(w_start[:-1])
        return Features(tuple(buckets), tuple(starts), a.size)

    def rows(self, text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Sparse row of ``text``: bucket indices and values (for training)."""
        f = self.features(text)
        vals = [np.full(b.size, 1.0 / np.sqrt(max(b.size, 1)), np.float32) for b in f.buckets]
        if not f.buckets:
            return np.zeros(0, np.intp), np.zeros(0, np.float32)
        return np.concatenate(f.buckets), np.concatenate(vals)


_UNIT = re.compile(r"[^\n.!?]*(?:[.!?]+(?=\s|$)|\n|$)|[.!?]+")


def _segments(text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Character spans (in the padded text) of sentences and lines; short ones join the
    next, and long ones are cut into half-overlapping windows."""
    lo: list[int] = []
    hi: list[int] = []
    start = 1  # the featurizer pads one space in front
    end = 1
    for m in _UNIT.finditer(text):
        if m.end() == m.start():
            continue
        end = m.end() + 1
        if end - start >= SEGMENT_MIN:
            if end - start > WINDOW:
                step = WINDOW // 2
                for s in range(start, end - step, step):
                    lo.append(s)
                    hi.append(min(s + WINDOW, end))
            else:
                lo.append(start)
                hi.append(end)
            start = end
    if start < end and lo:
        hi[-1] = end
    return np.asarray(lo, dtype=np.intp), np.asarray(hi, dtype=np.intp)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights over hashed features, a bias, and the decision threshold chosen in training."""

    weights: npt.NDArray[np.float32]
    bias: float
    threshold: float
    featurizer: Featurizer
    meta: dict[str, str]

    def logit(self, text: str, windows: bool = True) -> float:
        """Logit of ``text`` being an injection; with ``windows``, the highest of the whole
        text and of its segments (lines, and windows over long lines)."""
        return self._logit(self.featurizer.features(text), text if windows else None)

    def _logit(self, f: Features, text: str | None) -> float:
        w = self.weights
        total = self.bias
        contribs: list[F64] = []
        for b in f.buckets:
            c = w[b].astype(np.float64)
            contribs.append(c)
            if b.size:
                total += float(c.sum()) / np.sqrt(b.size)
        if text is None or len(text) < MIN_SEGMENTED:
            return total
        lo, hi = _segments(text)
        if lo.size <= 1:
            return total
        win = np.full(lo.size, self.bias, dtype=np.float64)
        for c, s in zip(contribs, f.starts, strict=True):
            if not c.size:
                continue
            cs = np.concatenate(([0.0], np.cumsum(c)))
            i0 = np.searchsorted(s, lo)
            i1 = np.searchsorted(s, hi)
            n = i1 - i0
            win += np.where(n > 0, (cs[i1] - cs[i0]) / np.sqrt(np.maximum(n, 1)), 0.0)
        # the best of many segments is biased upwards: a segment must beat the whole text
        # by SEGMENT_PENALTY to count
        return max(total, float(win.max()) - SEGMENT_PENALTY)

    def probability(self, text: str, windows: bool = True) -> float:
        return float(1.0 / (1.0 + np.exp(-self.logit(text, windows))))

    def score(self, text: str, windows: bool = True) -> float:
        """Calibrated so that the trained decision threshold maps to 0.5."""
        z = self.logit(text, windows) - _logit_of(self.threshold)
        return float(1.0 / (1.0 + np.exp(-z)))

    def save(self, path: Path) -> None:
        """Write the model as a compressed .npz (weights in float16)."""
        keys = np.array(sorted(self.meta), dtype=np.str_)
        values = np.array([self.meta[k] for k in sorted(self.meta)], dtype=np.str_)
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            weights=self.weights.astype(np.float16),
            bias=np.array([self.bias], np.float64),
            threshold=np.array([self.threshold], np.float64),
            bits=np.array([self.featurizer.bits], np.int64),
            version=np.array([FEATURE_VERSION], np.int64),
            meta_keys=keys,
            meta_values=values,
        )
        path.write_bytes(buf.getvalue())

    @classmethod
    def load(cls, data: bytes, source: str) -> LinearModel:
        """Read a model saved by :meth:`save`; no pickle is ever loaded."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                version = int(z["version"][0])
                if version != FEATURE_VERSION:
                    raise ScanError(
                        f"model {source}: feature version {version}, this aisec reads "
                        f"{FEATURE_VERSION}; retrain with `aisec guard train`"
                    )
                bits = int(z["bits"][0])
                weights = z["weights"].astype(np.float32)
                meta = dict(zip(z["meta_keys"].tolist(), z["meta_values"].tolist(), strict=True))
                model = cls(
                    weights,
                    float(z["bias"][0]),
                    float(z["threshold"][0]),
                    Featurizer(bits),
                    {str(k): str(v) for k, v in meta.items()},
                )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ScanError(f"model {source}: cannot read ({exc})") from None
        if model.weights.shape != (model.featurizer.dim,):
            raise ScanError(f"model {source}: weights do not match {bits} hash bits")
        return model


def _logit_of(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


@cache
def load_default() -> LinearModel:
    """The model shipped in ``aisec/guard/models``, loaded once per process."""
    ref = resources.files("aisec.guard").joinpath("models").joinpath(_MODEL_FILE)
    try:
        data = ref.read_bytes()
    except OSError:
        raise ScanError(
            f"the shipped model {_MODEL_FILE} is missing; reinstall aisec or run "
            "`aisec guard train`"
        ) from None
    return LinearModel.load(data, _MODEL_FILE)
