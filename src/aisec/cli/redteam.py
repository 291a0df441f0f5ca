"""``aisec redteam``: probe an OpenAI-compatible endpoint for injection, jailbreaks, leaks
and tool misuse; report the attack success rate per family."""

from __future__ import annotations

import os
import sys
import uuid
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aisec.cli._output import FailOnOpt, QuietOpt
from aisec.core.errors import InputError

if TYPE_CHECKING:
    from aisec.redteam import Report

MAX_SYSTEM_PROMPT = 256 * 1024


class RedteamFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    HTML = "html"


def redteam(
    target: Annotated[
        str, typer.Option("--target", help="OpenAI-compatible base URL (e.g. http://host/v1).")
    ],
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="Bearer key for the target (default: $AISEC_REDTEAM_API_KEY)."
        ),
    ] = None,
    model: Annotated[str, typer.Option("--model", help="Model name to request.")] = "gpt-4o-mini",
    system_prompt: Annotated[
        Path | None,
        typer.Option(
            "--system-prompt",
            help="System prompt file of the app under test; a canary and fictional customer "
            "records are appended to it.",
        ),
    ] = None,
    probes: Annotated[
        list[str] | None,
        typer.Option(
            "--probes", help="Probe families to run (repeatable or comma-separated; default all)."
        ),
    ] = None,
    probes_dir: Annotated[
        list[Path] | None,
        typer.Option("--probes-dir", help="Folder of more probes (*.yaml, *.jsonl; repeatable)."),
    ] = None,
    mutations: Annotated[
        str,
        typer.Option(
            "--mutations", help="Comma-separated: plain, base64, leetspeak, homoglyph, translation."
        ),
    ] = "plain,base64,leetspeak,homoglyph,translation",
    budget: Annotated[
        int | None, typer.Option("--budget", min=1, help="At most this many attempts.")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Attempts in flight at once.")
    ] = 4,
    rate: Annotated[
        float, typer.Option("--rate", min=0, help="Requests per second at most (0: no limit).")
    ] = 0.0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds one request may take in all.")
    ] = 30.0,
    max_time: Annotated[
        float, typer.Option("--max-time", min=1, help="Seconds the whole run may take.")
    ] = 3600.0,
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge-model", help="Also ask this model (same endpoint) to confirm jailbreaks."
        ),
    ] = None,
    fmt: Annotated[
        RedteamFormat, typer.Option("--format", "-f", help="table, json or html.")
    ] = RedteamFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report here (default: stdout).")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="State file: created if missing, else the run continues where it stopped.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the planted records.")] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the findings in the store.")
    ] = False,
    fail_on: FailOnOpt = "high",
    quiet: QuietOpt = False,
) -> None:
    """Red-team an LLM endpoint: injection, jailbreaks, prompt and PII leaks, tool misuse.

    Example: aisec redteam --target http://127.0.0.1:8700/v1 --api-key KEY --format html -o rt.html
    """
    from aisec.cli._output import exit_code_for, parse_fail_on
    from aisec.core.authz import authorize
    from aisec.redteam import DEFAULT_SYSTEM_PROMPT, RunConfig, build_report, run

    threshold = parse_fail_on(fail_on)
    authorize("scan.run")
    if not target.startswith(("http://", "https://")):
        raise InputError(f"--target {target!r}: expected an http:// or https:// URL")
    prompt = DEFAULT_SYSTEM_PROMPT
    if system_prompt is not None:
        if not system_prompt.is_file() or system_prompt.stat().st_size > MAX_SYSTEM_PROMPT:
            raise InputError(f"--system-prompt {system_prompt}: not a file under 256 KiB")
        prompt = system_prompt.read_text(encoding="utf-8")
    if out is not None and out.is_dir():
        raise InputError(f"{out} is a folder; give a file name to write")
    config = RunConfig(
        target=target,
        model=model,
        api_key=api_key or os.environ.get("AISEC_REDTEAM_API_KEY") or None,
        system_prompt=prompt,
        families=tuple(f.strip() for p in probes for f in p.split(",") if f.strip())
        if probes
        else None,
        mutations=tuple(m.strip() for m in mutations.split(",") if m.strip()),
        probes_dirs=tuple(probes_dir or ()),
        budget=budget,
        concurrency=concurrency,
        rate=rate,
        timeout_s=timeout,
        max_time_s=max_time,
        judge_model=judge_model,
        state=resume,
        seed=seed,
    )
    progress = None
    if not quiet and sys.stderr.isatty():

        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\raisec redteam: {done}/{total} attempts")
            sys.stderr.flush()

    report = build_report(run(config, progress))
    if progress is not None:
        sys.stderr.write("\r\x1b[2K")
    run_id = uuid.uuid4().hex
    if not no_store:
        _store(report, run_id)
    _audit(report, run_id, stored=not no_store)
    if not quiet:
        _emit(report, fmt, out)
    raise typer.Exit(int(exit_code_for(report.findings, threshold)))


def _store(report: Report, run_id: str) -> None:
    from aisec.core.home import ensure_home
    from aisec.core.store import open_store
    from aisec.core.store.findings import record_findings

    ensure_home()
    store = open_store()
    try:
        record_findings(store, source="redteam", run_id=run_id, findings=report.findings)
    finally:
        store.close()


def shown_url(url: str) -> str:
    """``url`` without user, password, query or fragment (for audit events)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"[:500]


def _audit(report: Report, run_id: str, stored: bool) -> None:
    from aisec.core.audit import record
    from aisec.core.home import ensure_home

    ensure_home()
    record(
        "redteam.run",
        shown_url(report.target),
        details={
            "run_id": run_id if stored else None,
            "model": report.model[:100],
            "attempts": len(report.attempts),
            "not_run": report.not_run,
            "errors": sum(report.errors.values()),
            "findings": ", ".join(f.rule_id for f in report.findings),
        },
    )


def _emit(report: Report, fmt: RedteamFormat, out: Path | None) -> None:
    from aisec.cli._output import console, dump_json, findings_document, findings_table

    if fmt is RedteamFormat.HTML:
        from aisec.redteam import render_html

        text = render_html(report)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        return
    if fmt is RedteamFormat.JSON:
        doc = findings_document("redteam", report.findings, {"redteam": report.to_dict()})
        if out is None:
            dump_json(doc)
        else:
            import json

            out.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return
    from rich.table import Table

    from aisec.cli._output import cell

    table = Table(title=f"Attack success rate per family ({len(report.attempts)} attempts)")
    for col in ("family", "judged", "succeeded", "blocked", "errors", "ASR", "95% CI"):
        table.add_column(col)
    for f in report.families:
        low, high = f.ci
        table.add_row(
            cell(f.family),
            cell(f.judged),
            cell(f.successes),
            cell(f.blocked),
            cell(f.errors),
            cell("n/a" if f.asr is None else f"{100 * f.asr:.1f}%"),
            cell(f"{100 * low:.1f}-{100 * high:.1f}%"),
        )
    con = console()
    con.print(table)
    if report.findings:
        con.print(findings_table(report.findings))
    con.print(
        cell(
            f"{len(report.attempts)} of {report.planned} attempts run, {report.not_run} not run, "
            f"{sum(report.errors.values())} error(s), {report.wall_s:.1f} s"
        )
    )


def register(app: typer.Typer) -> None:
    app.command("redteam")(redteam)
