"""``aisec registry …``: push, list, show, promote, pull, verify-deployment, rollback,
quarantine and release model versions."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec.cli._output import QuietOpt, TableJsonFormat, TableJsonOpt

if TYPE_CHECKING:
    from aisec.registry import ModelVersion, Registry

registry_app = typer.Typer(
    help="Model registry: immutable versions, promotion gates, verified pulls, rollback.",
    no_args_is_help=True,
)

_Name = Annotated[str, typer.Argument(metavar="NAME", help="Model name.")]
_Version = Annotated[str, typer.Argument(metavar="VERSION", help="Version.")]
_Stage = Annotated[
    str, typer.Option("--stage", "-s", metavar="STAGE", help="staging or production.")
]
_PHASES = ("hashing", "signing", "verifying", "uploading", "downloading")


@contextmanager
def _registry() -> Iterator[Registry]:
    from aisec.registry import Registry

    with Registry.open() as reg:
        yield reg


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A ``progress(phase, n, total)`` drawing one rich bar per phase on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    from aisec.cli._output import console

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description:<11}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:

        def tick(phase: str, n: int, total: int) -> None:
            task = tasks.get(phase)
            if task is None:
                task = tasks[phase] = bar.add_task(phase, total=max(total, 1))
            bar.update(task, advance=n)

        yield tick


def _say(quiet: bool, *lines: str) -> None:
    if quiet:
        return
    from aisec.cli._output import cell, console

    out = console()
    for line in lines:
        out.print(cell(line))


def _json(doc: Any) -> None:
    from aisec.cli._output import dump_json

    dump_json(doc)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"  # not reached


def _signature_text(v: ModelVersion, short: bool = False) -> str:
    if v.signature_blob is None:
        return "unsigned"
    signer = v.signer or "?"
    if short:  # "release (sha256:8d2cb2fa38…)": the full fingerprint is in show NAME V
        head, sep, rest = signer.partition("(sha256:")
        signer = f"{head}(sha256:{rest[:10]}…)" if sep else signer
    return f"{signer} ({v.signature_method})"


@registry_app.command("push")
def push(
    name: _Name,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Model file or folder.")],
    version: Annotated[str, typer.Option("--version", "-v", help="The new version.")],
    key: Annotated[
        str | None, typer.Option("--key", "-k", help="Sign with this keyring signing key.")
    ] = None,
    signature: Annotated[
        Path | None,
        typer.Option("--signature", help="A detached OMS signature of PATH (verified)."),
    ] = None,
    trained_on: Annotated[
        list[str] | None,
        typer.Option(
            "--trained-on",
            help="Data ledger record id the model was trained on (repeatable); the gate "
            "refuses the version while any of them is quarantined.",
        ),
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Register a model version: hash, scan, sign (or verify a signature), store.

    Example: aisec registry push fraud-model ./model --version 1.2.0 --key release
    """
    with _registry() as reg, _progress(quiet) as tick:
        result = reg.push(
            name,
            path,
            version,
            key=key,
            signature=signature,
            progress=tick,
            trained_on=trained_on or (),
        )
    v = result.version
    if fmt is TableJsonFormat.JSON:
        _json({"created": result.created, **v.to_dict(with_files=False)})
        return
    if not result.created:
        _say(quiet, f"{v.ref} is already registered with these bytes; nothing to do")
        return
    s = v.scan_summary
    _say(
        quiet,
        f"pushed {v.ref}: {len(v.files)} file(s), {_size(v.size)}, sha256:{v.manifest_digest}",
        f"scan: {v.scan_verdict} ({s.get('malicious', 0)} malicious, "
        f"{s.get('suspicious', 0)} suspicious, {s.get('error', 0)} error, "
        f"{s.get('clean', 0)} clean)",
        f"signature: {_signature_text(v)}",
        f"blobs: {result.uploaded} uploaded, {result.reused} already stored",
    )


