"""``aisec data …``: field-level encryption; contracts, profiles and the data check; the
signed provenance ledger (record, approve, lineage, verify) and quarantine. CSV, JSON Lines
and Parquet files."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    cell,
    console,
    dump_json,
    emit_findings,
)
from aisec.cli._text import visible

if TYPE_CHECKING:
    from rich.text import Text

    from aisec.data import DataRecord, LineageNode

data_app = typer.Typer(
    help="Protect data sets: field-level encryption, contracts, profiles, the data check, "
    "signed provenance, quarantine.",
    no_args_is_help=True,
)
contract_app = typer.Typer(
    help="Data contracts: draft one from a clean sample.", no_args_is_help=True
)
data_app.add_typer(contract_app, name="contract")


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _same_format(src: Path, dst: Path, given: str | None) -> None:
    """OUT is written in IN's format: refuse an OUT whose suffix says another (o.xlsx)."""
    from aisec.core.errors import InputError
    from aisec.data import detect_format

    if given is not None:
        return
    kind = detect_format(src)
    try:
        out_kind = detect_format(dst)
    except InputError:
        out_kind = None
    if out_kind != kind:
        raise InputError(
            f"{dst}: the output is written as {kind} (the input's format), but its suffix "
            f"{dst.suffix or '(none)'!r} says otherwise; name it with a {kind} suffix, or "
            "pass --file-format to write it anyway"
        )


_FileFormat = Annotated[
    str | None,
    typer.Option("--file-format", help="csv, jsonl or parquet (default: from the suffix)."),
]
_Delimiter = Annotated[
    str | None, typer.Option("--delimiter", help="CSV delimiter (default: tab for .tsv, else ',').")
]
_Force = Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")]
_BindTo = Annotated[
    str | None,
    typer.Option(
        "--bind-to",
        help="Columns identifying a row (e.g. a primary key), bound into each random cell "
        "so a cell moved to another row fails to decrypt. Default: the policy's "
        "data.datasets[].primary_key for the file. Deterministic columns stay unbound.",
    ),
]
_NoBind = Annotated[
    bool, typer.Option("--no-bind", help="Bind cells to their column only (not their row).")
]


def _bind(bind_to: str | None, no_bind: bool) -> list[str] | None:
    from aisec.core.errors import InputError

    if no_bind and bind_to:
        raise InputError("give --bind-to or --no-bind, not both")
    if no_bind:
        return []
    return _columns(bind_to) if bind_to is not None else None


@data_app.command("encrypt-fields")
def encrypt_fields(
    src: Annotated[Path, typer.Argument(metavar="IN", help="CSV, JSONL or Parquet file.")],
    dst: Annotated[Path, typer.Argument(metavar="OUT", help="File to write.")],
    key: Annotated[
        str | None, typer.Option("--key", "-k", help="aead key for --fields (random).")
    ] = None,
    fields: Annotated[
        str | None, typer.Option("--fields", help="Columns to encrypt (comma-separated).")
    ] = None,
    deterministic: Annotated[
        str | None,
        typer.Option("--deterministic", help="Columns to encrypt deterministically (joinable)."),
    ] = None,
    det_key: Annotated[
        str | None,
        typer.Option("--det-key", help="Deterministic key for --deterministic (default --key)."),
    ] = None,
    file_format: _FileFormat = None,
    delimiter: _Delimiter = None,
    force: _Force = False,
    bind_to: _BindTo = None,
    no_bind: _NoBind = False,
) -> None:
    """Encrypt chosen columns cell by cell; every other column is left exactly as it was.

    Example: aisec data encrypt-fields users.csv users.enc.csv --key pii --fields email --bind-to id
    """
    from aisec.core.crypto import Keyring
    from aisec.data import encrypt_fields_file

    _same_format(src, dst, file_format)
    with Keyring.open() as ring:
        result = encrypt_fields_file(
            ring,
            src,
            dst,
            key=key,
            fields=_columns(fields),
            deterministic=_columns(deterministic),
            det_key=det_key,
            fmt=file_format,
            delimiter=delimiter,
            force=force,
            bind_to=_bind(bind_to, no_bind),
        )
    bound = (
        f", bound to row {', '.join(result.bound_to)}"
        if result.bound_to
        else "; bound to their column only (a cell moved to another row still decrypts: "
        "use --bind-to ID)"
    )
    typer.echo(
        f"encrypted {result.cells} cells in {result.rows} rows "
        f"({visible(', '.join(result.columns))}) to {visible(dst)}{bound}",
        err=True,
    )


