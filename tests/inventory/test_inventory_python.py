"""Python and notebook analysis: SDK call sites with aliases resolved, prompts, agent tools
(and the ones that run shell commands, code or arbitrary HTTP), vector stores."""

from __future__ import annotations

import json
from pathlib import Path

from aisec.inventory import Asset, Inventory, inventory


def _run(tmp_path: Path, files: dict[str, str]) -> Inventory:
    root = tmp_path / "proj"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return inventory(root)


def _kind(inv: Inventory, kind: str) -> list[Asset]:
    return [a for a in inv.assets if a.kind == kind]


def _rules(inv: Inventory) -> list[tuple[str, int | None]]:
    return sorted((f.rule_id, f.location.line) for f in inv.findings)


def test_openai_client_call_resolved_through_alias_and_bound_name(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "app.py": (
                "from openai import OpenAI as O\n"
                "client = O()\n"
                "r = client.chat.completions.create(model='gpt-4o', messages=[])\n"
            )
        },
    )
    calls = {(a.line, a.name, a.details.get("model")) for a in _kind(inv, "llm_call")}
    assert calls == {
        (2, "openai.OpenAI", None),
        (3, "openai.OpenAI().chat.completions.create", "gpt-4o"),
    }


def test_module_import_alias_and_self_attribute(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "svc.py": (
                "import anthropic as ant\n"
                "class Bot:\n"
                "    def __init__(self):\n"
                "        self.c = ant.Anthropic()\n"
                "    def ask(self, q):\n"
                "        return self.c.messages.create(model='claude', system='Be terse and"
                " never reveal secrets', messages=[])\n"
            )
        },
    )
    assert [(a.line, a.name) for a in _kind(inv, "llm_call")] == [
        (4, "anthropic.Anthropic"),
        (6, "anthropic.Anthropic().messages.create"),
    ]
    prompts = _kind(inv, "prompt")
    assert [(p.line, p.details["system"]) for p in prompts] == [(6, True)]
    assert ("inventory-system-prompt-in-code", 6) in _rules(inv)


def test_parameter_annotated_with_client_class(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "f.py": (
                "from openai import AsyncOpenAI\n"
                "async def go(client: AsyncOpenAI):\n"
                "    await client.embeddings.create(input='x', model='text-embedding-3-small')\n"
            )
        },
    )
    assert [a.name for a in _kind(inv, "llm_call")] == ["openai.AsyncOpenAI().embeddings.create"]


def test_same_names_from_unrelated_modules_are_not_sdk_calls(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "x.py": (
                "from mylib import OpenAI, Chroma\n"
                "def create(**kw): ...\n"
                "c = OpenAI()\n"
                "c.chat.completions.create(model='m')\n"
                "Chroma()\n"
                "create(system='not an llm call at all here')\n"
            )
        },
    )
    assert _kind(inv, "llm_call") == []
    assert _kind(inv, "vector_store") == []
    assert _kind(inv, "prompt") == []


def test_langchain_models_prompts_and_vector_stores(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "rag.py": (
                "from langchain_openai import ChatOpenAI, OpenAIEmbeddings\n"
                "from langchain_core.prompts import ChatPromptTemplate\n"
                "from langchain_community.vectorstores import FAISS\n"
                "from langchain_chroma import Chroma\n"
                "llm = ChatOpenAI(model='gpt-4o-mini')\n"
                "emb = OpenAIEmbeddings()\n"
                "p = ChatPromptTemplate.from_messages([\n"
                "    ('system', 'You answer from the context only'),\n"
                "    ('human', '{question}'),\n"
                "])\n"
                "db = FAISS.from_documents([], emb)\n"
                "c = Chroma(collection_name='docs', embedding_function=emb)\n"
                "answer = llm.invoke('hi')\n"
            )
        },
    )
    assert [a.line for a in _kind(inv, "llm_call")] == [5, 6, 13]
    assert [(p.line, p.details["system"]) for p in _kind(inv, "prompt")] == [
        (8, True),
        (9, False),
    ]
    assert [a.line for a in _kind(inv, "vector_store")] == [11, 12]


def test_llama_index_settings_llm_index_and_function_tool(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "li.py": (
                "from llama_index.core import Settings, VectorStoreIndex\n"
                "from llama_index.core.tools import FunctionTool\n"
                "from llama_index.llms.anthropic import Anthropic\n"
                "from llama_index.embeddings.openai import OpenAIEmbedding\n"
                "Settings.llm = Anthropic(model='claude-3-5-sonnet')\n"
                "Settings.embed_model = OpenAIEmbedding()\n"
                "index = VectorStoreIndex.from_documents([])\n"
                "def add(a: int, b: int) -> int:\n"
                "    return a + b\n"
                "tool = FunctionTool.from_defaults(fn=add)\n"
            )
        },
    )
    assert [a.line for a in _kind(inv, "llm_call")] == [5, 6]
    assert [a.line for a in _kind(inv, "vector_store")] == [7]
    tools = _kind(inv, "agent_tool")
    assert [(t.name, t.details["risks"]) for t in tools] == [("add", [])]


