"""The actions playbook steps drive, each idempotent, each through its stage's public,
authorized and audited API (so a playbook can do nothing its runner could not do by hand).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from aisec.core.errors import InputError
from aisec.monitor._playbooks import Action, RunContext

__all__ = ["load_actions"]


def load_actions() -> None:
    """Importing this module registers the actions; this names that intent."""


def _names(text: str, what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if len(items) > 100:
        raise InputError(f"playbook: at most 100 {what}")
    return items


class RevokePrincipalKeys(Action):
    """Revoke every API key of a principal and deny its JWTs issued until now (the token
    deny list, by subject). Already revoked keys are left as they are, and a denial made
    since the run began is not made again; the gateway re-reads keys and denials at most
    every 0.5 s, so every replica refuses both within 1 s."""

    name = "apikey.revoke-principal"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.store import open_store
        from aisec.gateway import TokenDenials, deny_tokens, list_keys, revoke_key

        principal = args["principal"]
        revoked: list[str] = []
        already: list[str] = []
        for key in list_keys(principal):
            _, changed = revoke_key(key.prefix)
            (revoked if changed else already).append(key.prefix)
        store = open_store()
        try:
            current = TokenDenials(store).get("subject", principal)
        finally:
            store.close()
        if current is not None and current.created >= ctx.started:
            tokens = {"denied_before": current.to_dict()["not_before"], "already": True}
        else:
            entry, _ = deny_tokens(
                "subject", principal, f"playbook {ctx.playbook} run {ctx.run_id}"
            )
            tokens = {"denied_before": entry.to_dict()["not_before"], "already": False}
        return {
            "principal": principal,
            "revoked": revoked,
            "already_revoked": already,
            "tokens": tokens,
        }


class ReissuePrincipalKeys(Action):
    """Replace each active API key of a principal that predates the run by a new key with
    the same limits, then revoke the old one. New keys are written, each to its own 0600
    file under ``$AISEC_HOME/reissued/`` (never to the store, the audit log or the run's
    record); a resumed run finds the keys it made (created after the run began) and only
    revokes what is left."""

    name = "apikey.reissue-principal"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.home import ensure_home, write_private
        from aisec.gateway import create_key, list_keys, revoke_key

        principal = args.get("principal", "")
        if not principal:
            return {"skipped": "no principal given"}
        folder = ensure_home() / "reissued"
        folder.mkdir(mode=0o700, exist_ok=True)
        now = datetime.now(UTC)
        reissued, revoked = [], []
        for key in list_keys(principal):
            if key.created >= ctx.started or key.state(now) != "active":
                continue
            secret, stored = create_key(
                principal,
                tenant=key.tenant,
                models=sorted(key.models) if key.models is not None else None,
                rpm=key.rpm,
                tpm=key.tpm,
                expires=key.expires,
            )
            out = folder / f"{ctx.run_id}-{stored.prefix}.key"
            write_private(out, (secret + "\n").encode())
            reissued.append({"old": key.prefix, "new": stored.prefix, "file": str(out)})
            revoke_key(key.prefix)
            revoked.append(key.prefix)
        return {"principal": principal, "reissued": reissued, "revoked": revoked}


class RotateKeys(Action):
    """Rotate named keyring keys, each at most once per run (a key rotated since the run
    began is not rotated again)."""

    name = "keys.rotate"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.crypto import Keyring

        rotated, already = [], []
        with Keyring.open() as ring:
            for name in _names(args["keys"], "keys"):
                info = ring.get(name)
                if info.rotated is not None and info.rotated >= ctx.started:
                    already.append({"key": name, "version": info.primary_version})
                    continue
                new = ring.rotate(name)
                rotated.append({"key": name, "version": new.primary_version})
        return {"rotated": rotated, "already_rotated": already}


class RewrapFiles(Action):
    """Re-wrap the data keys of encrypted files under their key's current primary version
    (only the header changes; a file already under it is left alone)."""

    name = "keys.rewrap"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.crypto import Keyring

        patterns = _names(args.get("files", ""), "file patterns")
        if not patterns:
            return {"skipped": "no files given"}
        paths = sorted({p for pat in patterns for p in glob.glob(pat)})  # noqa: PTH207
        rewrapped: list[str] = []
        current: list[str] = []
        with Keyring.open() as ring:
            for p in paths[:10_000]:
                changed = ring.rewrap(Path(p))
                (rewrapped if changed else current).append(p)
        return {"rewrapped": rewrapped, "already_current": current}


class QuarantineDataset(Action):
    """Quarantine a data set in the provenance ledger (already quarantined: left so)."""

    name = "data.quarantine"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.data import get_record, quarantine

        dataset = args["dataset"]
        current = get_record(dataset)
        if current.quarantined_at is not None:
            return {"dataset": dataset, "quarantined": False, "already": True}
        quarantine(dataset, args.get("reason") or f"playbook run {ctx.run_id}")
        return {"dataset": dataset, "quarantined": True, "already": False}


class BlockTrainedOn(Action):
    """Quarantine, in the registry, every model version recorded as trained on a data set
    or on a set made from it (registry lineage, ``registry push --trained-on``): such a
    version cannot be promoted or pulled by stage, and a stage pointing at it rolls back
    to its last known good version. The promotion gate refuses these versions too, from
    the data ledger's quarantine alone; this step also takes them out of the stages they
    are in. A version already quarantined is left as it is."""

    name = "registry.block-trained-on"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.data import derived_datasets
        from aisec.registry import Registry

        dataset = args["dataset"]
        sets = [dataset, *derived_datasets(dataset)]
        blocked: list[str] = []
        already: list[str] = []
        rolled_back: list[str] = []
        with Registry.open() as reg:
            for v in reg.trained_on(sets):
                if v.quarantined:
                    already.append(v.ref)
                    continue
                used = sorted(set(v.training_data) & set(sets))
                result = reg.quarantine(
                    v.model,
                    v.version,
                    f"trained on quarantined data set {', '.join(used)[:200]}"
                    f" (playbook {ctx.playbook} run {ctx.run_id})",
                )
                blocked.append(v.ref)
                rolled_back += [
                    f"{m.model}:{m.stage}->{m.version or 'empty'}" for m in result.moves
                ]
        return {
            "dataset": dataset,
            "data_sets": sets,
            "blocked_models": blocked,
            "already_blocked": already,
            "rolled_back": rolled_back,
        }


class RollbackModel(Action):
    """Roll a stage back to its last known good version, once per run: a rollback of that
    stage recorded since the run began by the same principal counts as this step done."""

    name = "registry.rollback"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.registry import Registry

        model, stage = args["model"], args["stage"]
        with Registry.open() as reg:
            for h in reversed(reg.show(model).history):
                if h.stage != stage:
                    continue
                if h.action == "rollback" and h.at >= ctx.started and h.actor == ctx.actor:
                    return {"model": model, "stage": stage, "version": h.version, "already": True}
                break
            move = reg.rollback(model, stage)
        return {
            "model": model,
            "stage": stage,
            "version": move.version,
            "previous": move.previous,
            "already": False,
        }


class VerifyDeployment(Action):
    """Compare deployed files with the version a stage points at (read-only). A mismatch
    fails the step, so the run stops there and says what differs."""

    name = "registry.verify-deployment"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.registry import Registry

        path = args.get("path", "")
        if not path:
            return {"skipped": "no deployed path given"}
        with Registry.open() as reg:
            check = reg.verify_deployment(args["model"], args["stage"], Path(path))
        diff = check.diff
        result = {
            "version": check.version,
            "identical": diff.identical,
            "changed": len(diff.changed),
            "missing": len(diff.missing),
            "added": len(diff.added),
        }
        if not diff.identical:
            raise InputError(
                f"deployment at {path} differs from {args['model']}@{args['stage']} "
                f"({check.version}): {result['changed']} changed, {result['missing']} missing, "
                f"{result['added']} added"
            )
        return result


class GuardReplay(Action):
    """Read the last hours' gateway decisions from the audit log and count, per scanner,
    the requests it scored at or above its threshold that were not blocked: what switching
    it to block would have refused. Scores are recorded per request; text never is."""

    name = "guard.replay"
    params: ClassVar[tuple[str, ...]] = ("scanners", "hours")

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.authz import authorize

        authorize("audit.read", None)
        scanners = _names(args["scanners"], "scanners")
        try:
            hours = float(args.get("hours") or "24")
        except ValueError:
            raise InputError(
                f"guard.replay: hours must be a number, got {args['hours']!r}"
            ) from None
        if not 0 < hours <= 24 * 31:
            raise InputError("guard.replay: hours must be between 0 and 744")
        thresholds = _thresholds(scanners)
        since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="microseconds")
        would: dict[str, int] = dict.fromkeys(scanners, 0)
        total = blocked = 0
        from aisec.monitor._events import event_rows

        for _, raw in event_rows(ctx.store, "seq, details", 0, since):
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(d, dict):
                continue
            total += 1
            if d.get("decision") == "block":
                blocked += 1
                continue
            for name in scanners:
                scores = [d.get(f"score.input.{name}"), d.get(f"score.output.{name}")]
                if any(isinstance(s, int | float) and s >= thresholds[name] for s in scores):
                    would[name] += 1
        return {
            "hours": hours,
            "requests": total,
            "already_blocked": blocked,
            "would_block": would,
            "thresholds": thresholds,
        }


def _thresholds(scanners: list[str]) -> dict[str, float]:
    from aisec.core.policy import Policy, active_policy
    from aisec.guard import SCANNERS

    policy = active_policy() or Policy()
    configured = {s.name: s.threshold for s in policy.guard.scanners}
    out: dict[str, float] = {}
    for name in scanners:
        cls = SCANNERS.get(name)
        if cls is None:
            raise InputError(f"guard: no scanner {name!r}; known: {', '.join(sorted(SCANNERS))}")
        t = configured.get(name)
        out[name] = float(cls.default_threshold if t is None else t)
    return out


class GuardSetMode(Action):
    """Set named scanners' mode in the trusted policy file (the home policy, or the one
    ``AISEC_POLICY`` names): the file is parsed, changed, validated as a whole policy and
    replaced atomically, with the old one kept beside it as ``.bak``. A scanner already in
    that mode is left alone. Needs ``guard.configure``."""

    name = "guard.set-mode"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        import yaml

        from aisec.core.authz import authorize, forget_principal
        from aisec.core.home import aisec_home
        from aisec.core.policy import parse_policy
        from aisec.guard import SCANNERS

        authorize("guard.configure")
        mode = args["mode"]
        if mode not in ("off", "detect", "block", "redact"):
            raise InputError(f"guard.set-mode: mode must be off, detect, redact or block: {mode!r}")
        scanners = _names(args["scanners"], "scanners")
        for name in scanners:
            if name not in SCANNERS:
                raise InputError(f"guard: no scanner {name!r}")
        env = os.environ.get("AISEC_POLICY")
        path = Path(env) if env else aisec_home() / "aisec.yaml"
        doc: Any = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise InputError(f"{path}: the policy is not a mapping")
        guard = doc.setdefault("guard", {})
        entries = guard.setdefault("scanners", [])
        if not isinstance(guard, dict) or not isinstance(entries, list):
            raise InputError(f"{path}: guard.scanners is not a list")
        changed, already = [], []
        for name in scanners:
            entry = next(
                (e for e in entries if isinstance(e, dict) and e.get("name") == name), None
            )
            if entry is None:
                entries.append({"name": name, "mode": mode})
                changed.append(name)
            elif entry.get("mode") == mode:
                already.append(name)
            else:
                entry["mode"] = mode
                changed.append(name)
        if changed:
            parse_policy(doc, str(path))  # the whole file must still be a valid policy
            text = yaml.safe_dump(doc, sort_keys=False)
            if path.exists():
                backup = path.with_name(path.name + ".bak")
                backup.write_bytes(path.read_bytes())
                backup.chmod(0o600)
            tmp = path.with_name(f".{path.name}.{ctx.run_id}.tmp")
            tmp.write_text(text, "utf-8")
            tmp.chmod(0o600)
            tmp.replace(path)
            forget_principal()
        from aisec.core.policy import active_policy

        active = active_policy()
        modes = {s.name: s.mode.value for s in active.guard.scanners} if active else {}
        shadowed = [n for n in scanners if modes.get(n) != mode]
        if shadowed:
            # a project aisec.yaml may replace the guard section: say so, do not pretend
            raise InputError(
                f"guard.set-mode: {path} now sets {', '.join(shadowed)} to {mode}, but the "
                "policy in effect (a project aisec.yaml replaces guard) does not"
            )
        return {"policy": str(path), "mode": mode, "changed": changed, "already": already}


class AckSubjectAlerts(Action):
    """Acknowledge the open alerts about a principal (the response is under way)."""

    name = "alerts.ack-subject"

    def run(self, ctx: RunContext, args: Mapping[str, str]) -> dict[str, Any]:
        from aisec.core.audit import record
        from aisec.core.authz import authorize
        from aisec.monitor._alerts import AlertBook

        who = authorize("alerts.ack").name
        book = AlertBook(ctx.store)
        acked = []
        for alert in book.list("open", 10_000):
            if alert.evidence.get("principal") == args["principal"]:
                book.ack(alert.id, who, f"playbook {ctx.playbook} run {ctx.run_id}")
                record("monitor.alert.ack", alert.id, details={"run": ctx.run_id}, actor=who)
                acked.append(alert.id)
        return {"acked": acked}
