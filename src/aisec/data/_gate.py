"""The data check's public entry points: authorized, audited, usable from any pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aisec.core.policy import DataContract
from aisec.data._check import CheckResult, check_data, profile_data
from aisec.data._contract import contract_yaml, load_contract
from aisec.data._contract import infer_contract as _infer
from aisec.data._profile import Profile

__all__ = ["check", "contract_yaml", "infer_contract", "load_contract", "profile"]

Progress = Callable[[int, int], None]


def check(
    data: str | Path,
    contract: DataContract | str | Path = "",
    *,
    baseline: Profile | str | Path | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Check ``data`` (a path or fsspec URL) against ``contract`` (a model, a contract file, a
    name under the policy's ``data.contracts``, or "" for the one whose path matches) and
    an optional baseline profile. Needs permission ``data.check``; the outcome is audited."""
    from aisec.core.audit import record
    from aisec.core.authz import authorize
    from aisec.core.findings import max_severity

    authorize("data.check")
    if not isinstance(contract, DataContract):
        contract = load_contract(contract, str(data))
    if baseline is not None and not isinstance(baseline, Profile):
        baseline = Profile.load(str(baseline))
    result = check_data(
        data, contract, baseline=baseline, fmt=fmt, delimiter=delimiter, progress=progress
    )
    worst = max_severity(result.findings)
    run_id = _store_findings(result)
    record(
        "data.check",
        result.location,
        details={
            "run": run_id,
            "verdict": "clean" if worst is None else "findings",
            "contract": contract.name,
            "rows": result.rows,
            "findings": len(result.findings),
            "rules": ",".join(sorted({f.rule_id for f in result.findings})),
            "worst": None if worst is None else worst.value,
        },
    )
    return result


def _store_findings(result: CheckResult) -> str:
    """Keep the check's findings in the store (source ``data.check``), where the monitor
    and the posture report read them; returns the run id."""
    import secrets

    from aisec.core.store import open_store
    from aisec.core.store.findings import record_findings

    run_id = secrets.token_hex(8)
    if result.findings:
        store = open_store()
        try:
            record_findings(store, source="data.check", run_id=run_id, findings=result.findings)
        finally:
            store.close()
    return run_id


def profile(
    data: str | Path,
    *,
    label: str | None = None,
    source: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> Profile:
    """The mergeable profile of ``data`` (save it with ``json.dump(p.to_json(), f)``)."""
    from aisec.core.authz import authorize

    authorize("data.check")
    return profile_data(
        data, label=label, source_column=source, fmt=fmt, delimiter=delimiter, progress=progress
    )


def infer_contract(
    data: str | Path,
    *,
    name: str | None = None,
    label: str | None = None,
    text: list[str] | None = None,
    source: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
) -> DataContract:
    """A contract drafted from a clean sample of ``data`` (review it before use)."""
    from aisec.core.authz import authorize

    authorize("data.check")
    return _infer(
        data, name=name, label=label, text=text, source=source, fmt=fmt, delimiter=delimiter
    )
