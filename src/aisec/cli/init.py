"""``aisec init``: create $AISEC_HOME with its store, audit key and an example policy."""

from __future__ import annotations

import typer

# Values are filled in as YAML scalars written by the YAML serializer (so a project named
# "a: b" stays a string), and the result is validated before anything is written.
EXAMPLE_POLICY = """\
# aisec policy. Check it with: aisec policy check
# Full schema: aisec policy schema
version: 1
project: {project}

# Who may do what (only this home policy, or one named by --policy / AISEC_POLICY, may
# set access, keys and store; an aisec.yaml in a project folder may not).
# Roles: admin, security, ml-engineer, auditor, service.
access:
  default_role: null          # principals not listed below get no permissions
  principals:
    - name: {user}
      kind: person
      roles: [admin]
      may_act_as: []          # service accounts this OS user may claim (AISEC_PRINCIPAL)

# AI assets and who owns them.
assets:
  - name: example-classifier
    kind: model
    owner: {user}
    classification: internal
    path: models/

keys:
  default_rotation_days: 90
"""


def _scalar(value: str) -> str:
    """``value`` as one YAML flow scalar, quoted by the serializer where needed."""
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    return text.removesuffix("\n...\n").removesuffix("\n")


def render_example_policy(project: str, user: str) -> str:
    """The example policy for ``project`` and OS user ``user``, validated (PolicyError if
    the values make an invalid policy)."""
    import yaml

    from aisec.core.errors import InputError, PolicyError
    from aisec.core.policy import parse_policy

    shown = repr(project if len(project) <= 40 else project[:40] + "…")
    text = EXAMPLE_POLICY.format(project=_scalar(project), user=_scalar(user))
    try:
        policy = parse_policy(yaml.safe_load(text), "policy")
    except PolicyError as exc:
        why = "; ".join(e.split(": ", 1)[-1] for e in exc.errors)
        raise InputError(f"--project {shown} would make an invalid policy ({why})") from None
    if policy.project != project:  # the serializer must give back exactly what was asked
        raise InputError(f"--project {shown} cannot be written as a YAML string")
    return text


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        project: str = typer.Option(
            "my-ai-project", help="Project name for the example policy (1-200 characters)."
        ),
    ) -> None:
        """Create $AISEC_HOME (default ./.aisec): store, audit key, example policy. Idempotent.

        Example: aisec init --project fraud-scoring
        """
        import stat

        from aisec.core.home import aisec_home, create_home, write_private
        from aisec.core.identity import os_user
        from aisec.core.policy import find_policy
        from aisec.core.store import redact_url

        # Validate first: a bad name must leave nothing behind.
        example = render_example_policy(project, os_user())
        existed = aisec_home().is_dir()
        home = create_home()
        messages = [f"home      {home}"]
        mode = stat.S_IMODE(home.stat().st_mode)
        if existed and mode & 0o077:
            try:
                home.chmod(0o700)
                messages.append(f"          mode was {mode:04o}; fixed to 0700 (it holds keys)")
            except OSError as exc:
                messages.append(
                    f"          WARNING: mode {mode:04o} lets others read it and chmod 700 "
                    f"failed ({exc.strerror}); fix it: chmod 700 {home}"
                )
        from aisec.core.audit import default_log, record

        log = default_log()  # creates the database (migrated) and the audit key
        messages += [
            f"store     {redact_url(log.store.url)}",
            f"audit key {log.key.path} (id {log.key.key_id})",
        ]
        from aisec.core.crypto import ensure_master_key

        master = ensure_master_key()  # prints its own warning when it generates a key file
        if master.startswith("generated"):
            master = f"new master key file {home / 'master.key'} (read the warning above)"
        messages.append(f"keys      {master}")
        existing = find_policy()
        if existing is None:
            path = home / "aisec.yaml"
            write_private(path, example.encode())
            messages.append(f"policy    {path} (example; edit it, then: aisec policy check)")
        else:
            messages.append(f"policy    {existing} (kept)")
        record("aisec.init", str(home), details={"project": project})
        from aisec.cli._text import visible

        typer.echo("\n".join(visible(m) for m in messages))  # paths come from the environment
