"""``aisec guard``: scan texts with the guard, evaluate it on labelled data, train its model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aisec.cli._output import (
    FailOnOpt,
    FormatOpt,
    OutputFormat,
    QuietOpt,
    TableJsonFormat,
    TableJsonOpt,
)
from aisec.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from aisec.core.policy import Direction
    from aisec.guard import Decision

_MAX_TEXT_BYTES = 16 << 20

DirectionOpt = Annotated[
    str,
    typer.Option(
        "--direction",
        "-d",
        help="Where the text sits: input, output, document, tool_result, system.",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", help="aisec.yaml to read the guard: section from (default: found)."),
]

guard_app = typer.Typer(
    help="Guard prompts and responses: injection, jailbreaks, PII, secrets, leaks.",
    no_args_is_help=True,
)


def _direction(value: str) -> Direction:
    from aisec.core.policy import Direction

    try:
        return Direction(value)
    except ValueError:
        expected = ", ".join(d.value for d in Direction)
        raise InputError(f"--direction: expected one of {expected}, got {value!r}") from None


def _read_text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise InputError("give the text as an argument or with --file (one of them)")
    if text is not None:
        return sys.stdin.read(_MAX_TEXT_BYTES) if text == "-" else text
    if file is None:  # unreachable: exactly one of text and file is set
        raise InputError("no text given")
    from aisec.core.inputs import read_text_bounded

    return read_text_bounded(file, _MAX_TEXT_BYTES)


@guard_app.command("scan")
def scan(
    text: Annotated[str | None, typer.Argument(help="Text to scan ('-' reads stdin).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the text from a file.")] = None,
    direction: DirectionOpt = "input",
    policy: PolicyOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "never",
    quiet: QuietOpt = False,
) -> None:
    """Scan one text; exit 1 when the guard blocks it (or a finding reaches --fail-on).

    Example: aisec guard scan "Ignore previous instructions" --format json
    """
    from aisec.guard import Engine

    body = _read_text(text, file)
    engine = Engine.from_policy_file(policy)
    decision = engine.scan(body, _direction(direction))
    code = _emit_decision(decision, fmt, fail_on, quiet)
    if decision.blocked:
        code = ExitCode.FINDINGS
    raise typer.Exit(int(code))


def _emit_decision(decision: Decision, fmt: OutputFormat, fail_on: str, quiet: bool) -> ExitCode:
    from rich.console import RenderableType

    from aisec.cli._output import cell, emit_findings

    summary = dict(decision.to_dict())
    scanners = summary.pop("scanners")
    # Findings are the envelope's own "findings"; per scanner, only what is not in them.
    summary["scanners"] = [
        {k: v for k, v in s.items() if k != "findings"}
        for s in (scanners if isinstance(scanners, list) else [])
    ]
    before: list[RenderableType] = []
    if fmt is OutputFormat.TABLE:
        scores = ", ".join(f"{k}={v:.2f}" for k, v in decision.scores.items())
        before.append(cell(f"decision: {decision.action.value}  {decision.reason}".rstrip()))
        before.append(cell(f"scores: {scores or '-'}"))
        if decision.action.value == "redact":
            before.append(cell(f"redacted: {decision.text}"))
    return emit_findings(
        list(decision.findings),
        fmt,
        fail_on,
        quiet,
        command="guard scan",
        title="Guard findings",
        extra={"decision": summary},
        before=before,
    )


@guard_app.command("eval")
def evaluate(
    data: Annotated[
        Path | None, typer.Option("--data", help="JSONL file of labelled texts.")
    ] = None,
    suite: Annotated[
        Path | None,
        typer.Option(
            "--suite",
            help="Dev-suite folder (suite.json + one JSONL per family): per-family table.",
        ),
    ] = None,
    text_field: Annotated[str, typer.Option("--text-field", help="Field with the text.")] = "text",
    label_field: Annotated[
        str, typer.Option("--label-field", help="Field with the label (1 = attack).")
    ] = "label",
    scanner: Annotated[
        str | None,
        typer.Option("--scanner", help="Evaluate one scanner (default: the whole decision)."),
    ] = None,
    direction: DirectionOpt = "input",
    policy: PolicyOpt = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Measure precision, recall, F1, FPR, AUC and latency on a labelled JSONL file, or
    recall / FPR per family of a dev suite (--suite).

    Example: aisec guard eval --data benchmarks/guard/data/dev.jsonl --format json
    """
    from aisec.guard import Engine
    from aisec.guard.training import evaluate as run_evaluation
    from aisec.guard.training import read_jsonl

    if (data is None) == (suite is None):
        raise InputError("give one of --data (a JSONL file) or --suite (a dev-suite folder)")
    if suite is not None:
        _evaluate_suite(suite, policy, fmt)
        return
    if data is None:  # unreachable: exactly one of data and suite is set
        raise InputError("no data given")
    rows = read_jsonl(data, text_field, label_field)
    if not rows:
        raise InputError(f"{data}: no rows")
    engine = Engine.from_policy_file(policy)
    report = run_evaluation(
        engine, [(body, label) for body, label, _ in rows], _direction(direction), scanner
    )
    result = report.to_dict()
    if fmt is TableJsonFormat.TABLE:
        sys.stdout.write(_metrics_table(result))
    else:
        sys.stdout.write(json.dumps(result) + "\n")


