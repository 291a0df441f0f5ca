"""``aisec policy``: check the policy files aisec would load, and print the JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aisec.core.policy import Policy

policy_app = typer.Typer(help="Check the policy file and print its schema.", no_args_is_help=True)


def _guard_errors(policy: Policy) -> list[str]:
    """Each guard scanner entry built on its own, so every bad one is reported."""
    from aisec.core.errors import PolicyError
    from aisec.core.policy import GuardPolicy
    from aisec.guard import Engine

    errors: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(policy.guard.scanners):
        if entry.name in seen:
            errors.append(f"guard.scanners[{i}].name: scanner {entry.name!r} is listed twice")
            continue
        seen.add(entry.name)
        try:
            Engine(GuardPolicy(scanners=[entry], fail_open=policy.guard.fail_open))
        except PolicyError as exc:
            message = exc.message.removeprefix("policy: ")
            errors.append(message.replace("guard.scanners[0]", f"guard.scanners[{i}]", 1))
    return errors


def _check_one(path: Path, role: str) -> Policy:
    from aisec.core.errors import PolicyError
    from aisec.core.identity import reference_errors
    from aisec.core.policy import load_policy, load_project_policy

    policy = load_project_policy(path) if role == "project" else load_policy(path)
    errors = [*reference_errors(policy), *_guard_errors(policy)]
    if errors:
        raise PolicyError(
            f"policy {path}: {len(errors)} error(s)", [f"{path}: {e}" for e in errors]
        )
    return policy


@policy_app.command("check")
def check(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Policy file to check (default: the files aisec loads: AISEC_POLICY, or "
            "$AISEC_HOME/aisec.yaml and ./aisec.yaml)."
        ),
    ] = None,
) -> None:
    """Validate policy files: shapes and references (roles, permissions, scanners); exit 2 on
    errors, each printed with its YAML path.

    Example: aisec policy check
    """
    from aisec.cli._text import visible
    from aisec.core.errors import ConfigError
    from aisec.core.home import aisec_home
    from aisec.core.policy import policy_sources

    if path is not None:
        sources = [(path, "explicit")]
    else:
        sources = [(s.path, s.role) for s in policy_sources()]
        if not sources:
            raise ConfigError(
                "no policy to check: AISEC_POLICY is not set and there is no aisec.yaml in "
                f"AISEC_HOME ({visible(aisec_home())}) or in the working folder "
                f"({visible(Path.cwd())}); create one with: aisec init"
            )
    for source, role in sources:
        policy = _check_one(source, role)
        typer.echo(
            f"{visible(source)}: OK ({role} policy; project {visible(policy.project)}, "
            f"{len(policy.assets)} asset(s), {len(policy.access.principals)} principal(s), "
            f"{len(policy.guard.scanners)} guard scanner(s))"
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