def test_tool_that_runs_shell_commands_is_excessive_agency(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "tools.py": (
                "import subprocess\n"
                "from langchain_core.tools import tool\n"
                "@tool\n"
                "def run(cmd: str) -> str:\n"
                "    '''Run a command.'''\n"
                "    return subprocess.run(cmd, shell=True, capture_output=True).stdout\n"
            )
        },
    )
    assert [(t.name, t.details["risks"]) for t in _kind(inv, "agent_tool")] == [("run", ["shell"])]
    finding = next(f for f in inv.findings if f.rule_id == "inventory-tool-code-execution")
    assert finding.location.line == 4  # the def line
    assert "OWASP-LLM:LLM06:2025" in {str(r) for r in finding.frameworks}


def test_tool_that_evals_through_a_helper_function(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "calc.py": (
                "from langchain.tools import StructuredTool\n"
                "def _compute(expr):\n"
                "    return eval(expr)\n"
                "def calc(expr: str) -> str:\n"
                "    return str(_compute(expr))\n"
                "t = StructuredTool.from_function(func=calc, name='calculator')\n"
            )
        },
    )
    assert [(t.name, t.details["risks"]) for t in _kind(inv, "agent_tool")] == [
        ("calculator", ["code"])
    ]


def test_tool_fetching_any_url_and_one_with_a_fixed_url(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "web.py": (
                "import requests\n"
                "from langchain_core.tools import tool\n"
                "@tool\n"
                "def fetch(url: str) -> str:\n"
                "    '''Fetch a page.'''\n"
                "    return requests.get(url).text\n"
                "@tool\n"
                "def status() -> str:\n"
                "    '''Service status.'''\n"
                "    return requests.get('https://status.example.com').text\n"
            )
        },
    )
    risks = {t.name: t.details["risks"] for t in _kind(inv, "agent_tool")}
    assert risks == {"fetch": ["http"], "status": []}
    assert [
        f.location.line for f in inv.findings if f.rule_id == "inventory-tool-arbitrary-http"
    ] == [4]


def test_base_tool_subclass_and_dangerous_builtin_tools(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "agent.py": (
                "import os\n"
                "from langchain_core.tools import BaseTool\n"
                "from langchain_community.tools import ShellTool\n"
                "from langchain.agents import load_tools\n"
                "class Deleter(BaseTool):\n"
                "    name = 'delete_file'\n"
                "    def _run(self, path):\n"
                "        os.system('rm ' + path)\n"
                "shell = ShellTool()\n"
                "tools = load_tools(['python_repl', 'llm-math'])\n"
            )
        },
    )
    risks = {t.name: t.details["risks"] for t in _kind(inv, "agent_tool")}
    assert risks == {
        "delete_file": ["shell"],
        "ShellTool": ["shell"],
        "python_repl": ["code"],
        "llm-math": [],
    }


def test_openai_function_schema_in_code_and_json(tmp_path: Path) -> None:
    schema = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    inv = _run(
        tmp_path,
        {
            "schemas.py": f"TOOLS = [{json.dumps(schema)}]\n",
            "tools.json": json.dumps([schema]),
        },
    )
    assert sorted((t.path, t.name) for t in _kind(inv, "agent_tool")) == [
        ("schemas.py", "get_weather"),
        ("tools.json", "get_weather"),
    ]


def test_mcp_server_tools_decorated_on_an_instance(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "server.py": (
                "from mcp.server.fastmcp import FastMCP\n"
                "import subprocess\n"
                "mcp = FastMCP('demo')\n"
                "@mcp.tool()\n"
                "def shell(cmd: str) -> str:\n"
                "    return subprocess.check_output(cmd, shell=True).decode()\n"
            )
        },
    )
    assert [(t.name, t.details["risks"]) for t in _kind(inv, "agent_tool")] == [
        ("shell", ["shell"])
    ]


def test_system_prompt_constant_and_role_dict(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "p.py": (
                "SYSTEM_PROMPT = 'You are the ACME support bot. Be polite.'\n"
                "msgs = [{'role': 'system', 'content': SYSTEM_PROMPT},\n"
                "        {'role': 'system', 'content': 'Answer in English only.'}]\n"
                "GREETING = 'Hello there, this is not a prompt by its name'\n"
            )
        },
    )
    assert [(p.line, p.name) for p in _kind(inv, "prompt")] == [
        (1, "SYSTEM_PROMPT"),
        (3, "system message"),
    ]


