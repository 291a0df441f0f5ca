"""``aisec data …``: field-level encryption of CSV, JSON Lines and Parquet files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisec.cli._text import visible

data_app = typer.Typer(help="Protect data sets: field-level encryption.", no_args_is_help=True)


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


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
