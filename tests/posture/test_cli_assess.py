"""``aisec assess`` end to end: report formats, exit codes by --fail-on, the AI-BOM, the
store's "since last run", and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rag_app import build_example, osv_export

from aisec.cli.main import main


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return build_example(tmp_path / "rag-app")


def test_html_report_bom_and_exit_code(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, bom = tmp_path / "report.html", tmp_path / "aibom.json"
    code = main(["assess", str(app), "--out", str(out), "--bom", str(bom)])
    assert code == 1  # a critical pickle and a high secret, default --fail-on high
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "pickle-dangerous-call" in page
    doc = json.loads(bom.read_text("utf-8"))
    assert doc["specVersion"] == "1.6"
    types = {c["type"] for c in doc["components"]}
    assert {"machine-learning-model", "library"} <= types
    printed = capsys.readouterr().out
    assert "Score per framework" in printed and "report:" in printed
    assert "sk-proj-" not in page + printed + bom.read_text("utf-8")


def test_fail_on_never_and_critical(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert main(["assess", str(app), "-o", str(out), "-f", "md", "--fail-on", "never", "-q"]) == 0
    assert out.read_text("utf-8").startswith("# aisec posture report")
    assert main(["assess", str(app), "-o", str(out), "--fail-on", "critical", "-q"]) == 1


def test_json_and_sarif_on_stdout(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["assess", str(app), "-f", "json", "--no-store"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "assess" and doc["schema_version"] == 1
    assert {"controls", "scores", "inventory", "changes", "findings", "summary"} <= set(doc)
    assert doc["summary"]["critical"] == 1
    main(["assess", str(app), "-f", "sarif", "--no-store"])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    import jsonschema

    official = Path(__file__).parents[1] / "cli" / "data" / "sarif-schema-2.1.0.json"
    jsonschema.Draft4Validator(json.loads(official.read_text("utf-8"))).validate(sarif)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"pickle-dangerous-call", "supplychain-unpinned"} <= rules


def test_second_run_shows_what_was_fixed(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = osv_export(tmp_path / "osv")
    out = tmp_path / "r.json"
    main(["assess", str(app), "--osv-db", str(osv), "-f", "json", "-o", str(out), "-q"])
    assert json.loads(out.read_text("utf-8"))["changes"]["previous_run"] is None
    (app / "requirements.txt").write_text(
        "openai==1.40.0 --hash=sha256:" + "a" * 64 + "\n"
        "chromadb==0.5.5 --hash=sha256:" + "b" * 64 + "\n"
        "langchain-core==0.2.38 --hash=sha256:" + "c" * 64 + "\n",
        encoding="utf-8",
    )
    (app / "models" / "reranker.pkl").unlink()
    main(["assess", str(app), "--osv-db", str(osv), "-f", "json", "-o", str(out), "-q"])
    changes = json.loads(out.read_text("utf-8"))["changes"]
    assert changes["previous_run"] is not None
    assert changes["new"] == []
    fixed = sorted((f["rule_id"], f["location"].get("line")) for f in changes["fixed"])
    assert ("pickle-dangerous-call", None) in fixed
    assert ("supplychain-unhashed", 2) in fixed
    assert [r for r, _ in fixed].count("supplychain-unpinned") == 3
    html = tmp_path / "r.html"
    main(["assess", str(app), "--osv-db", str(osv), "-o", str(html), "-q"])
    assert "Nothing changed." in html.read_text("utf-8")


def test_bad_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "tree").mkdir()
    assert main(["assess", str(tmp_path / "tree"), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["assess", str(tmp_path / "tree"), "--fail-on", "bad"]) == 2


def test_no_secret_reaches_the_report(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    token = "ghp_" + "Zx8Kq2Lm5Np7Rt9Vb3Cd6Fg1Hj4Wk0Ys2Ua5"
    (tree / "mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "gh": {"command": "npx", "args": ["-y", "gh-mcp@1.0.0", "--token", token]}
                }
            }
        ),
        encoding="utf-8",
    )
    for fmt in ("html", "md", "json", "sarif"):
        out = tmp_path / f"r.{fmt}"
        main(["assess", str(tree), "-f", fmt, "-o", str(out), "-q", "--no-store"])
        assert token not in out.read_text("utf-8"), fmt


def test_json_validates_against_the_shipped_schema(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import resources

    import jsonschema

    schema = json.loads(
        (resources.files("aisec.cli") / "schemas" / "findings.schema.json").read_text()
    )
    main(["assess", str(app), "-f", "json", "--no-store", "-q"])
    jsonschema.Draft202012Validator(schema).validate(json.loads(capsys.readouterr().out))


def test_skipped_files_fail_the_gate_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "evil.py").write_bytes(b"\x00\x01\x02\xff\xfe binary named .py")
    (tree / "notes.ipynb").write_text("{not json", encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["assess", str(tree), "-o", str(out), "--no-store"]) == 1
    captured = capsys.readouterr()
    printed = " ".join(captured.out.split())  # the table wraps at the terminal's width
    assert "2 file(s) skipped" in captured.err and "2 file(s) skipped" in printed
    assert "evil.py" in out.read_text("utf-8")  # listed in the report, with why
    assert main(["assess", str(tree), "-o", str(out), "--no-store", "--allow-partial"]) == 0
    assert main(["assess", str(tree), "-o", str(out), "--no-store", "--fail-on", "never"]) == 0


def test_a_threat_model_of_your_own(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import resources

    data = json.loads(
        resources.files("aisec.posture").joinpath("threat_model.json").read_text("utf-8")
    )
    data["controls"] = [c for c in data["controls"] if c["id"] == "C-MODEL-SIGN"]
    mine = tmp_path / "tm.json"
    mine.write_text(json.dumps(data), encoding="utf-8")
    main(["assess", str(app), "-f", "json", "--no-store", "-q", "--threat-model", str(mine)])
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["controls"]] == ["C-MODEL-SIGN"]
    mine.write_text("[]", encoding="utf-8")
    assert main(["assess", str(app), "--no-store", "--threat-model", str(mine)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err


def test_script_in_a_scanned_file_name_and_evidence_is_inert(tmp_path: Path) -> None:
    import struct

    tree = tmp_path / "tree"
    tree.mkdir()
    cmd = b"<script>alert(1)</script>"
    pickle = b"\x80\x02cposix\nsystem\nX" + struct.pack("<I", len(cmd)) + cmd + b"\x85R."
    (tree / "<script>alert(2)<").mkdir()  # the relative path reads <script>alert(2)</script>.pkl
    (tree / "<script>alert(2)<" / "script>.pkl").write_bytes(pickle)
    out = tmp_path / "r.html"
    main(["assess", str(tree), "-o", str(out), "-q", "--no-store"])
    page = out.read_text("utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;.pkl" in page  # the file name, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the evidence, escaped
    assert "<script" not in page
