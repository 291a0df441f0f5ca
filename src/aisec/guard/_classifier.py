"""The shipped prompt-injection classifier: hashed n-grams and a linear model, in numpy.

Features are computed on the folded text (see ``_normalise``): character 3-, 4- and 5-grams
and word 1- and 2-grams, hashed with a fixed multiplicative hash (stable across processes,
unlike Python's ``hash``) into ``2**bits`` buckets. The character family and the word family
are each scaled by 1/sqrt(their n-gram count), and the logit is a dot product with the
weights.
Everything is vectorised: a 1 KB prompt costs a few dozen microseconds.

Longer texts are also scored per segment (a line, or a window of ``WINDOW`` characters over
a long line) and the highest segment wins, so an instruction hidden in one line of a long
document is not diluted by the rest.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
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

FEATURE_VERSION = 2
CHAR_NGRAMS = (3, 4, 5)
WINDOW = 384
SEGMENT_MIN = 48
MIN_SEGMENTED = 160
SEGMENT_PENALTY = 1.0
CROWD_PENALTY = 0.75
_FAMILIES = len(CHAR_NGRAMS) + 2  # char n-grams, word unigrams, word bigrams
_MODEL_FILE = "injection_v1.npz"
_MAX_CHARS = 200_000  # longer texts are scored on their first and last parts

U32 = npt.NDArray[np.uint32]

_rng = np.random.default_rng(20260514)  # fixed: the hash must never change between runs
_MULT = (_rng.integers(1, 2**32, size=_FAMILIES + 1, dtype=np.uint64) | 1).astype(np.uint32)
_POS_KEYS = (_rng.integers(1, 2**32, size=64, dtype=np.uint64) | 1).astype(np.uint32)
_PRIME = np.uint32(0x01000193)
_WORD_CHAR = np.zeros(128, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyz0123456789'":
    _WORD_CHAR[ord(_c)] = True


@dataclass(frozen=True, slots=True)
class Features:
    """Hashed buckets of one text: character n-grams (one array per n, index = start
    offset in the padded text) and words (unigrams, then bigrams, with word start offsets)."""

    chars: tuple[npt.NDArray[np.intp], ...]
    unigrams: npt.NDArray[np.intp]
    bigrams: npt.NDArray[np.intp]
    word_starts: npt.NDArray[np.intp]
    length: int

    @property
    def n_chars(self) -> int:
        return sum(b.size for b in self.chars)

    @property
    def n_words(self) -> int:
        return self.unigrams.size + self.bigrams.size


_EMPTY = np.zeros(0, dtype=np.intp)


class Featurizer:
    """Turns folded text into hashed n-gram buckets (the same code trains and infers).

    Two families, each scaled by 1/sqrt(its n-gram count): character 3-5-grams, and word
    uni- and bigrams."""

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
        chars: list[npt.NDArray[np.intp]] = []
        h = a
        for n in range(2, max(CHAR_NGRAMS) + 1):
            h = h[:-1] * _PRIME + a[n - 1 :]
            if n in CHAR_NGRAMS:
                chars.append(self._bucket(h, len(chars)))
        # words: runs of ASCII letters/digits/apostrophes or any non-ASCII letter
        is_word = np.where(a < 128, _WORD_CHAR[np.minimum(a, 127)], a > 0x2F).view(np.int8)
        # np.diff(is_word, prepend=0, append=0), without its per-call overhead
        edges = np.empty(is_word.size + 1, dtype=np.int8)
        edges[0] = is_word[0]
        np.subtract(is_word[1:], is_word[:-1], out=edges[1:-1])
        edges[-1] = -is_word[-1]
        w_start = np.flatnonzero(edges == 1)
        if not w_start.size:
            return Features(tuple(chars), _EMPTY, _EMPTY, _EMPTY, a.size)
        w_end = np.flatnonzero(edges == -1)
        idx = np.arange(a.size, dtype=np.intp)
        run_start = np.maximum.accumulate(np.where(edges[:-1] == 1, idx, 0))
        pos = np.minimum(idx - run_start, 63)
        csum = np.concatenate(([np.uint32(0)], np.cumsum(a * _POS_KEYS[pos], dtype=np.uint32)))
        wh = ((csum[w_end] - csum[w_start]) ^ (w_end - w_start).astype(np.uint32)) * _MULT[-1]
        uni = self._bucket(wh, len(CHAR_NGRAMS))
        bh = (wh[:-1] ^ (wh[:-1] >> np.uint32(13))) * _PRIME + wh[1:]
        bi = self._bucket(bh, len(CHAR_NGRAMS) + 1)
        return Features(tuple(chars), uni, bi, w_start, a.size)

    def rows(self, text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Sparse row of ``text``: bucket indices and values (for training)."""
        f = self.features(text)
        parts = [*f.chars, f.unigrams, f.bigrams]
        n_c, n_w = f.n_chars, f.n_words
        vals = [np.full(b.size, 1.0 / np.sqrt(max(n_c, 1)), np.float32) for b in f.chars]
        vals += [np.full(f.n_words, 1.0 / np.sqrt(max(n_w, 1)), np.float32)]
        return np.concatenate(parts), np.concatenate(vals)


