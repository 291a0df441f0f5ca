"""Python source: LLM/ML SDK use, prompts, agent tools and vector stores, from the AST.

Imports and their aliases are resolved (``from openai import OpenAI as O``), and so are
names bound to a client (``client = O()``, ``self.llm = ChatOpenAI()``, a parameter
annotated with a client class), so ``client.chat.completions.create(...)`` is known as
``openai.OpenAI().chat.completions.create``. Nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from aisec.inventory._found import Found, rule_finding
from aisec.inventory._sdks import (
    API_VERBS,
    CHAIN_CLASS,
    CHAIN_METHODS,
    CODE_EXEC,
    DANGEROUS_LOAD_TOOLS,
    DANGEROUS_TOOL_CLASSES,
    ENGINE_METHODS,
    HTTP_CALLS,
    LC_MODEL_CLASS,
    MENTIONS,
    ML_FUNCTIONS,
    MODEL_METHODS,
    PROMPT_CLASSES,
    TOOL_BASES,
    TOOL_CLASSES,
    TOOL_DECORATORS,
    VECTOR_CLASSES,
    VECTOR_FACTORIES,
    sdk_of,
)

__all__ = ["analyse_notebook", "analyse_python"]

_LLM_CLIENT = re.compile(
    r"(Client|OpenAI|Anthropic\w*|Model|LLM|LM|Mistral|Groq|Cohere\w*|Together|Llama|Agent|"
    r"Embed\w*|SentenceTransformer|CrossEncoder|Replicate|Fireworks|Ollama|Chat\w*|Runner)$"
)
_NOT_MODEL = re.compile(
    r"(Message|Template|History|Memory|Engine|Store|Response|Role|Mode|Buffer|Prompt|"
    r"Loader|Parser|Error|Exception|Config|Settings|Callback\w*|Handler|Tool|Index)$"
)
_ML_CONSTRUCT = frozenset(
    {"sklearn", "xgboost", "lightgbm", "catboost", "onnxruntime", "imblearn", "feature_engine"}
)
_HF_MODEL_CLASS = re.compile(r"(Pipeline|For[A-Z]\w+)$")
# vector-store SDK classes that are settings or types, not a store or a client
_NOT_STORE = re.compile(r"(\.config\.|\.types\.|Settings$|Config$|Error$|Exception$|Filter$)")
_ML_SKIP_CLASS = re.compile(r"(Error|Exception|Warning|Display|Dataset|DMatrix)$")
_PROMPT_NAME = re.compile(
    r"(?i)prompt|system_?message|instructions?$|(system|role|prompt)_?template$|_role$|^role$"
)
_SYSTEM_KWARGS = frozenset(
    {"system", "system_prompt", "system_message", "instructions", "system_instruction"}
)
_PROMPT_KWARGS = frozenset({"prompt", "template", "prompt_template"})
_SECRET_ENV = re.compile(
    r"(?i)(api_?key|token|secret|passw|credential|access_key|private_key|auth)"
)
_MIN_PROMPT = 20
_MAX_ITEMS = 5_000  # per file and kind: a generated file cannot flood the inventory


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _literal(node: ast.AST | None) -> str | None:
    """The text of a string literal or an f-string's literal parts, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def _kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _last(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def _model_literal(call: ast.Call, positional: bool) -> str | None:
    """The model named in the call: a ``model=``-like keyword, or (for constructors and
    loaders, ``positional``) a first argument that looks like a model id."""
    value = _kwarg(call, "model", "model_name", "model_id", "deployment_name", "repo_id")
    text = _literal(value) if value is not None else None
    if text is None and positional and call.args:
        first = _literal(call.args[0])
        if first is not None and len(first) < 200 and " " not in first:
            text = first
    return text[:200] if text else None


