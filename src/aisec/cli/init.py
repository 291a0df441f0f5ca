"""``aisec init``: create $AISEC_HOME with its store, audit key and an example policy."""

from __future__ import annotations

import typer

EXAMPLE_POLICY = """\
# aisec policy. Check it with: aisec policy check aisec.yaml
# Full schema: aisec policy schema
version: 1
project: {project}

# Who may do what. Roles: admin, security, ml-engineer, auditor, service.
access:
  default_role: null          # principals not listed below get no permissions
  principals:
    - name: {user}
      kind: person
      roles: [admin]

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


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        project: str = typer.Option("my-ai-project", help="Project name for the example policy."),
    ) -> None:
        """Create $AISEC_HOME (default ./.aisec): store, audit key, example policy. Idempotent.

        Example: aisec init --project fraud-scoring
        """
        from aisec.core.audit import default_log, record
        from aisec.core.home import ensure_home, write_private
        from aisec.core.identity import os_user
        from aisec.core.policy import find_policy
        from aisec.core.store import redact_url

        home = ensure_home()
        log = default_log()  # creates the database (migrated) and the audit key
        messages = [
            f"home      {home}",
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
            text = EXAMPLE_POLICY.format(project=project, user=os_user())
            write_private(path, text.encode())
            messages.append(f"policy    {path} (example; edit it, then: aisec policy check)")
        else:
            messages.append(f"policy    {existing} (kept)")
        record("aisec.init", str(home), details={"project": project})
        from aisec.cli._text import visible

        typer.echo("\n".join(visible(m) for m in messages))  # paths come from the environment