@data_app.command("decrypt-fields")
def decrypt_fields(
    src: Annotated[Path, typer.Argument(metavar="IN", help="File with encrypted columns.")],
    dst: Annotated[Path, typer.Argument(metavar="OUT", help="File to write.")],
    fields: Annotated[
        str | None,
        typer.Option("--fields", help="Encrypted columns (Parquet: default all it records)."),
    ] = None,
    file_format: _FileFormat = None,
    delimiter: _Delimiter = None,
    force: _Force = False,
    bind_to: _BindTo = None,
    no_bind: _NoBind = False,
) -> None:
    """Decrypt columns encrypted by encrypt-fields (same --bind-to); cells name their key.

    Example: aisec data decrypt-fields users.enc.csv users.csv --fields email,phone
    """
    from aisec.core.crypto import Keyring
    from aisec.data import decrypt_fields_file

    _same_format(src, dst, file_format)
    with Keyring.open() as ring:
        result = decrypt_fields_file(
            ring,
            src,
            dst,
            fields=_columns(fields),
            fmt=file_format,
            delimiter=delimiter,
            force=force,
            bind_to=_bind(bind_to, no_bind),
        )
    typer.echo(
        f"decrypted {result.cells} cells in {result.rows} rows "
        f"({visible(', '.join(result.columns))}) to {visible(dst)}",
        err=True,
    )


_Data = Annotated[
    str, typer.Argument(metavar="DATA", help="CSV, JSONL or Parquet: a path or fsspec URL.")
]


