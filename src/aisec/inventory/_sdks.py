"""The catalogue of LLM, ML, agent and vector-store SDKs the Python analyser recognises.

Each entry maps a module prefix to the SDK's label. What counts as a call site:

- LLM and embedding SDKs (``LLM_SDKS``): constructing a client class, and every call on a
  client (``client.chat.completions.create``) or on the module (``litellm.completion``)
  whose last name is an API verb (``API_VERBS``).
- LangChain and LlamaIndex: constructing a chat model, LLM or embeddings class
  (``LC_MODEL_CLASS``) or ``init_chat_model``, and calling one (``MODEL_METHODS``).
- ML libraries (``ML_SDKS``): constructing an estimator/model class, and the functions in
  ``ML_FUNCTIONS`` (load, save, train, log_model…).
"""

from __future__ import annotations

import re

__all__ = [
    "API_VERBS",
    "CHAIN_CLASS",
    "CHAIN_METHODS",
    "CODE_EXEC",
    "DANGEROUS_TOOL_CLASSES",
    "ENGINE_METHODS",
    "HTTP_CALLS",
    "LC_MODEL_CLASS",
    "LLM_SDKS",
    "MENTIONS",
    "ML_FUNCTIONS",
    "ML_SDKS",
    "MODEL_METHODS",
    "PROMPT_CLASSES",
    "TOOL_CLASSES",
    "TOOL_DECORATORS",
    "VECTOR_CLASSES",
    "VECTOR_MODULES",
    "sdk_of",
]

LLM_SDKS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google.genai": "google-genai",
    "google.generativeai": "google-generativeai",
    "vertexai": "vertexai",
    "cohere": "cohere",
    "mistralai": "mistralai",
    "ollama": "ollama",
    "groq": "groq",
    "litellm": "litellm",
    "vllm": "vllm",
    "together": "together",
    "replicate": "replicate",
    "huggingface_hub": "huggingface_hub",
    "sentence_transformers": "sentence_transformers",
    "llama_cpp": "llama_cpp",
    "fireworks": "fireworks",
    "voyageai": "voyageai",
    "instructor": "instructor",
    "dspy": "dspy",
    "agents": "openai-agents",
}
FRAMEWORK_SDKS = {
    "langchain": "langchain",
    "langchain_core": "langchain",
    "langchain_community": "langchain",
    "langchain_openai": "langchain",
    "langchain_anthropic": "langchain",
    "langchain_google_genai": "langchain",
    "langchain_google_vertexai": "langchain",
    "langchain_aws": "langchain",
    "langchain_ollama": "langchain",
    "langchain_mistralai": "langchain",
    "langchain_cohere": "langchain",
    "langchain_groq": "langchain",
    "langchain_huggingface": "langchain",
    "langchain_experimental": "langchain",
    "langchain_chroma": "langchain",
    "langchain_pinecone": "langchain",
    "langchain_qdrant": "langchain",
    "langchain_postgres": "langchain",
    "langchain_weaviate": "langchain",
    "langchain_milvus": "langchain",
    "langgraph": "langgraph",
    "llama_index": "llama_index",
    "haystack": "haystack",
    "crewai": "crewai",
    "autogen": "autogen",
    "autogen_agentchat": "autogen",
    "semantic_kernel": "semantic_kernel",
}
ML_SDKS = {
    "transformers": "transformers",
    "torch": "torch",
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "mlflow": "mlflow",
    "tensorflow": "tensorflow",
    "keras": "keras",
    "onnxruntime": "onnxruntime",
    "joblib": "joblib",
    "peft": "peft",
    "auto_gptq": "auto_gptq",
    "imblearn": "imblearn",
    "feature_engine": "feature_engine",
    "diffusers": "diffusers",
}
VECTOR_MODULES = {
    "chromadb": "chroma",
    "pinecone": "pinecone",
    "qdrant_client": "qdrant",
    "weaviate": "weaviate",
    "faiss": "faiss",
    "pgvector": "pgvector",
    "pymilvus": "milvus",
    "lancedb": "lancedb",
}