_BOUNDARY = re.compile(r"[.!?](?=\s)|\n")


def _segments(text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Character spans (in the padded text) of sentences and lines; short ones join the
    next, and long ones are cut into half-overlapping windows."""
    lo: list[int] = []
    hi: list[int] = []
    start = 1  # the featurizer pads one space in front
    ends = [m.end() + 1 for m in _BOUNDARY.finditer(text)]
    ends.append(len(text) + 1)
    for end in ends:
        if end - start < SEGMENT_MIN:
            continue
        if end - start > WINDOW:
            step = WINDOW // 2
            for s in range(start, end - step, step):
                lo.append(s)
                hi.append(min(s + WINDOW, end))
        else:
            lo.append(start)
            hi.append(end)
        start = end
    if lo and start < ends[-1]:
        hi[-1] = ends[-1]
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
        char_c = [w[b] for b in f.chars]
        uni_c, bi_c = w[f.unigrams], w[f.bigrams]
        n_c, n_w = f.n_chars, f.n_words
        total = self.bias
        if n_c:
            total += float(sum(float(c.sum()) for c in char_c)) / np.sqrt(n_c)
        if n_w:
            total += (float(uni_c.sum()) + float(bi_c.sum())) / np.sqrt(n_w)
        if text is None or len(text) < MIN_SEGMENTED:
            return total
        lo, hi = _segments(text)
        if lo.size <= 1:
            return total
        # characters: an n-gram's index is its start offset; fold the 3-, 4- and 5-grams
        # starting at each offset into one array, then one cumulative sum serves all spans
        first = char_c[0]
        per_pos = first.astype(np.float64)
        for c in char_c[1:]:
            per_pos[: c.size] += c
        cs = np.concatenate(([0.0], np.cumsum(per_pos)))
        # per segment, in plain floats (a text has a few): the same IEEE operations as the
        # array form, without a dozen array calls on a handful of values
        size, k = first.size, len(char_c)
        seg: list[float] = []
        for lo_i, hi_i in zip(lo.tolist(), hi.tolist(), strict=True):
            l0, h0 = min(lo_i, size), min(hi_i, size)
            c_cnt = k * (h0 - l0) - max(h0 - (size - k + 1), 0)
            seg.append(self.bias + float(cs[h0] - cs[l0]) / math.sqrt(max(c_cnt, 1)))
        if n_w:
            i0 = np.searchsorted(f.word_starts, lo).tolist()
            i1 = np.searchsorted(f.word_starts, hi).tolist()
            per_word = uni_c.astype(np.float64)
            per_word[: bi_c.size] += bi_c
            ws = np.concatenate(([0.0], np.cumsum(per_word)))
            n_uni = uni_c.size
            for j, (a, b) in enumerate(zip(i0, i1, strict=True)):
                # a bigram counts where its first word starts; the text's last word has none
                w_cnt = 2 * (b - a) - (b == n_uni)
                if w_cnt > 0:
                    seg[j] += float(ws[b] - ws[a]) / math.sqrt(w_cnt)
        return max(total, best_segment(seg))

    def probability(self, text: str, windows: bool = True) -> float:
        return float(1.0 / (1.0 + np.exp(-self.logit(text, windows))))

    def threshold_for(self, direction: str | None) -> float:
        """The decision threshold for texts in ``direction`` (``input``, ``document``,
        ``tool_result``): chosen per direction in training and kept in the model's
        metadata as ``threshold.<direction>``; the general one otherwise."""
        if direction is not None:
            value = self.meta.get(f"threshold.{direction}")
            if value is not None:
                try:
                    return min(max(float(value), 1e-6), 1 - 1e-6)
                except ValueError:
                    pass
        return self.threshold

    def score(self, text: str, windows: bool = True, direction: str | None = None) -> float:
        """Calibrated so that the decision threshold (of ``direction``) maps to 0.5."""
        z = self.logit(text, windows) - _logit_of(self.threshold_for(direction))
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


def best_segment(seg: Sequence[float]) -> float:
    """The evidence of a text's segments (two or more logits): the best one, less
    ``SEGMENT_PENALTY`` (the best of many is biased upwards), less ``CROWD_PENALTY`` times
    how far the runner-up stands above the median: a prompt made of instructions is judged
    as a whole, while one instruction hidden in a document stands out from the rest."""
    top = sorted(seg)
    n = len(top)  # the median from the sorted values: np.median's result, without its overhead
    median = float(top[n // 2]) if n % 2 else (float(top[n // 2 - 1]) + float(top[n // 2])) / 2
    crowd = max(float(top[-2]) - median, 0.0)
    return float(top[-1]) - SEGMENT_PENALTY - CROWD_PENALTY * crowd


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