def test_ml_sdks_training_and_loading(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "train.py": (
                "import mlflow\n"
                "import torch\n"
                "import xgboost as xgb\n"
                "from sklearn.ensemble import RandomForestClassifier\n"
                "from transformers import AutoModelForCausalLM, pipeline\n"
                "clf = RandomForestClassifier(n_estimators=10)\n"
                "m = xgb.XGBClassifier()\n"
                "mlflow.sklearn.log_model(clf, 'model')\n"
                "state = torch.load('w.pt', weights_only=True)\n"
                "lm = AutoModelForCausalLM.from_pretrained('gpt2')\n"
                "gen = pipeline('text-generation', model='gpt2')\n"
                "x = torch.tensor([1])\n"
            )
        },
    )
    calls = [(a.line, a.details["sdk"]) for a in _kind(inv, "llm_call")]
    assert calls == [
        (6, "sklearn"),
        (7, "xgboost"),
        (8, "mlflow"),
        (9, "torch"),
        (10, "transformers"),
        (11, "transformers"),
    ]
    assert _kind(inv, "llm_call")[4].details["model"] == "gpt2"


def test_vector_store_clients(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "vs.py": (
                "import chromadb, faiss\n"
                "from qdrant_client import QdrantClient\n"
                "from pinecone import Pinecone\n"
                "import weaviate\n"
                "chromadb.PersistentClient(path='db')\n"
                "faiss.IndexFlatL2(384)\n"
                "QdrantClient(url='http://localhost:6333')\n"
                "Pinecone(api_key=key)\n"
                "weaviate.connect_to_local()\n"
            )
        },
    )
    assert [(a.line, a.details["sdk"]) for a in _kind(inv, "vector_store")] == [
        (5, "chroma"),
        (6, "faiss"),
        (7, "qdrant"),
        (8, "pinecone"),
        (9, "weaviate"),
    ]


def test_key_read_from_environment_is_recognised_as_good_practice(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "cfg.py": (
                "import os\n"
                "key = os.environ['OPENAI_API_KEY']\n"
                "other = os.getenv('PINECONE_API_KEY')\n"
                "home = os.environ.get('HOME')\n"
            )
        },
    )
    env = [f for f in inv.findings if f.rule_id == "inventory-secret-from-env"]
    assert [(f.location.line, f.severity.value) for f in env] == [(2, "info"), (3, "info")]
    assert _kind(inv, "secret") == []


def test_notebook_code_cells_with_magics_and_cell_numbers(tmp_path: Path) -> None:
    nb = {
        "nbformat": 4,
        "cells": [
            {"cell_type": "markdown", "source": ["from openai import OpenAI"]},
            {
                "cell_type": "code",
                "source": ["%pip install openai\n", "from openai import OpenAI\n"],
            },
            {"cell_type": "code", "source": "!ls\nclient = OpenAI()\n"},
        ],
    }
    inv = _run(tmp_path, {"nb.ipynb": json.dumps(nb)})
    # cells share a kernel: the import in cell 1 resolves the call in cell 2
    assert [(a.line, a.details["cell"]) for a in _kind(inv, "llm_call")] == [(2, 2)]


def test_factories_class_aliases_chains_and_query_engines(tmp_path: Path) -> None:
    inv = _run(
        tmp_path,
        {
            "c.py": (
                "from langchain.llms import HuggingFacePipeline\n"
                "from langchain.embeddings import HuggingFaceEmbeddings, OpenAIEmbeddings\n"
                "from langchain.chains import RetrievalQA\n"
                "from llama_index.core import VectorStoreIndex\n"
                "from chromadb.config import Settings\n"
                "llm = HuggingFacePipeline.from_model_id(model_id='gpt2', task='text-generation')\n"
                "Provider = HuggingFaceEmbeddings if fast else OpenAIEmbeddings\n"
                "Provider = HuggingFaceEmbeddings\n"
                "emb = Provider()\n"
                "qa = RetrievalQA.from_chain_type(llm=llm)\n"
                "qa('question')\n"
                "engine = VectorStoreIndex.from_documents([]).as_query_engine()\n"
                "engine.query('question')\n"
                "s = Settings(persist_directory='db')\n"
            )
        },
    )
    assert [a.line for a in _kind(inv, "llm_call")] == [6, 9, 11, 13]
    assert [a.line for a in _kind(inv, "vector_store")] == [12]


def test_role_constants_and_a_function_schema_built_in_a_shell_running_class(
    tmp_path: Path,
) -> None:
    inv = _run(
        tmp_path,
        {
            "fn.py": (
                "import subprocess\n"
                "SHELL_ROLE = 'Provide only shell commands without any description.'\n"
                "ADMIN_ROLE = 'admin'\n"
                "class Function:\n"
                "    @classmethod\n"
                "    def execute(cls, cmd):\n"
                "        return subprocess.Popen(cmd, shell=True).communicate()\n"
                "    @classmethod\n"
                "    def openai_schema(cls):\n"
                "        return {'type': 'function', 'function': {'name': 'run_shell'}}\n"
            )
        },
    )
    assert [(p.name, p.details["system"]) for p in _kind(inv, "prompt")] == [("SHELL_ROLE", True)]
    assert [(t.name, t.details["risks"]) for t in _kind(inv, "agent_tool")] == [
        ("run_shell", ["shell"])
    ]
