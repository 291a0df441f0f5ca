"""Concurrent promotions of one model cannot interleave: each stage move reads the stage
and writes it under the model's row lock (SELECT … FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite), so every history entry's ``previous`` is the version the entry
before it set."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_model

from aisec.registry import Registry

ROUNDS = 8


def test_concurrent_promotions_form_one_unbroken_history(
    db_url: str,
    tmp_path: Path,
    write_policy: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    write_policy(registry={"gate": {"require_signature": False}})
    versions = ("1", "2", "3", "4")
    with Registry.open() as reg:
        for n, v in enumerate(versions):
            reg.push("m", make_model(tmp_path / v, seed=n), v)
    errors: list[BaseException] = []
    start = threading.Barrier(len(versions))

    def promote(version: str) -> None:
        try:
            with Registry.open() as mine:
                start.wait()
                for _ in range(ROUNDS):
                    mine.promote("m", version, "production")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=promote, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Registry.open() as reg:
        info = reg.show("m")
    moves = [h for h in info.history if h.stage == "production"]
    assert len(moves) == ROUNDS * len(versions)
    assert moves[0].previous is None
    for before, after in itertools.pairwise(moves):
        assert after.previous == before.version
    assert info.stages["production"].version == moves[-1].version
