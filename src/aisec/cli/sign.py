"""``aisec sign`` / ``aisec verify``: OpenSSF Model Signing signatures of model folders."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec.cli._output import QuietOpt, TableJsonFormat, TableJsonOpt
from aisec.cli._text import visible

if TYPE_CHECKING:
    from aisec.artifacts import Verified

_Model = Annotated[Path, typer.Argument(metavar="MODEL_PATH", help="Model folder or file.")]
_Key = Annotated[
    str | None, typer.Option("--key", "-k", help="Signing key of the aisec keyring (NAME).")
]
_Signature = Annotated[
    Path | None,
    typer.Option("--signature", "-s", help="Signature file (default: model.sig here)."),
]
_Ignore = Annotated[
    list[Path] | None,
    typer.Option(
        "--ignore-paths",
        help="A path to leave out (relative to the working folder, as model_signing's CLI "
        "takes it); repeatable.",
    ),
]
_BIG = 64 * 10**6  # show a progress bar from this many bytes


@contextmanager
def _progress(quiet: bool, verb: str) -> Iterator[Callable[[int, int], None] | None]:
    """A bytes progress bar on stderr (a terminal only); the callback is thread-safe."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from aisec.cli._output import console

    lock = threading.Lock()
    with Progress(
        f"{verb}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(verb, total=None, visible=False)

        def advance(n: int, total: int) -> None:
            with lock:
                bar.update(task, advance=n, total=total, visible=total >= _BIG)

        yield advance


def _absolute(paths: list[Path] | None) -> list[Path]:
    return [p if p.is_absolute() else Path.cwd() / p for p in paths or []]


def sign(
    model_path: _Model,
    key: _Key = None,
    private_key: Annotated[
        Path | None, typer.Option("--private-key", help="PEM EC private key file.")
    ] = None,
    sigstore: Annotated[
        bool, typer.Option("--sigstore", help="Keyless Sigstore signing (network, OIDC).")
    ] = False,
    signature: _Signature = None,
    ignore_paths: _Ignore = None,
    identity_token: Annotated[
        str | None,
        typer.Option(
            "--identity-token", envvar="SIGSTORE_ID_TOKEN", help="OIDC token for --sigstore."
        ),
    ] = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Sign a model folder in the OpenSSF Model Signing format (a Sigstore bundle).

    Example: aisec sign models/bert --key release --signature bert.sig
    """
    from aisec.artifacts import sign as sign_model

    with _progress(quiet, "hashing") as progress:
        written = sign_model(
            model_path,
            key=key,
            private_key=private_key,
            sigstore=sigstore,
            signature=signature,
            ignore_paths=_absolute(ignore_paths),
            identity_token=identity_token,
            interactive=sys.stdin.isatty(),
            progress=progress,
        )
    if quiet:
        return
    if fmt is TableJsonFormat.JSON:
        from aisec.cli._output import dump_json

        dump_json({"signed": True, "model": str(model_path), "signature": str(written)})
        return
    typer.echo(f"signed {visible(model_path)}: signature written to {visible(written)}")


def verify(
    model_path: _Model,
    key: _Key = None,
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="PEM public key file.")
    ] = None,
    certificate_chain: Annotated[
        list[Path] | None,
        typer.Option("--certificate-chain", help="PEM CA certificates to chain to; repeatable."),
    ] = None,
    identity: Annotated[
        str | None, typer.Option("--identity", help="Sigstore signer identity (e-mail, URI).")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="Sigstore identity's OIDC issuer URL.")
    ] = None,
    trusted: Annotated[
        bool, typer.Option("--trusted", help="Any key of the policy's signing.trusted_keys.")
    ] = False,
    signature: _Signature = None,
    ignore_paths: _Ignore = None,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
    quiet: QuietOpt = False,
) -> None:
    """Verify a model against its signature; exit 1 naming each changed, missing or added file.

    Example: aisec verify models/bert --key release --signature bert.sig
    """
    from aisec.artifacts import SignatureError, policy_trusted_keys, verify_trusted
    from aisec.artifacts import verify as verify_model
    from aisec.artifacts.signing import DEFAULT_SIGNATURE
    from aisec.core.errors import InputError

    chain = certificate_chain or []
    ignored = _absolute(ignore_paths)
    try:
        with _progress(quiet, "hashing") as progress:
            if trusted:
                if key or public_key or chain or identity:
                    raise InputError("--trusted takes the keys from the policy; give no key")
                result = verify_trusted(
                    model_path,
                    signature or DEFAULT_SIGNATURE,
                    policy_trusted_keys(),
                    ignore_paths=ignored,
                    progress=progress,
                )
            else:
                result = verify_model(
                    model_path,
                    key=key,
                    public_key=public_key,
                    certificate_chain=chain,
                    identity=identity,
                    issuer=issuer,
                    signature=signature,
                    ignore_paths=ignored,
                    progress=progress,
                )
    except SignatureError as exc:
        if not quiet:
            _failed(model_path, exc.problems, fmt)
        raise typer.Exit(int(exc.exit_code)) from None
    if not quiet:
        _verified(model_path, result, fmt)


def _document(model_path: Path, verified: bool) -> dict[str, Any]:
    return {"verified": verified, "model": str(model_path)}


def _failed(model_path: Path, problems: list[str], fmt: TableJsonFormat) -> None:
    if fmt is TableJsonFormat.JSON:
        from aisec.cli._output import dump_json

        dump_json({**_document(model_path, False), "problems": problems})
        return
    typer.echo(f"NOT VERIFIED {visible(model_path)}: {len(problems)} problem(s)")
    for line in problems:
        typer.echo(f"  {visible(line)}")


def _verified(model_path: Path, v: Verified, fmt: TableJsonFormat) -> None:
    if fmt is TableJsonFormat.JSON:
        from aisec.cli._output import dump_json

        dump_json(
            {
                **_document(model_path, True),
                "signer": v.signer,
                "method": v.method,
                "key": v.key_name,
                "key_version": v.key_version,
                "files": v.files,
                "manifest_digest": v.manifest_digest,
            }
        )
        return
    by = f"key {v.key_name}" + (f" v{v.key_version}" if v.key_version else "")
    who = f"{by} ({v.signer})" if v.key_name else f"{v.method} {v.signer}"
    typer.echo(f"verified {visible(model_path)}: {v.files} file(s), signed by {visible(who)}")


def register(app: typer.Typer) -> None:
    app.command("sign")(sign)
    app.command("verify")(verify)
