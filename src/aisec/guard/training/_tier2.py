"""Train the cascade's second tier: a small byte-level CNN, exported to ONNX (needs torch).

Run (CPU, one thread; about 20-30 minutes on one shared core)::

    python -m aisec.guard.training._tier2 --data ../shared/datasets/prompt_injection \\
        --out src/aisec/guard/models/tier2 --exclude-suite benchmarks/guard/devsuite

The corpus is the first tier's (``build_corpus`` with the same generated families, the dev
split and every dev-suite text left out; benign segments of long texts added), with the
same source-balanced weights. Inputs are UTF-8 bytes (id = byte + 1, 0 = padding), so any
language or script reaches the model; the folder gets a ``tokenizer.json`` (a byte-level
tokenizer with no merges) that gives exactly these ids, so the runtime scanner
(``_transformer``) loads it like any hub model. The decision thresholds per direction are
chosen on the old dev split (never trained on) at a stated false-positive rate and written
to ``config.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aisec.guard.training._dataset import build_corpus
from aisec.guard.training._train import (
    EXTRA_ROUNDS,
    GAP_ROUNDS,
    _is_document,
    _segment_examples,
    _suite_texts,
    _threshold,
    _weights,
)

__all__ = ["byte_tokenizer_json", "encode", "export_onnx", "new_model", "train_tier2"]

MAX_LEN = 1024  # bytes per training crop and per inference window
INPUT_FPR = 0.02
DOCUMENT_FPR = 0.02


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table (what the ByteLevel pre-tokenizer emits)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def byte_tokenizer_json() -> str:
    """A ``tokenizers`` JSON whose ids are the UTF-8 bytes of the text plus one."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    table = _bytes_to_unicode()
    vocab = {table[b]: b + 1 for b in range(256)}
    vocab["<pad>"] = 0
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    return str(tok.to_str())


def encode(text: str, max_len: int, rng: random.Random | None = None, label: int = 0) -> list[int]:
    """Byte ids of ``text``; a longer text gives one crop (random in training, else the head).

    Attacks are cropped at their head or tail (a suffix attack sits at the end), benign
    texts anywhere."""
    ids = [b + 1 for b in text.encode("utf-8", "replace")]
    if len(ids) <= max_len:
        return ids
    if rng is None:
        return ids[:max_len]
    if label == 1:
        return ids[:max_len] if rng.random() < 0.5 else ids[-max_len:]
    start = rng.randrange(len(ids) - max_len + 1)
    return ids[start : start + max_len]