class _Resolver:
    """Local names to qualified names: imports, and names bound to SDK objects."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.bound: dict[str, str] = {}

    def imports(self, nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        root = a.name.split(".", 1)[0]
                        self.aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def qual(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return (
                self.bound.get(node.id)
                or self.aliases.get(node.id)
                or (node.id if node.id in {"eval", "exec", "compile"} else None)
            )
        if isinstance(node, ast.Attribute):
            key = _dotted(node)
            if key is not None and key in self.bound:
                return self.bound[key]
            base = self.qual(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            base = self.qual(node.func)
            return f"{base}()" if base else None
        if isinstance(node, ast.Await):
            return self.qual(node.value)
        return None

    def bind(self, target: ast.AST, value: str) -> None:
        key = _dotted(target)
        if key is not None:
            self.bound[key] = value


def _in_order(tree: ast.AST) -> list[ast.AST]:
    """Every node with a position, in source order (bindings before their uses)."""
    nodes = [n for n in ast.walk(tree) if hasattr(n, "lineno")]
    nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return nodes


def _framework(q: str | None, fallback: str) -> str:
    sdk = sdk_of(q) if q else None
    return sdk[0] if sdk else fallback


class _Analyser:
    """One file (or notebook cell)."""

    def __init__(
        self,
        tree: ast.Module,
        rel: str,
        found: Found,
        cell: int | None,
        resolver: _Resolver | None = None,
    ) -> None:
        self.tree = tree
        self.rel = rel
        self.found = found
        self.cell = cell
        self.r = resolver or _Resolver()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.prompt_lines: set[int] = set()
        self.enclosing: dict[int, ast.ClassDef] = {}
        self.tool_lines: set[int] = set()
        self.counts: dict[str, int] = {}

    def asset(self, kind: str, line: int | None, name: str, details: dict[str, Any]) -> None:
        if self.counts.get(kind, 0) >= _MAX_ITEMS:
            return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.cell is not None:
            details = {**details, "cell": self.cell}
        self.found.asset(kind, self.rel, line, name[:200], details)

    def finding(self, rule_id: str, line: int | None, evidence: str) -> None:
        if self.cell is not None:
            evidence = f"cell {self.cell}: {evidence}"
        self.found.finding(rule_finding(rule_id, self.rel, line, evidence))

    def run(self) -> None:
        nodes = _in_order(self.tree)
        self.r.imports(nodes)
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
            elif isinstance(node, ast.ClassDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Dict):
                        self.enclosing[id(inner)] = node  # innermost class wins: walked later
        for node in nodes:
            self._bind(node)
        for node in nodes:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Dict):
                self._dict(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                self._prompt_constant(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._decorated_tool(node)
            elif isinstance(node, ast.ClassDef):
                self._tool_class(node)
            elif isinstance(node, ast.Subscript):
                self._environ_subscript(node)

    # -- names bound to SDK objects -------------------------------------------------------

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if value is None:
                return
            if isinstance(value, ast.Await):
                value = value.value
            q = self.r.qual(value)
            if q is not None and sdk_of(q) is not None:
                for t in targets:
                    self.r.bind(t, q)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                q = self.r.qual(item.context_expr)
                if item.optional_vars is not None and q is not None and sdk_of(q) is not None:
                    self.r.bind(item.optional_vars, q)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            q = self.r.qual(node.annotation)
            if q is not None and sdk_of(q) is not None and _last(q)[:1].isupper():
                self.r.bind(ast.Name(node.arg), q + "()")

    # -- calls ----------------------------------------------------------------------------

    def _call(self, call: ast.Call) -> None:
        q = self.r.qual(call.func)
        if q is None:
            return
        if q in {"os.getenv", "os.environ.get"}:
            self._environ(call.args[0] if call.args else None, call.lineno)
            return
        sdk = sdk_of(q)
        if sdk is None:
            return
        label, category = sdk
        last = _last(q)
        constructs = "()" not in q and last[:1].isupper()
        self._prompt_kwargs(call, label)
        if category == "vector" or self._is_vector(q, last, constructs, category):
            store = (constructs and not _NOT_STORE.search(q)) or last in VECTOR_FACTORIES
            if store or last.startswith("connect"):
                self.asset("vector_store", call.lineno, q, {"sdk": label, "call": q})
            return
        if self._prompt_call(call, q, last):
            return
        if self._tool_call(call, q, last):
            return
        if self._is_model_call(q, last, constructs, category, label):
            details: dict[str, Any] = {
                "sdk": label,
                "call": q,
                "category": category,
                "constructs": constructs,
            }
            model = _model_literal(call, constructs or last in {"from_pretrained", "pipeline"})
            if model is not None:
                details["model"] = model
            self.asset("llm_call", call.lineno, q, details)

    @staticmethod
    def _is_vector(q: str, last: str, constructs: bool, category: str) -> bool:
        if category != "framework":
            return False
        path = q.replace("()", "")
        in_store_module = any(
            part in path
            for part in (
                "vectorstores",
                "vector_stores",
                "langchain_chroma",
                "langchain_pinecone",
                "langchain_qdrant",
                "langchain_postgres",
                "langchain_weaviate",
                "langchain_milvus",
            )
        )
        owner = _last(path.rsplit(".", 1)[0]) if "." in path else ""
        if last in VECTOR_FACTORIES:
            return owner in VECTOR_CLASSES or in_store_module
        return (
            constructs
            and (in_store_module or last == "VectorStoreIndex")
            and not last.endswith("Client")
        )

    @staticmethod
    def _is_model_call(q: str, last: str, constructs: bool, category: str, label: str) -> bool:
        if category == "llm":
            if ".types." in q or "errors" in q.lower():
                return False
            if constructs:
                return bool(_LLM_CLIENT.search(last)) and not _NOT_MODEL.search(last)
            return last in API_VERBS or (label == "sentence_transformers" and last == "encode")
        if category == "framework":
            return _framework_model_call(q, last, constructs)
        # ML libraries
        if last in ML_FUNCTIONS or last == "dump":
            return label != "joblib" or last in {"load", "dump"}
        if label == "transformers":  # pipelines and models built from their classes
            return constructs and _HF_MODEL_CLASS.search(last) is not None
        return constructs and label in _ML_CONSTRUCT and not _ML_SKIP_CLASS.search(last)

    # -- prompts --------------------------------------------------------------------------

    def _prompt(self, line: int, name: str, text: str, system: bool, source: str) -> None:
        if line in self.prompt_lines:
            return
        self.prompt_lines.add(line)
        self.asset("prompt", line, name, {"source": source, "system": system, "chars": len(text)})
        if system:
            self.finding(
                "inventory-system-prompt-in-code",
                line,
                f"{source} ({len(text)} characters of literal text)",
            )

    def _prompt_kwargs(self, call: ast.Call, label: str) -> None:
        for kw in call.keywords:
            text = _literal(kw.value)
            if kw.arg is None or text is None or len(text.strip()) < 1:
                continue
            if kw.arg in _SYSTEM_KWARGS:
                self._prompt(kw.value.lineno, f"{label} {kw.arg}", text, True, f"{kw.arg}=")
            elif kw.arg in _PROMPT_KWARGS and len(text) >= _MIN_PROMPT:
                self._prompt(kw.value.lineno, f"{label} {kw.arg}", text, False, f"{kw.arg}=")

    def _prompt_call(self, call: ast.Call, q: str, last: str) -> bool:
        path = q.replace("()", "").split(".")
        owner = path[-2] if len(path) > 1 else ""
        cls = last if last in PROMPT_CLASSES else owner if owner in PROMPT_CLASSES else None
        if cls is None:
            return False
        system = "System" in cls
        if last == "from_messages" and call.args and isinstance(call.args[0], ast.List):
            for elt in call.args[0].elts:
                self._message_item(elt, cls)
            return True
        if cls == "ChatMessage":
            role = _kwarg(call, "role")
            role_text = _literal(role) or (_dotted(role) or "" if role is not None else "")
            system = "system" in role_text.lower()
        args = [
            *call.args,
            *(
                kw.value
                for kw in call.keywords
                if kw.arg in {"template", "content", "text", "messages"}
            ),
        ]
        text = next((t for a in args if (t := _literal(a)) is not None), None)
        if text is not None:
            self._prompt(call.lineno, cls, text, system, cls)
        else:
            self.asset("prompt", call.lineno, cls, {"source": cls, "system": system, "chars": None})
            self.prompt_lines.add(call.lineno)
        return True

    def _message_item(self, elt: ast.expr, cls: str) -> None:
        if isinstance(elt, ast.Tuple) and len(elt.elts) == 2:
            role, content = _literal(elt.elts[0]), _literal(elt.elts[1])
            if role is not None and content is not None:
                system = role.lower() in {"system", "developer"}
                self._prompt(elt.lineno, f"{cls} {role}", content, system, f"{cls} message")

    def _dict(self, node: ast.Dict) -> None:
        keys = {_literal(k): v for k, v in zip(node.keys, node.values, strict=True) if k}
        role = _literal(keys.get("role"))
        if role is not None and role.lower() in {"system", "developer"} and "content" in keys:
            text = _literal(keys["content"])
            if text is not None:
                self._prompt(node.lineno, f"{role} message", text, True, "message dict")
            return
        if _literal(keys.get("type")) == "function":
            fn = keys.get("function")
            name = None
            if isinstance(fn, ast.Dict):
                inner = {_literal(k): v for k, v in zip(fn.keys, fn.values, strict=True) if k}
                name = _literal(inner.get("name"))
            elif "name" in keys and "parameters" in keys:
                name = _literal(keys["name"])
            if name:
                # its implementation: a function of that name, else the class it is built in
                body = self.functions.get(name) or self.enclosing.get(id(node))
                self._tool(node.lineno, name, "openai-function-schema", body)

    def _prompt_constant(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        text = _literal(node.value) if node.value is not None else None
        if text is None or len(text) < _MIN_PROMPT:
            return
        for t in targets:
            name = _dotted(t)
            if name and _PROMPT_NAME.search(name.rsplit(".", 1)[-1]):
                system = "system" in name.lower() or "role" in name.lower()  # persona prompts
                self._prompt(node.lineno, name, text, system, "constant")
                return

    # -- tools ----------------------------------------------------------------------------

    def _tool(
        self,
        line: int,
        name: str,
        framework: str,
        body: ast.AST | None,
        danger: str | None = None,
    ) -> None:
        if line in self.tool_lines:
            return
        self.tool_lines.add(line)
        risks = sorted({danger} if danger else set()) or sorted(self._risks(body))
        self.asset("agent_tool", line, name, {"framework": framework, "risks": risks})
        for risk in risks:
            if risk in {"shell", "code"}:
                self.finding(
                    "inventory-tool-code-execution", line, f"tool {name[:60]!r} can run {risk}"
                )
            elif risk == "http":
                self.finding(
                    "inventory-tool-arbitrary-http",
                    line,
                    f"tool {name[:60]!r} fetches URLs it is given",
                )

    def _risks(self, body: ast.AST | None, depth: int = 0) -> set[str]:
        risks: set[str] = set()
        if body is None or depth > 2:
            return risks
        for node in ast.walk(body):
            if not isinstance(node, ast.Call):
                continue
            q = self.r.qual(node.func) or ""
            if q in CODE_EXEC or q.startswith("subprocess."):
                risks.add(
                    "shell"
                    if ("subprocess" in q or q.startswith(("os.", "pty", "asyncio")))
                    else "code"
                )
            elif q in HTTP_CALLS or q.startswith(("requests.", "httpx.")):
                target = node.args[0] if node.args else _kwarg(node, "url")
                if target is None or _literal(target) is None or isinstance(target, ast.JoinedStr):
                    risks.add("http")
            elif isinstance(node.func, ast.Name) and node.func.id in self.functions:
                callee = self.functions[node.func.id]
                if callee is not body:
                    risks |= self._risks(callee, depth + 1)
        return risks

    def _decorated_tool(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            dotted = _dotted(target) or ""
            last = dotted.rsplit(".", 1)[-1]
            if last not in TOOL_DECORATORS and last not in {"tool_plain"}:
                continue
            q = self.r.qual(target)
            if q is None and "." not in dotted:
                continue  # a bare @tool that was not imported from an SDK
            name = fn.name
            if isinstance(dec, ast.Call) and dec.args:
                name = _literal(dec.args[0]) or name
            framework = _framework(q, dotted)
            self._tool(fn.lineno, name, framework, fn)
            return

    def _tool_class(self, cls: ast.ClassDef) -> None:
        for base in cls.bases:
            dotted = _dotted(base) or ""
            if dotted.rsplit(".", 1)[-1] not in TOOL_BASES:
                continue
            name = cls.name
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    if any(_dotted(t) == "name" for t in targets) and stmt.value is not None:
                        name = _literal(stmt.value) or name
            q = self.r.qual(base)
            framework = _framework(q, "class")
            self._tool(cls.lineno, name, framework, cls)
            return

    def _tool_call(self, call: ast.Call, q: str, last: str) -> bool:
        path = q.replace("()", "")
        owner = _last(path.rsplit(".", 1)[0]) if "." in path else ""
        label = sdk_of(q)
        framework = label[0] if label else "sdk"
        if last in DANGEROUS_TOOL_CLASSES and "()" not in q:
            self._tool(call.lineno, last, framework, None, DANGEROUS_TOOL_CLASSES[last])
            return True
        if last == "load_tools":
            names = call.args[0] if call.args else _kwarg(call, "tool_names")
            if isinstance(names, ast.List | ast.Tuple):
                for elt in names.elts:
                    tool = _literal(elt)
                    if tool:
                        self.tool_lines.discard(call.lineno)
                        self._tool(
                            call.lineno, tool, framework, None, DANGEROUS_LOAD_TOOLS.get(tool)
                        )
            return True
        is_tool = (last in TOOL_CLASSES and "()" not in q) or (f"{owner}.{last}" in TOOL_CLASSES)
        if not is_tool:
            return False
        name_node = _kwarg(call, "name")
        name = _literal(name_node) if name_node is not None else None
        fn_node = _kwarg(call, "func", "fn", "coroutine", "function")
        if fn_node is None and call.args and isinstance(call.args[0], ast.Name):
            fn_node = call.args[0]
        body: ast.AST | None = (
            self.functions.get(fn_node.id) if isinstance(fn_node, ast.Name) else None
        )
        if isinstance(fn_node, ast.Lambda):
            body = fn_node
        if name is None:
            name = (
                fn_node.id
                if isinstance(fn_node, ast.Name)
                else (_literal(call.args[0]) if call.args else None) or last
            )
        self._tool(call.lineno, name, framework, body)
        return True

    # -- credentials from the environment -------------------------------------------------

    def _environ_subscript(self, node: ast.Subscript) -> None:
        if self.r.qual(node.value) == "os.environ":
            self._environ(node.slice, node.lineno)

    def _environ(self, key: ast.AST | None, line: int) -> None:
        name = _literal(key) if key is not None else None
        if name and _SECRET_ENV.search(name):
            self.finding(
                "inventory-secret-from-env", line, f"reads {name[:80]} from the environment"
            )


def _is_model_class(name: str) -> bool:
    return bool(LC_MODEL_CLASS.match(name)) and not _NOT_MODEL.search(name)


def _maker(q: str) -> str:
    """The class that made the object a call is on: ``X`` in ``X().m`` and ``X.from_y().m``."""
    made = q.split("()", 1)[0].split(".")
    if len(made) > 1 and made[-1].startswith("from_"):
        return made[-2]
    return made[-1]


def _framework_model_call(q: str, last: str, constructs: bool) -> bool:
    """LangChain/LlamaIndex: a model class constructed (or made by a ``from_*`` factory),
    ``init_chat_model``, or a model, chain or query engine called."""
    if last == "init_chat_model":
        return True
    if constructs:
        return _is_model_class(last)
    path = q.split(".")
    if "()" not in q and last.startswith("from_") and len(path) > 1:
        return _is_model_class(path[-2])
    if "()" not in q:
        return False
    if q.endswith("()"):  # the object itself is called: ``qa(query)``
        last = "__call__"
    maker = _maker(q)
    if _is_model_class(maker):
        return last in MODEL_METHODS
    if CHAIN_CLASS.search(maker):
        return last in CHAIN_METHODS
    engine = "as_query_engine()" in q or "as_chat_engine()" in q
    return engine and last in ENGINE_METHODS


def parse_error(text: str) -> tuple[ast.Module | None, str | None]:
    try:
        return ast.parse(text), None
    except SyntaxError as exc:
        return None, f"SyntaxError at line {exc.lineno}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, type(exc).__name__ + (f": {exc}" if isinstance(exc, ValueError) else "")


def worth_parsing(text: str) -> bool:
    """Whether ``text`` names anything the analyser reports: an SDK module (an import must
    name it), a prompt, a role, a tool, a function schema or the environment. A file that
    names none of them holds nothing to report, and is not parsed (most code in a large
    tree is like that; parsing is most of the cost)."""
    lower = text.lower()
    return any(word in lower for word in MENTIONS)


def analyse_python(text: str, rel: str, found: Found) -> str | None:
    """Add what ``text`` holds to ``found``; returns why it could not be parsed, or None."""
    if not worth_parsing(text):
        return None
    tree, error = parse_error(text)
    if tree is None:
        return error
    try:
        _Analyser(tree, rel, found, None).run()
    except RecursionError:
        return "nested too deeply to analyse"
    return None


def analyse_notebook(cells: list[tuple[int, str]], rel: str, found: Found) -> int:
    """Analyse a notebook's code cells in order, sharing imports and bound names between
    them as a kernel would; returns how many cells could not be parsed."""
    parsed: list[tuple[int, ast.Module]] = []
    for index, source in cells:
        tree, _ = parse_error(source)
        if tree is not None:
            parsed.append((index, tree))
    resolver = _Resolver()
    for _, tree in parsed:
        resolver.imports(ast.walk(tree))
    for index, tree in parsed:
        try:
            _Analyser(tree, rel, found, index, resolver).run()
        except RecursionError:
            found.skip(f"{rel}#cell{index}", "nested too deeply to analyse")
    return len(cells) - len(parsed)
