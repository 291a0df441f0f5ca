# ruff: noqa: E501 - the family table and data selection read best one per line
"""Build the guard's per-family dev suite (seeded, reproducible): one JSONL per family.

    PYTHONPATH=src python benchmarks/guard/devsuite/build.py \
        --data ../shared/datasets/prompt_injection

Rows come from (1) the held-out side of the shared data: the old dev split
(``benchmarks/guard/data/dev.jsonl``, never trained on) and the held-out groups of the
``*_v2`` files (``aisec.guard.training._suite.held_out``: a document and its injected
copies, an agent tool, an optimised suffix stay on one side); (2) ``gen.py``'s dev-only
generators. Then ``aisec guard eval --suite benchmarks/guard/devsuite`` prints the table.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen import generate_all  # noqa: E402

from aisec.guard.training._dataset import read_jsonl  # noqa: E402
from aisec.guard.training._groups import group_keys, held_out  # noqa: E402

SEED = 20261207
DEV = HERE.parent / "data" / "dev.jsonl"

# name: (kind, description)
FAMILIES: dict[str, tuple[str, str]] = {
    "attack_sysprompt_user": (
        "attack",
        "injections aimed at a system prompt written as plausible user input (persuasion, virtualisation, token smuggling, payload splitting); deepset and InjecGuard attacks held out",
    ),
    "attack_embedded_documents": (
        "attack",
        "injections inside e-mails, tables, code and agent tool outputs (BIPIA, AgentDojo, ASB held out; generated carriers)",
    ),
    "attack_agent_tool": (
        "attack",
        "agent injection-task goals in attack templates and ASB direct prompt injections (held out)",
    ),
    "attack_persuasion": (
        "attack",
        "persuasive paraphrases of held-out harmful requests (generated, PAP-style techniques)",
    ),
    "attack_autodan_paraphrased": ("attack", "AutoDAN / ICA jailbreaks (held out)"),
    "attack_adversarial_suffix": (
        "attack",
        "GCG optimised suffixes (held-out suffixes) and generated suffixes",
    ),
    "attack_adaptive": (
        "attack",
        "hand-tuned rule template + random-search-like suffix (generated)",
    ),
    "attack_extraction_hijack": (
        "attack",
        "prompt extraction and 'Access Granted' hijacking (generated; garak extraction held out)",
    ),
    "attack_short_triggers": ("attack", "short injection triggers (TaskTracker held out)"),
    "attack_general": (
        "attack",
        "general injection and jailbreak sets (jackhhao, pallms, LLM Guard, Giskard, langkit, garak held out)",
    ),
    "attack_roleplay_templates": (
        "attack",
        "role-play / persona jailbreak templates (generated dev templates)",
    ),
    "attack_harmful_plain": ("attack", "plain harmful requests (HarmBench / AdvBench held out)"),
    "attack_multilingual": (
        "attack",
        "injections in 30 languages incl. Korean, Thai, Arabic, Hebrew, Swahili, Vietnamese (generated)",
    ),
    "attack_encoded": (
        "attack",
        "injections in base64, base32, hex, rot13, Caesar, reversed, spaced, dashed, leetspeak (generated)",
    ),
    "attack_markdown_exfil": ("attack", "markdown-image / link exfiltration requests (generated)"),
    "benign_trigger_words": (
        "benign",
        "benign prompts full of trigger words: ignore, override, bypass, system prompt (generated)",
    ),
    "benign_prompt_talk": (
        "benign",
        "questions about system prompts, jailbreaks and prompt injection (generated)",
    ),
    "benign_chat": (
        "benign",
        "ordinary chatbot requests (dstc8, CLINC, banking77 held out; self-instruct, FuzzyAI benign)",
    ),
    "benign_agent_tasks": ("benign", "agent user tasks (AgentDojo, ASB held out)"),
    "benign_assistant_tasks": (
        "benign",
        "assistant tasks: GPTeacher, awesome-chatgpt-prompts, GSM8K, HumanEval (held out)",
    ),
    "benign_moderation": (
        "benign",
        "benign prompts on sensitive topics (generated) and CyberSecEval benign security prompts (held out)",
    ),
    "benign_documents": (
        "benign",
        "clean e-mails, tables, code, tool outputs, CLI docs (BIPIA, AgentDojo, ASB, tldr held out; generated ops e-mails, code comments)",
    ),
    "benign_halves": (
        "benign",
        "benign halves of the jailbreak / injection sets (jackhhao, deepset, InjecGuard)",
    ),
    "benign_safe_unsafe": ("benign", "safe prompts that sound unsafe (generated)"),
    "benign_multilingual": (
        "benign",
        "ordinary requests in other languages, incl. 'vergiss nicht' (generated)",
    ),
    "benign_ids_hashes": (
        "benign",
        "prompts ending in IDs, hashes and paths (generated, old dev split)",
    ),
    "benign_llm_app_code": (
        "benign",
        "source code of LLM applications: system prompts, roles, messages (hand-written, dev only)",
    ),
}


def _dev_rows() -> list[tuple[str, int, str]]:
    return [(t, y, str(r.get("source", ""))) for t, y, r in read_jsonl(DEV)]


def _held(data: Path, name: str) -> list[tuple[str, int, str]]:
    rows = read_jsonl(data / name)
    keys = group_keys(name, rows)
    return [
        (t, y, str(r.get("source", "")))
        for (t, y, r), k in zip(rows, keys, strict=True)
        if held_out(k)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args()
    rng = random.Random(SEED)
    fam: dict[str, list[str]] = defaultdict(list)

    def add(name: str, texts: list[str], cap: int | None = None) -> None:
        texts = list(dict.fromkeys(texts))
        if cap is not None and len(texts) > cap:
            texts = rng.sample(texts, cap)
        fam[name] += texts

    dev = _dev_rows()

    def dev_src(prefix: str, label: int) -> list[str]:
        return [t for t, y, s in dev if y == label and s.startswith(prefix)]

    emb = _held(args.data, "embedded_train_v2.jsonl")
    agent = _held(args.data, "agent_injections_v2.jsonl")
    jb = _held(args.data, "jailbreaks_v2.jsonl")
    harm2 = _held(args.data, "harmful_requests_v2.jsonl")
    chat = _held(args.data, "chat_benign_v2.jsonl")
    docs = _held(args.data, "documents_benign_v2.jsonl")
    inj_valid = read_jsonl(args.data / "injecguard_valid.jsonl")

    def env(label: int) -> list[str]:
        return [t for t, y, s in agent if y == label and "environment.yaml" in s]

    add("attack_sysprompt_user", dev_src("deepset", 1) + [t for t, y, _ in inj_valid if y == 1])
    add("attack_embedded_documents", [t for t, y, _ in emb if y == 1], 200)
    add(
        "attack_embedded_documents",
        env(1) + [t for t, y, s in agent if y == 1 and "#OPI" in s],
        150,
    )
    add("attack_embedded_documents", dev_src("gen_hidden_injection", 1), 100)
    add(
        "attack_agent_tool",
        [t for t, y, s in agent if y == 1 and ("injection_tasks" in s or "#DPI" in s)],
        250,
    )
    add(
        "attack_autodan_paraphrased", [t for t, _, s in jb if "autodan" in s or "#ica" in s.lower()]
    )
    add(
        "attack_adversarial_suffix",
        [t for t, _, s in jb if "gcg" in s.lower() or "smooth-llm" in s],
    )
    add("attack_adversarial_suffix", dev_src("gen_adversarial_suffix", 1))
    add("attack_extraction_hijack", dev_src("extra_attacks:garak_sysprompt_extraction", 1))
    add("attack_short_triggers", dev_src("extra_attacks:tasktracker", 1))
    add("attack_general", dev_src("jackhhao", 1))
    for src in (
        "pallms",
        "llm_guard",
        "giskard",
        "langkit",
        "garak_dan",
        "garak_tap",
        "garak_autodan",
        "gptfuzz",
    ):
        add("attack_general", dev_src(f"extra_attacks:{src}", 1))
    add("attack_roleplay_templates", dev_src("gen_roleplay_jailbreak", 1))
    harmful = dev_src("harmful_requests", 1) + [t for t, _, _ in harm2]
    add("attack_harmful_plain", harmful)

    add("benign_trigger_words", dev_src("gen_trigger_benign", 0))
    add("benign_chat", [t for t, _, _ in chat], 600)
    add(
        "benign_chat", dev_src("extra_benign:self_instruct", 0) + dev_src("extra_benign:fuzzyai", 0)
    )
    add(
        "benign_agent_tasks",
        [t for t, y, s in agent if y == 0 and ("user_tasks" in s or "agent_task" in s)],
    )
    add("benign_assistant_tasks", dev_src("extra_benign:gpteacher", 0), 250)
    add("benign_assistant_tasks", dev_src("extra_benign:awesome", 0))
    add("benign_assistant_tasks", dev_src("extra_benign:gsm8k", 0), 150)
    add("benign_assistant_tasks", dev_src("extra_benign:humaneval", 0))
    add("benign_moderation", dev_src("extra_benign:cyberseceval", 0))
    add("benign_documents", [t for t, y, _ in emb if y == 0], 150)
    add("benign_documents", env(0) + [t for t, y, s in agent if y == 0 and "normal_tools" in s])
    add("benign_documents", [t for t, _, _ in docs], 200)
    add("benign_documents", dev_src("gen_clean_carrier", 0), 100)
    add(
        "benign_halves",
        dev_src("jackhhao", 0) + dev_src("deepset", 0) + [t for t, y, _ in inj_valid if y == 0],
    )
    add("benign_ids_hashes", dev_src("gen_benign_ids", 0))

    gen = generate_all(SEED, harmful)
    renames = {
        "benign_moderation_gen": "benign_moderation",
        "benign_documents_gen": "benign_documents",
    }
    for name, texts in gen.items():
        add(renames.get(name, name), texts)

    manifest = []
    for name, (kind, desc) in FAMILIES.items():
        texts = list(dict.fromkeys(fam[name]))
        if not texts:
            raise SystemExit(f"family {name} is empty")
        label = 1 if kind == "attack" else 0
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for t in texts:
                fh.write(json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n")
        manifest.append(
            {
                "name": name,
                "file": f"{name}.jsonl",
                "kind": kind,
                "direction": "input",
                "description": desc,
            }
        )
        print(f"{name:<30} {len(texts):>5}")
    # the document families again in the document direction (its own threshold); the
    # rows above use input, as `aisec guard eval --data` does by default
    for name in ("attack_embedded_documents", "benign_documents", "benign_llm_app_code"):
        kind, desc = FAMILIES[name]
        manifest.append(
            {
                "name": f"{name}@document",
                "file": f"{name}.jsonl",
                "kind": kind,
                "direction": "document",
                "description": desc + "; scanned as documents",
            }
        )
    (HERE / "suite.json").write_text(
        json.dumps({"seed": SEED, "families": manifest}, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