def _model(torch: Any) -> Any:
    nn = torch.nn

    class ByteCNN(nn.Module):  # type: ignore[misc,name-defined]
        """Embedding, three convolutions with pooling, masked max and mean pool, a head."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(257, 40, padding_idx=0)
            self.conv1 = nn.Conv1d(40, 128, 5, padding=2)
            self.conv2 = nn.Conv1d(128, 160, 5, padding=2)
            self.conv3 = nn.Conv1d(160, 192, 3, padding=1)
            self.hidden = nn.Linear(384, 128)
            self.out = nn.Linear(128, 2)
            self.drop = nn.Dropout(0.1)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            m = attention_mask.to(torch.float32).unsqueeze(1)
            x = self.embed(input_ids).transpose(1, 2)
            h = torch.relu(self.conv1(x)) * m
            h = nn.functional.max_pool1d(h, 2, ceil_mode=True)
            m = nn.functional.max_pool1d(m, 2, ceil_mode=True)
            h = torch.relu(self.conv2(h)) * m
            h = nn.functional.max_pool1d(h, 2, ceil_mode=True)
            m = nn.functional.max_pool1d(m, 2, ceil_mode=True)
            h = torch.relu(self.conv3(h)) * m
            top = (h - (1.0 - m) * 1e4).amax(dim=2)
            mean = h.sum(dim=2) / m.sum(dim=2).clamp(min=1.0)
            z = torch.relu(self.hidden(self.drop(torch.cat([top, mean], dim=1))))
            return self.out(self.drop(z))

    return ByteCNN()


def _batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (less padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _pad(rows: Sequence[list[int]]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    width = max(len(r) for r in rows) or 1
    ids = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
    return ids, (ids > 0).astype(np.int64)


def export_onnx(model: Any, path: Path) -> None:
    """Write ``model`` (a ``ByteCNN``) as ONNX with dynamic batch and length axes.

    The TorchScript exporter (``dynamo=False``): the torch.export one needs onnxscript,
    which the environment does not have; a test checks the export computes what torch does."""
    import torch

    ids, mask = _pad([encode("example text", MAX_LEN)])
    torch.onnx.export(
        model,
        (torch.from_numpy(ids), torch.from_numpy(mask)),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "bytes"},
            "attention_mask": {0: "batch", 1: "bytes"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )


def new_model(seed: int = 1337) -> Any:
    """A freshly initialised ``ByteCNN`` (torch needed)."""
    import torch

    torch.manual_seed(seed)
    return _model(torch)


def train_tier2(
    data_dir: Path,
    out: Path,
    *,
    exclude_suite: Path | None,
    seed: int = 1337,
    epochs: int = 5,
    minutes: float = 28.0,
    batch: int = 64,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """Fit the byte CNN, pick per-direction thresholds on the dev split, export to ``out``."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = random.Random(seed)  # noqa: S311 - reproducible order, not secrets
    started = time.perf_counter()
    exclude = _suite_texts(exclude_suite) if exclude_suite is not None else frozenset()
    corpus = build_corpus(
        data_dir, seed=seed, generated=1500, extra=EXTRA_ROUNDS, gaps=GAP_ROUNDS, exclude=exclude
    )
    train = list(corpus.train)
    train += _segment_examples(train, rng)
    weights = _weights(train)
    texts = [e.text for e in train]
    labels = [e.label for e in train]
    lengths = [min(len(t.encode("utf-8", "replace")), MAX_LEN) for t in texts]
    log(f"corpus: {len(train)} train rows, {len(corpus.dev)} dev rows")
    model = _model(torch)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params} parameters")
    steps_total = epochs * ((len(train) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    # the learning rate warms up, then falls linearly to zero by the last step or by the
    # time budget, whichever comes first, so a run cut short by time still anneals
    budget_start = time.perf_counter()
    deadline = budget_start + minutes * 60
    step = 0
    stopped = False
    for epoch in range(epochs):
        model.train()
        total = 0.0
        seen = 0
        for b in _batches(lengths, batch, rng):
            rows = [encode(texts[i], MAX_LEN, rng, labels[i]) for i in b]
            ids, mask = _pad(rows)
            y = torch.tensor([labels[i] for i in b])
            w = torch.tensor([weights[i] for i in b], dtype=torch.float32)
            logits = model(torch.from_numpy(ids), torch.from_numpy(mask))
            loss = (torch.nn.functional.cross_entropy(logits, y, reduction="none") * w).mean()
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            step += 1
            frac = max(step / steps_total, (time.perf_counter() - budget_start) / (minutes * 60))
            for group in opt.param_groups:
                group["lr"] = 2e-3 * min(1.0, frac / 0.03) * max(0.0, 1.0 - frac)
            total += float(loss.detach()) * len(b)
            seen += len(b)
            if step % 100 == 0:
                elapsed = (time.perf_counter() - started) / 60
                log(
                    f"epoch {epoch + 1} step {step}/{steps_total} loss {total / seen:.4f} "
                    f"{elapsed:.1f} min"
                )
            if frac >= 1.0 or time.perf_counter() > deadline:
                stopped = True
                break
        log(f"epoch {epoch + 1} done: loss {total / max(seen, 1):.4f}")
        if stopped:
            log("time budget reached: stopping")
            break
    model.eval()
    out.mkdir(parents=True, exist_ok=True)

    def probs(batch_texts: Sequence[str]) -> np.ndarray[Any, Any]:
        res: list[float] = []
        with torch.no_grad():
            for i in range(0, len(batch_texts), 64):
                ids, mask = _pad([encode(t, MAX_LEN) for t in batch_texts[i : i + 64]])
                lg = model(torch.from_numpy(ids), torch.from_numpy(mask))
                res += torch.softmax(lg, dim=1)[:, 1].tolist()
        return np.array(res)

    dev_p = probs([e.text for e in corpus.dev])
    dev_y = np.array([e.label for e in corpus.dev])
    docs = np.array([_is_document(e.text) for e in corpus.dev], dtype=bool)
    thresholds: dict[str, float] = {}
    for direction, mask_, fpr in (
        ("input", ~docs, INPUT_FPR),
        ("document", docs, DOCUMENT_FPR),
        ("tool_result", docs, DOCUMENT_FPR),
    ):
        thresholds[direction] = round(_threshold(dev_p[mask_], dev_y[mask_], fpr), 6)
        sel = dev_p[mask_]
        pos = sel[dev_y[mask_] == 1]
        rec = float((pos >= thresholds[direction]).mean()) if pos.size else 0.0
        log(
            f"threshold {direction} {thresholds[direction]:.4f} at dev FPR {fpr} "
            f"(dev recall {rec:.4f}, {int(mask_.sum())} rows)"
        )
    export_onnx(model, out / "model.onnx")
    (out / "tokenizer.json").write_text(byte_tokenizer_json(), "utf-8")
    config: dict[str, Any] = {
        "architectures": ["ByteCNN"],
        "id2label": {"0": "BENIGN", "1": "INJECTION"},
        "aisec": {
            "max_length": MAX_LEN,
            "thresholds": thresholds,
            "threshold_fpr": {"input": INPUT_FPR, "document": DOCUMENT_FPR},
            "trained": time.strftime("%Y-%m-%d", time.gmtime()),
            "seed": seed,
            "epochs_run": epoch + 1,
            "stopped_by_time": stopped,
            "parameters": n_params,
            "n_train": len(train),
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    sums = {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in ("config.json", "model.onnx", "tokenizer.json")
    }
    (out / "SHA256SUMS").write_text(
        "".join(f"{h}  {name}\n" for name, h in sorted(sums.items())), "utf-8"
    )
    report: dict[str, object] = {"seconds": round(time.perf_counter() - started, 1)}
    report.update(config["aisec"])
    log(json.dumps(report))
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--exclude-suite", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=28.0)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)
    train_tier2(
        args.data,
        args.out,
        exclude_suite=args.exclude_suite,
        seed=args.seed,
        epochs=args.epochs,
        minutes=args.minutes,
    )


if __name__ == "__main__":
    main()
