"""Key metadata read from the store, without Tink: what ``aisec keys list`` needs.

Loading Tink (and protobuf under it) costs about 60 ms, a fifth of a command's start-up
budget; listing keys reads rows and never touches key material, so it does not load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aisec.core.crypto._access import guarded
from aisec.core.crypto._model import KeyInfo, KeyVersion
from aisec.core.store import Connection, Store

__all__ = ["SELECT_KEY", "list_key_infos", "to_info"]

# Columns of a key row, in the order to_info reads them.
SELECT_KEY = (
    "SELECT name, purpose, backend, backend_ref, primary_version, created, rotated, state FROM keys"
)


def to_info(row: Sequence[Any], vrows: Sequence[Sequence[Any]]) -> KeyInfo:
    """KeyInfo from a row of :data:`SELECT_KEY` and its rows of key_versions."""
    name, purpose, backend, ref, primary, created, rotated, state = row
    when = Connection.time_value
    return KeyInfo(
        name=name,
        purpose=purpose,
        backend=backend,
        backend_ref=ref,
        primary_version=int(primary),
        created=when(created),
        rotated=when(rotated) if rotated else None,
        state=state,
        versions=tuple(KeyVersion(int(v[1]), when(v[3]), v[4]) for v in vrows),
    )


def list_key_infos(store: Store) -> list[KeyInfo]:
    """Metadata of every key in ``store``, by name (an access-checked, audited read)."""
    with guarded("keys.read", "*") as details:
        with store.read() as conn:
            rows = conn.execute(SELECT_KEY + " ORDER BY name").fetchall()
            vrows = conn.execute(
                "SELECT key_name, version, tink_key_id, created, state FROM key_versions"
                " ORDER BY key_name, version"
            ).fetchall()
        by_key: dict[str, list[Sequence[Any]]] = {}
        for v in vrows:
            by_key.setdefault(v[0], []).append(v)
        out = [to_info(r, by_key.get(r[0], [])) for r in rows]
        details["count"] = len(out)
        return out