# calls on an LLM SDK client or module that reach the model
API_VERBS = frozenset(
    {
        "create",
        "acreate",
        "parse",
        "stream",
        "generate",
        "agenerate",
        "generate_content",
        "generate_content_async",
        "generate_content_stream",
        "chat",
        "achat",
        "complete",
        "acomplete",
        "completion",
        "acompletion",
        "text_completion",
        "embed",
        "embedding",
        "aembedding",
        "embeddings",
        "encode",
        "send_message",
        "chat_completion",
        "text_generation",
        "feature_extraction",
        "invoke_model",
        "converse",
        "converse_stream",
        "count_tokens",
        "predict",
        "run",
        "run_sync",
        "batch_completion",
        "rerank",
        "classify",
        "image_generation",
        "transcribe",
    }
)
# calls on a LangChain/LlamaIndex model instance that reach the model
MODEL_METHODS = frozenset(
    {
        "invoke",
        "ainvoke",
        "stream",
        "astream",
        "batch",
        "abatch",
        "predict",
        "predict_messages",
        "generate",
        "agenerate",
        "embed_query",
        "embed_documents",
        "aembed_query",
        "aembed_documents",
        "complete",
        "acomplete",
        "chat",
        "achat",
        "stream_complete",
        "stream_chat",
        "astream_chat",
        "get_text_embedding",
        "get_query_embedding",
        "get_text_embedding_batch",
        "aget_query_embedding",
        "call",
        "__call__",
    }
)
LC_MODEL_CLASS = re.compile(
    r"^(?:Chat[A-Z]\w*|\w*LLM|\w*Embeddings?|OpenAI|AzureOpenAI|Anthropic|Ollama|"
    r"Bedrock\w*|VertexAI|HuggingFace(?:Hub|Endpoint|Pipeline)|Cohere|Fireworks|"
    r"Together|Replicate|GPT4All|LlamaCpp|CTransformers|VLLM\w*|Groq|MistralAI|Gemini|"
    r"GoogleGenAI|OpenAILike|LiteLLM)$"
)
# chains and agents that call a model when run, and query/chat engines over an index
CHAIN_CLASS = re.compile(r"(Chain|QA|AgentExecutor)$")
CHAIN_METHODS = frozenset(
    {"invoke", "ainvoke", "run", "arun", "__call__", "stream", "astream", "batch", "predict"}
)
ENGINE_METHODS = frozenset({"query", "aquery", "chat", "achat", "stream_chat", "astream_chat"})
ML_FUNCTIONS = frozenset(
    {
        "load",
        "save",
        "load_model",
        "save_model",
        "log_model",
        "register_model",
        "autolog",
        "start_run",
        "train",
        "pipeline",
        "from_pretrained",
        "export",
        "load_state_dict",
        "hub.load",
        "jit.load",
        "jit.save",
        "InferenceSession",
        "from_quantized",
    }
)
# classes, by their last name, that make a vector store or an index over one
VECTOR_CLASSES = frozenset(
    {
        "Chroma",
        "FAISS",
        "Pinecone",
        "PineconeVectorStore",
        "Qdrant",
        "QdrantVectorStore",
        "QdrantClient",
        "Weaviate",
        "WeaviateVectorStore",
        "PGVector",
        "PGVectorStore",
        "Milvus",
        "LanceDB",
        "ElasticsearchStore",
        "OpenSearchVectorSearch",
        "RedisVectorStore",
        "MongoDBAtlasVectorSearch",
        "VectorStoreIndex",
        "ChromaVectorStore",
        "FaissVectorStore",
        "SupabaseVectorStore",
        "InMemoryVectorStore",
        "DocArrayInMemorySearch",
        "SKLearnVectorStore",
        "Client",
        "PersistentClient",
        "HttpClient",
        "EphemeralClient",
        "AsyncHttpClient",
    }
)
VECTOR_FACTORIES = frozenset(
    {
        "from_documents",
        "from_texts",
        "load_local",
        "from_existing_index",
        "from_vector_store",
        "from_embeddings",
        "afrom_documents",
        "afrom_texts",
    }
)
PROMPT_CLASSES = frozenset(
    {
        "PromptTemplate",
        "ChatPromptTemplate",
        "SystemMessagePromptTemplate",
        "HumanMessagePromptTemplate",
        "SystemMessage",
        "FewShotPromptTemplate",
        "RichPromptTemplate",
        "ChatMessage",
        "SelectorPromptTemplate",
        "ChatPromptBuilder",
        "PromptBuilder",
    }
)
TOOL_CLASSES = frozenset(
    {
        "Tool",
        "StructuredTool",
        "FunctionTool",
        "QueryEngineTool",
        "RetrieverTool",
        "FunctionTool.from_defaults",
        "StructuredTool.from_function",
        "Tool.from_function",
        "QueryEngineTool.from_defaults",
    }
)
TOOL_DECORATORS = frozenset({"tool", "function_tool", "kernel_function", "ai_function"})
TOOL_BASES = frozenset({"BaseTool", "BaseToolSpec"})
DANGEROUS_TOOL_CLASSES = {
    "ShellTool": "shell",
    "BashProcess": "shell",
    "PythonREPLTool": "code",
    "PythonAstREPLTool": "code",
    "PythonREPL": "code",
    "CodeInterpreterTool": "code",
    "RequestsGetTool": "http",
    "RequestsPostTool": "http",
    "RequestsToolkit": "http",
    "RequestsWrapper": "http",
    "TextRequestsWrapper": "http",
}
DANGEROUS_LOAD_TOOLS = {
    "terminal": "shell",
    "python_repl": "code",
    "requests": "http",
    "requests_all": "http",
    "requests_get": "http",
    "requests_post": "http",
}
# what a tool's body may call that makes it run code or commands, or fetch any URL
CODE_EXEC = frozenset(
    {
        "os.system",
        "os.popen",
        "os.execv",
        "os.execve",
        "os.execl",
        "os.execlp",
        "os.execvp",
        "os.spawnl",
        "os.spawnv",
        "os.posix_spawn",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_shell",
        "asyncio.create_subprocess_exec",
        "eval",
        "exec",
        "compile",
        "pty.spawn",
        "commands.getoutput",
    }
)
HTTP_CALLS = frozenset(
    {
        "requests.get",
        "requests.post",
        "requests.put",
        "requests.delete",
        "requests.patch",
        "requests.request",
        "requests.head",
        "httpx.get",
        "httpx.post",
        "httpx.request",
        "httpx.stream",
        "urllib.request.urlopen",
        "urllib.request.Request",
        "urllib3.request",
        "aiohttp.ClientSession",
    }
)