def _evaluate_suite(suite: Path, policy: Path | None, fmt: TableJsonFormat) -> None:
    from aisec.guard import Engine
    from aisec.guard.training import evaluate_suite, load_suite, suite_table

    if not suite.is_dir():
        raise InputError(f"--suite {suite}: not a folder")
    results = evaluate_suite(Engine.from_policy_file(policy), load_suite(suite))
    if fmt is TableJsonFormat.TABLE:
        sys.stdout.write(suite_table(results))
    else:
        sys.stdout.write(json.dumps({"families": [r.to_dict() for r in results]}) + "\n")


def _metrics_table(result: dict[str, object]) -> str:
    """One metric a line, numbers only: nested values flattened (latency_ms.p50 …)."""
    rows: list[tuple[str, object]] = []
    for key, value in result.items():
        if isinstance(value, dict):
            rows.extend((f"{key}.{k}", v) for k, v in value.items())
        else:
            rows.append((key, value))
    width = max(len(k) for k, _ in rows)
    lines = []
    for key, value in rows:
        if value is None:
            shown = "n/a"
        elif isinstance(value, float):
            shown = f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
        else:
            shown = str(value)
        lines.append(f"{key:>{width}}: {shown}\n")
    return "".join(lines)


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")


@guard_app.command("train")
def train(
    data: Annotated[
        Path, typer.Option("--data", help="Folder with the prompt_injection/*.jsonl files.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (.npz).")] = Path(
        "injection_v1.npz"
    ),
    dev_out: Annotated[
        Path | None, typer.Option("--dev-out", help="Also write the dev split (JSONL) here.")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same model).")
    ] = 1337,
    epochs: Annotated[int, typer.Option("--epochs", help="Full-batch optimiser steps.")] = 150,
    exclude_suite: Annotated[
        Path | None,
        typer.Option("--exclude-suite", help="Dev-suite folder whose texts are never trained on."),
    ] = None,
) -> None:
    """Train the prompt-injection classifier reproducibly and print its metrics as JSON.

    Example: aisec guard train --data ../shared/datasets/prompt_injection --out model.npz
    """
    from aisec.guard.training import train as run_training

    if not data.is_dir():
        raise InputError(f"--data {data}: not a folder")
    report = run_training(
        data,
        out,
        dev_out=dev_out,
        seed=seed,
        epochs=epochs,
        exclude_suite=exclude_suite,
        log=_log,
    )
    sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")


model_app = typer.Typer(
    help="Second-tier models: fetch a pinned hub model for transformer_injection.",
    no_args_is_help=True,
)
guard_app.add_typer(model_app, name="model")


@model_app.command("pull")
def model_pull(
    repo_id: Annotated[str, typer.Argument(help="Hub repository id, org/name.")],
    revision: Annotated[str, typer.Option("--revision", help="Full 40-hex commit to pin.")],
    sha256: Annotated[
        list[str],
        typer.Option("--sha256", help="FILE=HEX pin, one per file (every file is pinned)."),
    ],
    files: Annotated[
        list[str] | None,
        typer.Option(
            "--file", help="Files to fetch (default: config.json tokenizer.json model.onnx)."
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", help="Hub cache (default: HF_HUB_CACHE or ~/.cache/huggingface/hub)."
        ),
    ] = None,
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint", help="Hub URL (files at <endpoint>/<repo>/resolve/<rev>/<file>)."
        ),
    ] = "https://huggingface.co",
    offline: Annotated[
        bool, typer.Option("--offline", help="Use only the cache; never download.")
    ] = False,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Fetch (or find in the hub cache) a pinned model and verify every file's SHA-256.

    Example: aisec guard model pull org/model --revision <40-hex> --sha256 model.onnx=<hex> ...
    """
    from aisec.guard import pull_model

    pins: dict[str, str] = {}
    for item in sha256:
        name, sep, digest = item.partition("=")
        if not sep:
            raise InputError(f"--sha256 {item!r}: expected FILE=HEX")
        pins[name] = digest
    pulled = pull_model(
        repo_id,
        revision,
        pins,
        files=tuple(files) if files else ("config.json", "tokenizer.json", "model.onnx"),
        cache=cache_dir,
        endpoint=None if offline else endpoint,
    )
    if fmt is TableJsonFormat.TABLE:
        sys.stdout.write(f"model: {pulled.path}\n")
        for name, digest in pulled.files.items():
            sys.stdout.write(f"  {name}  sha256:{digest}\n")
        sys.stdout.write(
            "policy: guard.scanners: - name: transformer_injection, "
            f"options: {{model_path: {pulled.path}}}\n"
        )
    else:
        sys.stdout.write(json.dumps(pulled.to_dict()) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(guard_app, name="guard")
