"""``aisec keys …`` (create, list, rotate, disable, enable, rewrap, public), ``encrypt``,
``decrypt``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aisec.cli._text import visible

if TYPE_CHECKING:
    from aisec.core.crypto import KeyInfo

keys_app = typer.Typer(
    help="Create, list, rotate, disable and enable keys; re-wrap encrypted files.",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


_Purpose = Annotated[
    str,
    typer.Option(
        "--purpose", "-p", help="aead (default), deterministic, streaming or signing (EC P-256)."
    ),
]
_Backend = Annotated[
    str | None,
    typer.Option("--backend", "-b", help="local, vault or aws-kms (default: policy, else local)."),
]


def _when(info: KeyInfo) -> tuple[str, str]:
    rotated = info.rotated.strftime("%Y-%m-%d %H:%M") if info.rotated else "-"
    return info.created.strftime("%Y-%m-%d %H:%M"), rotated


def _state(info: KeyInfo) -> str:
    disabled = [str(v.version) for v in info.versions if v.state == "disabled"]
    return info.state + (f" (disabled: v{', v'.join(disabled)})" if disabled else "")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Key name: a-z, 0-9, '.', '_', '-'.")],
    purpose: _Purpose = "aead",
    backend: _Backend = None,
    kms_key: Annotated[
        str | None,
        typer.Option(
            "--kms-key",
            help="KEK for vault (transit path MOUNT/keys/NAME) or aws-kms (aws-kms://arn:…).",
        ),
    ] = None,
) -> None:
    """Create a named key (never prints key material).

    Example: aisec keys create datasets --purpose streaming
    """
    from aisec.core.crypto import Keyring

    with Keyring.open() as ring:
        info = ring.create_key(name, purpose, backend, kms_key)
    typer.echo(f"created key {info.name} ({info.purpose}, {info.backend}), version 1")


@keys_app.command("list")
def list_keys(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = (
        ListFormat.TABLE
    ),
) -> None:
    """List keys: id, purpose, backend, primary version, created, rotated, state.

    Example: aisec keys list --format json
    """
    from aisec.core.crypto import list_keys as list_key_metadata

    keys = list_key_metadata()  # store rows only: Tink is not loaded
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps([k.to_json() for k in keys], indent=2))
        return
    if not keys:
        typer.echo("no keys; create one with: aisec keys create NAME")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Keys")
    for col in ("id", "purpose", "backend", "primary", "created", "rotated", "state"):
        table.add_column(col, overflow="fold")
    for k in keys:
        created, rotated = _when(k)
        table.add_row(
            k.name, k.purpose, k.backend, f"v{k.primary_version}", created, rotated, _state(k)
        )
    Console(width=120).print(table)


@keys_app.command("rotate")
def rotate(
    name: Annotated[str | None, typer.Argument(help="Key to rotate (or --due).")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Rotate every key past its policy rotation_days.")
    ] = False,
) -> None:
    """Add a new primary version; older ciphertexts still decrypt.

    Example: aisec keys rotate --due
    """
    from aisec.core.crypto import Keyring
    from aisec.core.errors import InputError

    if (name is None) == (not due):
        raise InputError("give a key NAME or --due (not both)")
    with Keyring.open() as ring:
        if name is not None:
            info = ring.rotate(name)
            typer.echo(f"rotated {info.name}: primary is now v{info.primary_version}")
            return
        rotated = ring.rotate_due()
    if not rotated:
        typer.echo("no key is due for rotation")
    for info in rotated:
        typer.echo(f"rotated {info.name}: primary is now v{info.primary_version}")


@keys_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="Key name.")],
    version: Annotated[int, typer.Option("--version", "-v", min=1, help="Version to disable.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")
    ] = False,
) -> None:
    """Disable one key version: data still under it fails to decrypt until `keys enable`.

    Example: aisec keys disable datasets --version 1 --yes
    """
    import sys

    from aisec.core.crypto import Keyring
    from aisec.core.errors import InputError

    warning = (
        f"Disabling {name} v{version} makes everything still encrypted under it unreadable: "
        f"files whose header names {name} v{version} (aisec encrypt) and field cells made "
        f"with it (aisec data encrypt-fields) will fail to decrypt until you run "
        f"`aisec keys enable {name} --version {version}`. Move files to the primary first "
        "with `aisec keys rewrap`."
    )
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(
                f"not a terminal, so not asking: pass --yes to disable {name} v{version}. "
                + warning
            )
        typer.echo(warning, err=True)
        if not typer.confirm(f"Disable {name} v{version}?", default=False, err=True):
            typer.echo("nothing changed", err=True)
            raise typer.Exit(1)
    with Keyring.open() as ring:
        ring.disable_version(name, version)
    typer.echo(f"disabled {name} v{version} (undo: aisec keys enable {name} --version {version})")


@keys_app.command("enable")
def enable(
    name: Annotated[str, typer.Argument(help="Key name.")],
    version: Annotated[int, typer.Option("--version", "-v", min=1, help="Version to enable.")],
) -> None:
    """Enable a disabled key version again: data under it decrypts again.

    Example: aisec keys enable datasets --version 1
    """
    from aisec.core.crypto import Keyring

    with Keyring.open() as ring:
        ring.enable_version(name, version)
    typer.echo(f"enabled {name} v{version}")


@keys_app.command("rewrap")
def rewrap(
    files: Annotated[list[Path], typer.Argument(help="Encrypted files to move to the primary.")],
) -> None:
    """Re-wrap files' data keys under their key's current primary; payloads are untouched.

    Example: aisec keys rewrap data/*.aisec
    """
    from aisec.core.crypto import Keyring

    with Keyring.open() as ring:
        for path in files:
            moved = ring.rewrap(path)
            if moved is None:
                typer.echo(f"{visible(path)}: already under the primary version")
            else:
                typer.echo(f"{visible(path)}: v{moved[0]} -> v{moved[1]}")


@keys_app.command("public")
def public(
    name: Annotated[str, typer.Argument(help="Signing key name.")],
    version: Annotated[
        int | None,
        typer.Option("--version", "-v", min=1, help="Version (default: the primary)."),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all", help="Every enabled version, one PEM block after another.")
    ] = False,
) -> None:
    """Print the PEM public key of a signing key (for model_signing and other verifiers).

    Example: aisec keys public release-signing > release-signing.pub
    """
    from aisec.core.crypto import Keyring
    from aisec.core.errors import InputError

    if all_versions and version is not None:
        raise InputError("give --version or --all, not both")
    with Keyring.open() as ring:
        pems = ring.public_keys(name, enabled_only=version is None)
        primary = ring.get(name).primary_version
    if all_versions:
        typer.echo(b"".join(pems.values()).decode(), nl=False)
        return
    wanted = version or primary
    if wanted not in pems:
        known = ", ".join(f"v{v}" for v in pems)
        raise InputError(f"key {name!r} has no version {wanted} (versions: {known})")
    typer.echo(pems[wanted].decode(), nl=False)


@contextmanager
def _progress(path: Path, verb: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for files over 64 MB when stderr is a terminal."""
    import sys

    from aisec.cli._progress import ProgressLine

    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size < 64 * 10**6 or not sys.stderr.isatty():
        yield None
        return
    bar = ProgressLine(f"{verb} {visible(path.name)}", size, sys.stderr)
    try:
        yield bar
    finally:
        bar.close()


def _not_a_folder(src: Path) -> None:
    from aisec.core.errors import InputError

    if src.is_dir():
        raise InputError(
            f"{src}: is a folder; encrypt and decrypt take one file "
            "(archive a folder first, e.g. tar -cf folder.tar folder/)"
        )


_Aad = Annotated[
    str | None,
    typer.Option("--aad", help="Associated data the file is bound to (needed again to decrypt)."),
]
_Force = Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")]


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")

    @app.command("encrypt")
    def encrypt(
        src: Annotated[Path, typer.Argument(metavar="IN", help="File to encrypt.")],
        dst: Annotated[Path, typer.Argument(metavar="OUT", help="Encrypted file to write.")],
        key: Annotated[str, typer.Option("--key", "-k", help="Key name (streaming or aead).")],
        aad: _Aad = None,
        bind_name: Annotated[
            bool, typer.Option("--bind-name", help="Bind OUT's file name: a renamed copy fails.")
        ] = False,
        force: _Force = False,
    ) -> None:
        """Encrypt a file of any size in constant memory (envelope, streaming AEAD).

        Example: aisec encrypt train.parquet train.parquet.aisec --key datasets
        """
        from aisec.core.crypto import Keyring

        _not_a_folder(src)
        with Keyring.open() as ring, _progress(src, "encrypting") as progress:
            n = ring.encrypt_file(
                src, dst, key, (aad or "").encode(), bind_name, force, progress=progress
            )
        typer.echo(f"encrypted {n} bytes to {visible(dst)} with key {visible(key)}", err=True)

    @app.command("decrypt")
    def decrypt(
        src: Annotated[Path, typer.Argument(metavar="IN", help="Encrypted file.")],
        dst: Annotated[Path, typer.Argument(metavar="OUT", help="Plaintext file to write.")],
        aad: _Aad = None,
        force: _Force = False,
    ) -> None:
        """Decrypt a file made by `aisec encrypt`; the key comes from its header.

        Example: aisec decrypt train.parquet.aisec train.parquet
        """
        from aisec.core.crypto import Keyring

        _not_a_folder(src)
        with Keyring.open() as ring, _progress(src, "decrypting") as progress:
            n = ring.decrypt_file(src, dst, (aad or "").encode(), force, progress=progress)
        typer.echo(f"decrypted {n} bytes to {visible(dst)}", err=True)