@contextmanager
def _rows_bar(label: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar of rows read (on a terminal, unless --quiet)."""
    import sys

    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(visible(label)[-40:], markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows", markup=False),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        yield update


@contract_app.command("infer")
def contract_infer(
    data: _Data,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the contract here (default: stdout).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Contract name.")] = None,
    label: Annotated[str | None, typer.Option("--label", help="The label column.")] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Free-text columns (comma-separated; default: guessed)."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Column naming each row's origin.")
    ] = None,
    file_format: _FileFormat = None,
    delimiter: _Delimiter = None,
    force: _Force = False,
) -> None:
    """Draft a data contract (YAML) from a clean sample; review it before use.

    Example: aisec data contract infer clean.parquet --label label --source origin -o contract.yaml
    """
    from aisec.core.errors import InputError
    from aisec.data import contract_yaml, infer_contract

    if out is not None and out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to replace it")
    contract = infer_contract(
        data,
        name=name,
        label=label,
        text=_columns(text) if text is not None else None,
        source=source,
        fmt=file_format,
        delimiter=delimiter,
    )
    doc = contract_yaml(contract)
    if out is None:
        typer.echo(doc, nl=False)
        return
    out.write_text(doc, encoding="utf-8")
    typer.echo(
        f"wrote a contract of {len(contract.columns)} columns to {visible(out)}; review it, "
        f"then: aisec data check DATA --contract {visible(out)}",
        err=True,
    )


@data_app.command("profile")
def profile(
    data: _Data,
    out: Annotated[Path, typer.Option("--out", "-o", help="Profile JSON to write.")],
    label: Annotated[str | None, typer.Option("--label", help="The label column.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Column naming each row's origin.")
    ] = None,
    file_format: _FileFormat = None,
    delimiter: _Delimiter = None,
    force: _Force = False,
    quiet: QuietOpt = False,
) -> None:
    """Profile a data set in one streaming pass (a baseline for data check).

    Example: aisec data profile clean.parquet --label label --out baseline.json
    """
    import json

    from aisec.core.errors import InputError
    from aisec.data import profile as make_profile

    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to replace it")
    with _rows_bar(data, quiet) as bar:
        result = make_profile(
            data, label=label, source=source, fmt=file_format, delimiter=delimiter, progress=bar
        )
    out.write_text(
        json.dumps(result.to_json(), separators=(",", ":"), sort_keys=True) + "\n", "utf-8"
    )
    if not quiet:
        typer.echo(
            f"profiled {result.rows} rows, {len(result.columns)} columns to {visible(out)}",
            err=True,
        )


@data_app.command("check")
def check(
    data: _Data,
    contract: Annotated[
        str,
        typer.Option(
            "--contract",
            "-c",
            help="Contract file, or a name under data.contracts in the policy (default: the "
            "one whose path matches DATA).",
        ),
    ] = "",
    baseline: Annotated[
        Path | None, typer.Option("--baseline", "-b", help="Baseline profile (data profile).")
    ] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "high",
    quiet: QuietOpt = False,
    file_format: _FileFormat = None,
    delimiter: _Delimiter = None,
) -> None:
    """Check a data set against its contract and a baseline: quality, drift, poisoning.

    Example: aisec data check batch.parquet --contract contract.yaml --baseline baseline.json
    """
    from aisec.data import check as run_check

    with _rows_bar(data, quiet) as bar:
        result = run_check(
            data,
            contract,
            baseline=baseline,
            fmt=file_format,
            delimiter=delimiter,
            progress=bar,
        )
    code = emit_findings(
        result.findings,
        fmt,
        fail_on,
        quiet,
        command="data check",
        title="Data check",
        extra={
            "data": {
                "location": result.location,
                "rows": result.rows,
                "sampled_rows": result.sampled_rows,
            }
        },
        before=[cell(f"{result.location}: {result.rows} rows")],
    )
    raise typer.Exit(int(code))


# -- provenance ledger and quarantine ----------------------------------------------------

_RecordId = Annotated[str, typer.Argument(metavar="ID", help="Data record id (ds-…).")]


def _show_record(rec: DataRecord, fmt: TableJsonFormat, verb: str) -> None:
    """Print a record: JSON on stdout, or one line on stderr."""
    if fmt is TableJsonFormat.JSON:
        dump_json(rec.to_json())
        return
    state = []
    if rec.approved_by:
        state.append(f"approved by {rec.approved_by}")
    if rec.quarantined_at:
        state.append(f"QUARANTINED ({rec.quarantine_reason})")
    if not rec.authentic:
        state.append(f"SIGNATURE INVALID: {rec.problem}")
    tail = f"; {'; '.join(state)}" if state else ""
    typer.echo(
        visible(f"{verb} {rec.id}: digest {rec.digest[:16]}…, {len(rec.tree.files)} file(s){tail}"),
        err=True,
    )


@data_app.command("record")
def record_data(
    data: Annotated[str, typer.Argument(metavar="DATA", help="File or folder (path or URL).")],
    source: Annotated[str, typer.Option("--source", help="Where the data came from.")],
    transform: Annotated[
        str, typer.Option("--transform", help="How it was made (e.g. 'dedup + filter').")
    ],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Record id of the data it was made from.")
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Record a data set in the signed provenance ledger (content digest, source, transform).

    Example: aisec data record train.parquet --source s3://raw/2026-12 --transform dedup
    """
    from aisec.data import data_size, record

    with _progress(f"hashing {data}", data_size(data)) as advance:
        rec = record(data, source=source, transform=transform, parent=parent, progress=advance)
    if fmt is TableJsonFormat.TABLE:
        typer.echo(rec.id)
    _show_record(rec, fmt, "recorded")


@data_app.command("approve")
def approve_data(record_id: _RecordId, fmt: TableJsonOpt = TableJsonFormat.TABLE) -> None:
    """Approve a recorded data set for use (needs data.approve; audited).

    Example: aisec data approve ds-3fedb25045f060d6
    """
    from aisec.data import approve

    _show_record(approve(record_id), fmt, "approved")


@data_app.command("quarantine")
def quarantine_data(
    record_id: _RecordId,
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to every gate).")],
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Quarantine a data set: gates refuse it and all data made from it (audited).

    Example: aisec data quarantine ds-3fedb25045f060d6 --reason "trigger phrase found"
    """
    from aisec.data import quarantine

    _show_record(quarantine(record_id, reason), fmt, "quarantined")


@data_app.command("release")
def release_data(record_id: _RecordId, fmt: TableJsonOpt = TableJsonFormat.TABLE) -> None:
    """Lift a data set's quarantine (needs data.quarantine; audited).

    Example: aisec data release ds-3fedb25045f060d6
    """
    from aisec.data import release

    _show_record(release(record_id), fmt, "released")


@data_app.command("lineage")
def lineage_data(record_id: _RecordId, fmt: TableJsonOpt = TableJsonFormat.TABLE) -> None:
    """Show where a data set came from and what was made from it, as a tree.

    Example: aisec data lineage ds-3fedb25045f060d6 --format json
    """
    from rich.tree import Tree

    from aisec.data import lineage

    root = lineage(record_id)
    if fmt is TableJsonFormat.JSON:
        dump_json(root.to_json())
        return

    def label(node: LineageNode) -> Text:
        rec = node.record
        marks = []
        if rec.approved_by:
            marks.append(f"approved by {rec.approved_by}")
        if rec.quarantined_at:
            marks.append(f"QUARANTINED: {rec.quarantine_reason}")
        if not rec.authentic:
            marks.append("SIGNATURE INVALID")
        text = cell(f"{rec.id}{'  <' if rec.id == record_id else ''}", "bold")
        made = f"source: {rec.source}; transform: {rec.transform}"
        text.append(cell(f"  {made}; {rec.actor}, {rec.created[:19]}"))
        if marks:
            text.append(
                cell(
                    f"  [{'; '.join(marks)}]",
                    "red" if rec.quarantined_at or not rec.authentic else "green",
                )
            )
        return text

    def add(tree: Tree, node: LineageNode) -> None:
        for child in node.children:
            add(tree.add(label(child)), child)

    tree = Tree(label(root))
    add(tree, root)
    console().print(tree)


@data_app.command("verify")
def verify_data(
    data: Annotated[str, typer.Argument(metavar="DATA", help="File or folder (path or URL).")],
    record_id: Annotated[str, typer.Option("--id", help="Record id to compare with.")],
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "info",
    quiet: QuietOpt = False,
) -> None:
    """Check DATA against its signed record; name each changed file or row group (exit 1).

    Example: aisec data verify train.parquet --id ds-3fedb25045f060d6
    """
    from aisec.data import verify

    report = verify(data, record_id)
    if report.intact and fmt is OutputFormat.TABLE and not quiet:
        files = len(report.record.tree.files)
        leaves = sum(len(f.leaves) for f in report.record.tree.files)
        typer.echo(f"intact: {files} file(s), {leaves} row group(s)/chunk(s) match {record_id}")
        raise typer.Exit(0)
    code = emit_findings(
        report.findings(),
        fmt,
        fail_on,
        quiet,
        command="data verify",
        title=f"Data set against {record_id}",
        extra={"record": report.record.to_json()},
    )
    raise typer.Exit(int(code))


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress line on a terminal's stderr; nothing off a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from aisec.cli._progress import ProgressLine

    line = ProgressLine(label, total, sys.stderr)
    try:
        yield line
    finally:
        line.close()


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
