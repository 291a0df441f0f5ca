"""``aisec policy``: check an aisec.yaml and print its JSON Schema."""

from __future__ import annotations

from pathlib import Path

import typer

policy_app = typer.Typer(help="Check the policy file and print its schema.", no_args_is_help=True)


@policy_app.command("check")
def check(path: Path = typer.Argument(Path("aisec.yaml"), help="Policy file to check.")) -> None:
    """Validate a policy file; print every error with its YAML path (exit 2 on errors).

    Example: aisec policy check aisec.yaml
    """
    from aisec.cli._text import visible
    from aisec.core.policy import load_policy

    policy = load_policy(path)  # PolicyError -> every error printed, exit 2
    typer.echo(
        f"{visible(path)}: OK (project {visible(policy.project)}, {len(policy.assets)} asset(s), "
        f"{len(policy.access.principals)} principal(s), {len(policy.guard.scanners)} guard "
        "scanner(s))"
    )


@policy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of aisec.yaml (for editors and CI).

    Example: aisec policy schema > aisec.schema.json
    """
    from aisec.core.policy import policy_schema

    typer.echo(policy_schema())


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