def sdk_of(qualified: str) -> tuple[str, str] | None:
    """``(sdk label, category)`` for a qualified name, category one of llm, framework, ml,
    vector; the longest matching module prefix wins."""
    parts = qualified.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n]).replace("()", "")
        for table, category in (
            (LLM_SDKS, "llm"),
            (FRAMEWORK_SDKS, "framework"),
            (ML_SDKS, "ml"),
            (VECTOR_MODULES, "vector"),
        ):
            if prefix in table:
                return table[prefix], category
    root = parts[0].replace("()", "")
    if root.startswith("langchain"):
        return "langchain", "framework"
    if root.startswith("llama_index"):
        return "llama_index", "framework"
    return None


def _mentions() -> tuple[str, ...]:
    roots = {
        m.split(".", 1)[0] for t in (LLM_SDKS, FRAMEWORK_SDKS, ML_SDKS, VECTOR_MODULES) for m in t
    }
    words = sorted(roots | {"prompt", "tool", "environ", "getenv", "instruction"})
    short = [w for w in words if not any(w != o and w.startswith(o) for o in words)]
    return (*short, "'role'", '"role"', "'function'", '"function"')


# what a Python file must mention (lower-cased) for the analyser to have anything to report;
# substring tests, not a case-insensitive regex: ~20x faster on a tree of ordinary code
MENTIONS = _mentions()
