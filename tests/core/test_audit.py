"""The audit log: tamper evidence (acceptance 2) and concurrency (acceptance 3)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from aisec.cli.main import main
from aisec.core.audit import CHECKPOINT_EVERY, GENESIS, AuditKey, AuditLog, record
from aisec.core.store import AuditCheckpointRow, AuditEventRow, open_store


def _log(home: Path, url: str) -> AuditLog:
    home.mkdir(parents=True, exist_ok=True)
    return AuditLog(open_store(url), AuditKey(home / "audit.key"), witness=home / "witness")


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append("alice", "model.promoted", f"model-{i}", details={"env": "prod", "i": i})


def _rules(log: AuditLog) -> list[tuple[str, str | None]]:
    return [(f.rule_id, f.location.pointer) for f in log.verify()]


def test_intact_log_verifies_clean(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 5)
    assert log.verify() == []
    assert [e.seq for e in log.tail(3)] == [3, 4, 5]
    assert log.tail(1)[0].details == {"env": "prod", "i": 4}


def test_edited_details_detected(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 5)
    with log.store.engine.begin() as conn:
        conn.execute(
            update(AuditEventRow).where(AuditEventRow.seq == 3).values(details='{"env":"dev"}')
        )
    assert _rules(log)[0] == ("audit-event-altered", "/events/3")


def test_deleted_middle_event_detected(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 5)
    with log.store.engine.begin() as conn:
        conn.execute(delete(AuditEventRow).where(AuditEventRow.seq == 3))
    rules = _rules(log)
    assert rules[0] == ("audit-event-missing", "/events/3")
    assert ("audit-chain-broken", "/events/4") in rules


def test_swapped_events_detected(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 5)
    cols = ["time", "actor", "action", "target", "outcome", "details", "prev_hash", "hash"]
    with log.store.engine.begin() as conn:
        rows = {
            r.seq: {c: getattr(r, c) for c in cols}
            for r in conn.execute(select(AuditEventRow).where(AuditEventRow.seq.in_([2, 4])))
        }
        conn.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(**rows[4]))
        conn.execute(update(AuditEventRow).where(AuditEventRow.seq == 4).values(**rows[2]))
    rules = _rules(log)
    assert rules[0][1] == "/events/2"
    assert {r for r, _ in rules} >= {"audit-chain-broken", "audit-event-altered"}


def test_appended_event_with_forged_hash_detected(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 5)
    last = log.tail(1)[0]
    forged = {
        "seq": 6,
        "time": last.time,
        "actor": "mallory",
        "action": "keys.rotate",
        "target": "prod-key",
        "outcome": "ok",
        "details": {},
        "prev_hash": last.hash,
    }
    # The attacker can compute a plain SHA-256 chain, but not the keyed hash.
    digest = hashlib.sha256(json.dumps(forged, sort_keys=True).encode()).hexdigest()
    with log.store.engine.begin() as conn:
        conn.execute(
            AuditEventRow.__table__.insert().values(  # type: ignore[attr-defined]
                {**forged, "details": "{}", "hash": digest}
            )
        )
    assert _rules(log) == [("audit-event-altered", "/events/6")]


def test_events_removed_from_the_end_detected_by_signed_checkpoint(
    aisec_home: Path, db_url: str
) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, CHECKPOINT_EVERY + 10)  # a checkpoint is signed at event 100
    with log.store.engine.begin() as conn:
        conn.execute(delete(AuditEventRow).where(AuditEventRow.seq > 90))
    rules = _rules(log)
    assert rules.count(("audit-log-truncated", "/events/91")) == 1


def test_truncation_detected_even_when_checkpoints_are_deleted_too(
    aisec_home: Path, db_url: str
) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, CHECKPOINT_EVERY + 5)
    with log.store.engine.begin() as conn:
        conn.execute(delete(AuditEventRow).where(AuditEventRow.seq > 50))
        conn.execute(delete(AuditCheckpointRow))
    assert ("audit-log-truncated", "/events/51") in _rules(log)  # the witness file remembers


def test_forged_checkpoint_signature_detected(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 3)
    log.checkpoint()
    with log.store.engine.begin() as conn:
        conn.execute(update(AuditCheckpointRow).values(signature="00" * 64))
    assert ("audit-checkpoint-invalid", "/events/3") in _rules(log)


def test_genesis_and_chain_links(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    _fill(log, 3)
    events = log.tail(3)
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_secret_looking_details_are_redacted(aisec_home: Path) -> None:
    event = record("keys.create", "k1", details={"api_key": "sk-live-123", "purpose": "aead"})
    assert event.details == {"api_key": "[redacted]", "purpose": "aead"}


def test_bad_outcome_and_huge_details_are_input_errors(aisec_home: Path) -> None:
    from aisec.core.errors import InputError

    with pytest.raises(InputError, match="outcome"):
        record("x", "y", outcome="maybe")
    with pytest.raises(InputError, match="over"):
        record("x", "y", details={"blob": "a" * 20_000})
    with pytest.raises(InputError, match="printable"):
        record("x\nforged line", "y")


def test_world_readable_audit_key_is_refused(aisec_home: Path) -> None:
    from aisec.core.errors import ConfigError

    aisec_home.mkdir(parents=True)
    AuditKey(aisec_home / "audit.key")
    (aisec_home / "audit.key").chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        AuditKey(aisec_home / "audit.key")


def _assert_complete(log: AuditLog, expected: int) -> None:
    with log.store.engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(select(AuditEventRow.seq).order_by(AuditEventRow.seq))]
        targets = [r[0] for r in conn.execute(select(AuditEventRow.target))]
    assert seqs == list(range(1, expected + 1))  # nothing lost, nothing duplicated
    assert len(set(targets)) == expected  # every writer's every event is there once
    assert log.verify() == []


def test_concurrent_threads_lose_and_duplicate_nothing(aisec_home: Path, db_url: str) -> None:
    log = _log(aisec_home, db_url)
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(1000):
                log.append(f"thread-{t}", "test.event", f"t{t}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    _assert_complete(log, 8000)


def _process_writer(home: str, url: str, tag: str, n: int) -> None:
    log = _log(Path(home), url)
    for i in range(n):
        log.append(tag, "test.event", f"{tag}-{i}")


def test_concurrent_processes_lose_and_duplicate_nothing(aisec_home: Path, db_url: str) -> None:
    _log(aisec_home, db_url)  # create key and schema first
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_process_writer, args=(str(aisec_home), db_url, f"p{p}", 500))
        for p in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    _assert_complete(_log(aisec_home, db_url), 1000)


def test_audit_verify_cli_exit_codes(aisec_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "record", "model.deployed", "--target", "m1", "-d", "env=prod"]) == 0
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    store = open_store()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET target = 'm2' WHERE seq = 1"))
    assert main(["audit", "verify", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["findings"][0]["rule_id"] == "audit-event-altered"
    assert out["findings"][0]["location"]["pointer"] == "/events/1"


def test_audit_record_needs_a_valid_detail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "record", "x", "--target", "y", "-d", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_audit_actor_is_the_current_principal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aisec.core.identity import os_user

    home = Path(os.environ["AISEC_HOME"])
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "aisec.yaml").write_text(
        "access:\n  principals:\n"
        f"    - {{name: {os_user()}, roles: [admin], may_act_as: [ci-bot]}}\n"
        "    - {name: ci-bot, kind: service, roles: [service, auditor]}\n"
    )
    monkeypatch.setenv("AISEC_PRINCIPAL", "ci-bot")
    assert main(["audit", "record", "pipeline.ran", "--target", "build-7"]) == 0
    assert main(["audit", "tail", "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert events[-1]["actor"] == "ci-bot"
    assert events[-1]["details"]["claimed_by_os_user"] == os_user()
    assert os.environ["AISEC_PRINCIPAL"] == "ci-bot"


def test_chain_key_derivation_matches_pyca_hkdf() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from aisec.core.audit import _hkdf_sha256

    for size in (0, 1, 32, 64, 65, 200):
        ikm, info = os.urandom(size), os.urandom(size % 40)
        expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)
        assert _hkdf_sha256(ikm, info) == expected


def test_audit_key_reads_its_seed_without_pyca_as_pyca_does(aisec_home: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from aisec.core.audit import _ed25519_seed

    key = AuditKey(aisec_home / "audit.key")  # created by pyca
    pem = (aisec_home / "audit.key").read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    raw = loaded.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert _ed25519_seed(pem) == raw
    message = b"aisec-audit-checkpoint-v1\n1\n" + b"0" * 64
    assert key.verify(message, key.sign(message))
    assert key.key_id == AuditKey(aisec_home / "audit.key").key_id


def test_audit_key_in_another_encoding_or_of_another_kind(aisec_home: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from aisec.core.audit import _ed25519_seed, _hkdf_sha256
    from aisec.core.errors import ConfigError
    from aisec.core.home import write_private

    aisec_home.mkdir(parents=True)
    path = aisec_home / "audit.key"
    ed = Ed25519PrivateKey.generate()
    pem = ed.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = ed.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    # Text before the PEM block: not the bytes aisec writes, so pyca reads it, to the same key.
    write_private(path, b"aisec audit key\n" + pem)
    assert _ed25519_seed(b"aisec audit key\n" + pem) is None
    assert AuditKey(path).mac_key == _hkdf_sha256(raw, b"aisec audit chain v1")
    assert _ed25519_seed(pem.replace(b"\n", b"\r\n")) == raw
    others = [
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        ed.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        ),
        b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
        b"",
    ]
    for pem in others:
        assert _ed25519_seed(pem) is None
        write_private(path, pem)
        with pytest.raises(ConfigError, match="not an unencrypted Ed25519 private key"):
            AuditKey(path)


@pytest.fixture
def redactor_calls() -> Iterator[list[str]]:
    """A redactor that removes "hunter2" installed in the audit log; the texts it saw."""
    from aisec.core import audit

    calls: list[str] = []

    def redactor(text: str) -> str:
        calls.append(text)
        return text.replace("hunter2", "[gone]")

    audit.set_redactor(None)
    audit.set_redactor(redactor)
    try:
        yield calls
    finally:
        audit.set_redactor(None)


def test_detail_key_redaction_is_remembered_and_forgotten_with_the_redactor(
    aisec_home: Path, redactor_calls: list[str]
) -> None:
    from aisec.core import audit

    for _ in range(3):
        event = record("x", "t", details={"score.hunter2": 1, "n": 2}, actor="ci")
        assert event.details == {"score.[gone]": 1, "n": 2}
    assert redactor_calls.count("score.hunter2") == 1  # keys repeat on every event: scanned once
    audit.set_redactor(None)
    event = record("x", "t", details={"score.hunter2": 1}, actor="ci")
    assert event.details == {"score.hunter2": 1}  # the cache went with its redactor


def test_append_many_is_one_chain_in_order_with_checkpoints_and_the_newest_witnessed(
    aisec_home: Path, db_url: str
) -> None:
    from aisec.core.witness import Witness

    log = _log(aisec_home, db_url)
    _fill(log, 3)
    events = [("bob", "gateway.request", f"r-{i}", "ok", {"i": i}) for i in range(250)]
    stored = log.append_many(events)
    assert [e.seq for e in stored] == list(range(4, 254))
    assert [e.target for e in log.tail(250)] == [f"r-{i}" for i in range(250)]
    assert stored[0].prev_hash == log.tail(251)[0].hash
    assert log.verify() == []
    with log.store.read() as conn:
        signed = [r[0] for r in conn.execute("SELECT seq FROM audit_checkpoints ORDER BY seq")]
    assert signed == [100, 200]  # every CHECKPOINT_EVERY-th event, inside the batch too
    lines = Witness(aisec_home / "witness").read_lines(log.key.witness_key) or []
    assert lines[-1].seq == 253 and lines[-1].hash == stored[-1].hash


def test_append_many_malformed_event_writes_nothing_or_is_handed_over(
    aisec_home: Path, db_url: str
) -> None:
    from aisec.core.errors import InputError

    log = _log(aisec_home, db_url)
    events = [
        ("alice", "a", "t1", "ok", None),
        ("alice\nforged", "a", "t2", "ok", None),
        ("alice", "a", "t3", "maybe", None),
        ("alice", "a", "t4", "ok", {"n": 1}),
    ]
    with pytest.raises(InputError, match="printable"):
        log.append_many(events)
    assert log.count() == 0
    rejected: list[int] = []
    stored = log.append_many(events, on_invalid=lambda i, exc: rejected.append(i))
    assert rejected == [1, 2]
    assert [(e.seq, e.target) for e in stored] == [(1, "t1"), (2, "t4")]
    assert log.verify() == []


def test_repeated_short_clean_values_are_scanned_once_and_secrets_never_remembered(
    aisec_home: Path, redactor_calls: list[str]
) -> None:
    from aisec.core import audit

    long_value = "x" * 65
    for _ in range(3):
        event = record(
            "x", "t", details={"route": "main", "note": "pw hunter2", "blob": long_value}
        )
        assert event.details == {"route": "main", "note": "pw [gone]", "blob": long_value}
    assert redactor_calls.count("route=main") == 1  # clean and short: remembered
    assert redactor_calls.count("note=pw hunter2") == 3  # changed by the redactor: never remembered
    assert redactor_calls.count(f"blob={long_value}") == 3  # too long to remember
    audit.set_redactor(None)
    audit.set_redactor(lambda text: text.replace("main", "[gone]"))
    assert record("x", "t", details={"route": "main"}).details == {"route": "[gone]"}


def test_a_score_under_a_secret_looking_key_is_kept_but_text_and_integers_are_not(
    aisec_home: Path,
) -> None:
    details = {
        "score.output.secrets": 0.9731,  # the secrets scanner's score: no credential in it
        "secret_found": True,
        "password": None,
        "api_key": "sk-live-123",
        "token": 123456,  # a numeric token or PIN may be one
    }
    assert record("gateway.request", "r", details=details).details == {
        "score.output.secrets": 0.9731,
        "secret_found": True,
        "password": None,
        "api_key": "[redacted]",
        "token": "[redacted]",
    }


def test_unencodable_text_is_stored_escaped_and_the_chain_verifies(
    aisec_home: Path, db_url: str
) -> None:
    """Half a surrogate pair (a JSON "\\ud800" escape in a token's claim or a request) has
    no UTF-8 form: it failed the whole write with UnicodeEncodeError, and a batch writer
    such as the gateway's kept retrying the batch. It is kept visibly as its escape."""
    log = _log(aisec_home, db_url)
    event = log.append("eve\ud800", "login", "user:\udc00x", details={"sub\ud83d": "a\udfff"})
    assert (event.actor, event.target) == ("eve\\ud800", "user:\\udc00x")
    assert event.details == {"sub\\ud83d": "a\\udfff"}
    log.append("alice", "next", "t", details={"ok": "café ☕"})  # real non-ASCII stays as is
    assert log.tail(1)[0].details == {"ok": "café ☕"}
    assert _rules(log) == []


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=50),
        max_size=12,
    )
)
def test_details_size_bound_is_never_below_the_encoded_size(details: dict[str, Any]) -> None:
    """The size limit skips encoding details whose bound fits: the bound must hold."""
    from aisec.core.audit import _canonical, _size_bound

    assert _size_bound(details) >= len(_canonical(details))


def test_audit_record_with_bytes_that_are_not_utf8_in_argv(
    aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python decodes argv bytes that are not UTF-8 to lone surrogates (surrogateescape):
    `aisec audit record x --target $'fraud-\\xff'` ended in an internal error."""
    args = ["audit", "record", "model.deployed", "--target", "fraud-\udcff", "-d", "env=pr\udcfeod"]
    assert main(args) == 0
    assert "recorded event" in capsys.readouterr().out
    from aisec.core.audit import default_log

    event = default_log().tail(1)[0]
    assert (event.target, event.details) == ("fraud-\\udcff", {"env": "pr\\udcfeod"})
