"""``aisec robustness``: evasion (accuracy under attack vs eps) and membership inference."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec.cli._output import FailOnOpt, QuietOpt
from aisec.core.errors import InputError

if TYPE_CHECKING:
    from aisec.core.findings import Finding

robustness_app = typer.Typer(
    help="Test classical models: evasion under an L-inf budget, membership inference.",
    no_args_is_help=True,
)


class Fmt(StrEnum):
    TABLE = "table"
    JSON = "json"


class Attack(StrEnum):
    FGSM = "fgsm"
    PGD = "pgd"
    HOPSKIPJUMP = "hopskipjump"


ModelArg = Annotated[
    Path,
    typer.Argument(
        metavar="MODEL",
        help="ONNX, scikit-learn pickle/joblib or TorchScript; pickles load only if aisec "
        "scan judges them clean.",
    ),
]
FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="table or json.")]
NoStoreOpt = Annotated[
    bool, typer.Option("--no-store", help="Do not record the findings in the store.")
]


def _floats(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not values or len(values) > 100:
        raise InputError(f"{what}: expected 1 to 100 numbers")
    return values


@robustness_app.command("evasion")
def evasion(
    model: ModelArg,
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help=".npz (X, y), CSV or Parquet (label column).")
    ],
    attack: Annotated[Attack, typer.Option("--attack", help="fgsm, pgd or hopskipjump.")] = (
        Attack.FGSM
    ),
    eps: Annotated[
        str, typer.Option("--eps", help="Comma-separated L-inf budgets, in input units.")
    ] = "0,0.05,0.1,0.2,0.3",
    clip: Annotated[
        str | None, typer.Option("--clip", help="MIN,MAX: the valid input range.")
    ] = None,
    steps: Annotated[int, typer.Option("--steps", min=1, max=1000, help="PGD steps.")] = 20,
    max_samples: Annotated[
        int, typer.Option("--max-samples", min=1, help="Attack the first N records.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of hopskipjump.")] = 0,
    fmt: FormatOpt = Fmt.TABLE,
    no_store: NoStoreOpt = False,
    fail_on: FailOnOpt = "high",
    quiet: QuietOpt = False,
) -> None:
    """Accuracy of a classifier under an evasion attack, for each eps (L-inf).

    Example: aisec robustness evasion model.onnx test.npz --attack pgd --eps 0,0.1,0.2 --clip 0,1
    """
    from aisec.cli._output import exit_code_for, parse_fail_on
    from aisec.core.authz import authorize
    from aisec.robustness import evasion_curve, evasion_findings, load_data, load_model

    threshold = parse_fail_on(fail_on)
    authorize("scan.run")
    bounds: tuple[float, float] | None = None
    if clip is not None:
        values = _floats(clip, "--clip")
        if len(values) != 2:
            raise InputError("--clip: expected MIN,MAX")
        bounds = (values[0], values[1])
    budgets = _floats(eps, "--eps")
    classifier = load_model(model)
    dataset = load_data(data).head(max_samples)
    result = evasion_curve(
        classifier, dataset.X, dataset.y, attack=attack.value, eps=budgets, clip=bounds,
        steps=steps, seed=seed,
    )  # fmt: skip
    findings = evasion_findings(result, str(model))
    worst = min(a for _, a in result.points)
    details: dict[str, str | float] = {
        "attack": result.attack,
        "clean_accuracy": result.clean_accuracy,
        "worst_accuracy": worst,
    }
    tested = any(e > 0 for e, _ in result.points)  # eps 0 alone attacks nothing
    summary = f"{result.attack}: clean {result.clean_accuracy:.4f}, worst {worst:.4f}"
    _record("robustness.evasion", model, findings, no_store, details, summary if tested else None)
    if not quiet:
        if fmt is Fmt.JSON:
            _json(result.to_dict())
        else:
            rows = [("eps", "accuracy"), *((f"{e:g}", f"{a:.4f}") for e, a in result.points)]
            _table(
                f"{result.attack} on {result.samples} records ({result.model_kind}), clean "
                f"accuracy {result.clean_accuracy:.4f}",
                rows,
                findings,
            )
    raise typer.Exit(int(exit_code_for(findings, threshold)))


@robustness_app.command("membership")
def membership(
    model: ModelArg,
    train: Annotated[Path, typer.Argument(metavar="TRAIN", help="Records the model trained on.")],
    holdout: Annotated[
        Path, typer.Argument(metavar="HOLDOUT", help="Records from the same source it never saw.")
    ],
    no_shadow: Annotated[
        bool, typer.Option("--no-shadow", help="Only the loss-threshold attack.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the subsampling.")] = 0,
    fmt: FormatOpt = Fmt.TABLE,
    no_store: NoStoreOpt = False,
    fail_on: FailOnOpt = "high",
    quiet: QuietOpt = False,
) -> None:
    """Membership inference: can an attacker tell TRAIN records from HOLDOUT ones?

    Example: aisec robustness membership model.joblib train.npz holdout.npz --format json
    """
    from aisec.cli._output import exit_code_for, parse_fail_on
    from aisec.core.authz import authorize
    from aisec.robustness import load_data, load_model, membership_findings, membership_inference

    threshold = parse_fail_on(fail_on)
    authorize("scan.run")
    classifier = load_model(model)
    result = membership_inference(
        classifier, load_data(train), load_data(holdout), shadow=not no_shadow, seed=seed
    )
    findings = membership_findings(result, str(model))
    summary = {f"{a.name}_advantage": round(a.advantage, 4) for a in result.attacks}
    _record(
        "robustness.membership",
        model,
        findings,
        no_store,
        summary,
        ", ".join(f"{k} {v}" for k, v in summary.items()),
    )
    if not quiet:
        if fmt is Fmt.JSON:
            _json(result.to_dict())
        else:
            rows = [("attack", "ROC AUC", "advantage", "TPR@1%FPR", "TPR@0.1%FPR")]
            rows += [
                (a.name, f"{a.auc:.4f}", f"{a.advantage:.4f}", f"{a.tpr_at_1pct_fpr:.4f}",
                 f"{a.tpr_at_01pct_fpr:.4f}")
                for a in result.attacks
            ]  # fmt: skip
            title = f"membership inference: {result.members} members vs {result.non_members}"
            for name, why in result.skipped:
                title += f"; {name} skipped ({why})"
            _table(title, rows, findings)
    raise typer.Exit(int(exit_code_for(findings, threshold)))


def _json(doc: Any) -> None:
    import json

    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False) + "\n")


def _table(title: str, rows: Sequence[Sequence[str]], findings: Sequence[Finding]) -> None:
    from rich.table import Table

    from aisec.cli._output import cell, console, findings_table

    table = Table(title=cell(title))
    for col in rows[0]:
        table.add_column(col)
    for row in rows[1:]:
        table.add_row(*(cell(v) for v in row))
    con = console()
    con.print(table)
    if findings:
        con.print(findings_table(findings))


def _record(
    action: str,
    model: Path,
    findings: Sequence[Finding],
    no_store: bool,
    details: Mapping[str, str | float],
    tested: str | None,
) -> None:
    """Findings to the store (unless --no-store) and an audit event of the run. With a
    ``tested`` summary the stored run also holds the record that this test ran on the
    model file's content (its SHA-256), which posture judges C-ROBUSTNESS / C-PRIVACY by."""
    from aisec.core.audit import record
    from aisec.core.home import ensure_home
    from aisec.core.inputs import sha256_file
    from aisec.core.store import open_store
    from aisec.core.store.findings import record_findings
    from aisec.robustness import tested_finding

    ensure_home()
    run_id = uuid.uuid4().hex
    digest = sha256_file(model, "model")
    if not no_store:
        stored = list(findings)
        if tested is not None:
            kind = action.rsplit(".", 1)[1]
            stored.append(tested_finding(kind, digest, str(model), tested))
        store = open_store()
        try:
            record_findings(store, source="robustness", run_id=run_id, findings=stored)
        finally:
            store.close()
    record(
        action,
        str(model)[:500],
        details={
            "run_id": None if no_store else run_id,
            "sha256": digest,
            "findings": ", ".join(f.rule_id for f in findings),
            **details,
        },
    )


def register(app: typer.Typer) -> None:
    app.add_typer(robustness_app, name="robustness")