@registry_app.command("lineage")
def lineage_cmd(
    name: _Name,
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The model version.")],
    trained_on: Annotated[
        list[str],
        typer.Option("--trained-on", help="Data ledger record id (repeatable)."),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Record the data sets a registered version was trained on (added to, never removed).

    Example: aisec registry lineage fraud-model 1.2.0 --trained-on 3f2a9c…
    """
    with _registry() as reg:
        added = reg.record_training_data(name, version, trained_on)
    _say(quiet, f"{name}:{version}: recorded {len(added)} new training data set(s)")


@registry_app.command("list")
def list_cmd(fmt: TableJsonOpt = TableJsonFormat.TABLE) -> None:
    """List models: versions, newest version, what each stage runs.

    Example: aisec registry list --format json
    """
    with _registry() as reg:
        models = reg.list_models()
    if fmt is TableJsonFormat.JSON:
        _json(
            [
                {"model": n, "versions": c, "latest": latest, "stages": stages}
                for n, c, latest, stages in models
            ]
        )
        return
    if not models:
        _say(False, "no models; push one with: aisec registry push NAME PATH --version V")
        return
    from rich.table import Table

    from aisec.cli._output import cell, console

    table = Table(title="Models")
    for col in ("model", "versions", "latest", "staging", "production"):
        table.add_column(col, overflow="fold")
    for n, count, latest, stages in models:
        table.add_row(
            cell(n),
            cell(count),
            cell(latest or "-"),
            cell(stages.get("staging") or "-"),
            cell(stages.get("production") or "-"),
        )
    console().print(table)


@registry_app.command("show")
def show(
    name: _Name,
    version: Annotated[
        str | None, typer.Argument(metavar="[VERSION]", help="One version in detail.")
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Show a model's versions and stages, or one version: digest, size, scan, signer.

    Example: aisec registry show fraud-model 1.2.0
    """
    with _registry() as reg:
        if version is not None:
            _show_version(reg.get(name, version), fmt)
            return
        info = reg.show(name)
    if fmt is TableJsonFormat.JSON:
        _json(info.to_dict())
        return
    from rich.table import Table

    from aisec.cli._output import cell, console

    table = Table(title=f"{name}: versions")
    for col in ("version", "stages", "scan", "signer", "size", "pushed by", "pushed at"):
        table.add_column(col, overflow="fold")
    for v in info.versions:
        scan = v.scan_verdict + (" (quarantined)" if v.quarantined else "")
        table.add_row(
            cell(v.version),
            cell(", ".join(v.stages) or "-"),
            cell(scan),
            cell(_signature_text(v, short=True)),
            cell(_size(v.size)),
            cell(v.pushed_by),
            cell(v.pushed_at.strftime("%Y-%m-%d %H:%M")),
        )
    console().print(table)


def _show_version(v: ModelVersion, fmt: TableJsonFormat) -> None:
    if fmt is TableJsonFormat.JSON:
        _json(v.to_dict())
        return
    s = v.scan_summary
    lines = [
        f"{v.ref}",
        f"  digest:     sha256:{v.manifest_digest}",
        f"  size:       {_size(v.size)} in {len(v.files)} file(s) ({v.kind})",
        f"  scan:       {v.scan_verdict}"
        + (f" ({', '.join(s['rules'])})" if s.get("rules") else ""),
        f"  signature:  {_signature_text(v)}",
        f"  stages:     {', '.join(v.stages) or '-'}",
        f"  pushed:     {v.pushed_at.strftime('%Y-%m-%d %H:%M:%S %Z')} by {v.pushed_by}",
    ]
    if v.quarantined:
        lines.append(f"  QUARANTINED by {v.quarantined_by}: {v.quarantine_reason}")
    _say(False, *lines)


@registry_app.command("promote")
def promote(
    name: _Name,
    version: _Version,
    stage: _Stage,
    override: Annotated[
        bool,
        typer.Option(
            "--override", help="Pass a failed gate (needs registry.override and --reason)."
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (kept in the audit log).")
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Move a stage to a version that passes the gate; exit 1 naming each failed check.

    The gate: scan verdict, a signature by a trusted key, not quarantined.

    Example: aisec registry promote fraud-model 1.2.0 --stage production
    """
    from aisec.registry import GateRefusedError

    try:
        with _registry() as reg, _progress(quiet) as tick:
            result = reg.promote(
                name, version, stage, override=override, reason=reason, progress=tick
            )
    except GateRefusedError as exc:
        if fmt is TableJsonFormat.JSON:
            _json(
                {
                    "promoted": False,
                    "model": name,
                    "version": version,
                    "stage": stage,
                    "problems": exc.problems,
                }
            )
        else:
            _say(quiet, f"refused: {name}:{version} may not enter {stage}:")
            _say(quiet, *(f"  - {p}" for p in exc.problems))
            _say(quiet, "  (--override --reason TEXT passes it, for a role with registry.override)")
        raise typer.Exit(1) from None
    m = result.move
    if fmt is TableJsonFormat.JSON:
        _json(
            {"promoted": True, **m.to_dict(), "problems": result.problems, "signer": result.signer}
        )
        return
    was = f" (was {m.previous})" if m.previous else ""
    _say(quiet, f"{m.stage} of {name} is now {m.version}{was}")
    if result.signer:
        _say(quiet, f"  signature verified: {result.signer}")
    if result.problems:
        _say(quiet, f"  OVERRIDDEN gate ({m.reason}):", *(f"  - {p}" for p in result.problems))


@registry_app.command("pull")
def pull(
    name: _Name,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="New path to write the model to.")],
    version: Annotated[str | None, typer.Option("--version", "-v", help="This version.")] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", "-s", help="The version this stage runs.")
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Download a version; every digest and the signature are checked before DEST exists.

    Example: aisec registry pull fraud-model --stage production ./deploy/model
    """
    with _registry() as reg, _progress(quiet) as tick:
        result = reg.pull(name, dest, version=version, stage=stage, progress=tick)
    v = result.version
    if fmt is TableJsonFormat.JSON:
        _json(
            {
                "model": v.model,
                "version": v.version,
                "dest": str(result.dest),
                "manifest_digest": f"sha256:{v.manifest_digest}",
                "signer": result.signer,
                "notes": result.notes,
            }
        )
        return
    _say(
        quiet,
        f"pulled {v.ref} to {result.dest}: {len(v.files)} file(s), {_size(v.size)}, "
        "every digest verified",
    )
    if result.signer:
        _say(quiet, f"  signature verified: {result.signer}")
    _say(quiet, *(f"  note: {n}" for n in result.notes))


@registry_app.command("verify-deployment")
def verify_deployment(
    name: _Name,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The deployed model.")],
    stage: _Stage = "production",
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Check deployed files against the version a stage runs; exit 1 naming each difference.

    Exit 0 when identical: for admission hooks and start-up checks.

    Example: aisec registry verify-deployment fraud-model /srv/model --stage production
    """
    with _registry() as reg, _progress(quiet) as tick:
        check = reg.verify_deployment(name, stage, path, progress=tick)
    if fmt is TableJsonFormat.JSON:
        _json(check.to_dict())
    elif check.diff.identical:
        _say(quiet, f"{path} is {name}:{check.version} ({stage}): every file matches")
    else:
        _say(quiet, f"{path} differs from {name}:{check.version} ({stage}):")
        _say(quiet, *(f"  {line}" for line in check.diff.lines()))
    if not check.diff.identical:
        raise typer.Exit(1)


@registry_app.command("rollback")
def rollback(
    name: _Name, stage: _Stage = "production", fmt: TableJsonOpt = TableJsonFormat.TABLE
) -> None:
    """Move a stage back to its last known good version and say which.

    Example: aisec registry rollback fraud-model --stage production
    """
    with _registry() as reg:
        move = reg.rollback(name, stage)
    if fmt is TableJsonFormat.JSON:
        _json(move.to_dict())
        return
    _say(
        False,
        f"rolled back {stage} of {name}: {move.previous} -> {move.version} "
        "(the last version that passed its gate and is not quarantined)",
    )


@registry_app.command("quarantine")
def quarantine(
    name: _Name,
    version: _Version,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Quarantine a version: no promotion, no pull by stage; stages on it roll back.

    Example: aisec registry quarantine fraud-model 1.2.0 --reason "CVE in tokenizer"
    """
    with _registry() as reg:
        result = reg.quarantine(name, version, reason)
    if fmt is TableJsonFormat.JSON:
        _json(
            {
                **result.version.to_dict(with_files=False),
                "rolled_back": [m.to_dict() for m in result.moves],
            }
        )
        return
    _say(False, f"quarantined {result.version.ref}: {reason}")
    for m in result.moves:
        where = m.version or "nothing (no earlier good version: the stage is empty)"
        _say(False, f"  {m.stage} pointed at it: rolled back automatically to {where}")


@registry_app.command("release")
def release(name: _Name, version: _Version) -> None:
    """Lift a quarantine (stages are not moved back; promote again if wanted).

    Example: aisec registry release fraud-model 1.2.0
    """
    with _registry() as reg:
        v = reg.release(name, version)
    _say(False, f"released {v.ref} from quarantine; promote it again to deploy it")


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
