"""The OpenAI request bodies the gateway accepts, with bounds (pydantic, at the edge).

Unknown top-level fields are kept and forwarded (OpenAI adds parameters often); every
field the gateway reads or that can grow without bound is typed and capped here.
``x-aisec-documents`` (a list of message indices) marks messages that hold retrieved
documents: the gateway scans them in the guard's document direction and does not forward
the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DOCUMENTS_FIELD",
    "ChatRequest",
    "CompletionRequest",
    "EmbeddingRequest",
    "GuardScanRequest",
]

DOCUMENTS_FIELD = "x-aisec-documents"
MAX_MESSAGES = 1024
MAX_TEXT = 1_000_000  # characters in one message or prompt (the body cap bounds the sum)
MAX_TOOLS = 128
MAX_PARTS = 64

ModelName = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f]+$")]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class ImageUrl(_Closed):
    url: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    detail: Literal["auto", "low", "high"] | None = None


class TextPart(_Closed):
    type: Literal["text"]
    text: Text


class ImagePart(_Closed):
    type: Literal["image_url"]
    image_url: ImageUrl


class InputAudio(_Closed):
    data: Annotated[str, Field(max_length=MAX_TEXT)]
    format: Literal["wav", "mp3"]


class AudioPart(_Closed):
    type: Literal["input_audio"]
    input_audio: InputAudio


Part = Annotated[TextPart | ImagePart | AudioPart, Field(discriminator="type")]


class FunctionCall(_Closed):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    arguments: Annotated[str, Field(max_length=MAX_TEXT)]


class ToolCall(_Closed):
    id: Annotated[str, Field(min_length=1, max_length=256)]
    type: Literal["function"]
    function: FunctionCall


class Message(_Closed):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | Annotated[list[Part], Field(max_length=MAX_PARTS)] | None = None
    name: Annotated[str, Field(max_length=64)] | None = None
    tool_calls: Annotated[list[ToolCall], Field(max_length=MAX_TOOLS)] | None = None
    tool_call_id: Annotated[str, Field(max_length=256)] | None = None
    refusal: Text | None = None


class FunctionDef(_Closed):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    description: Annotated[str, Field(max_length=8192)] | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDef(_Closed):
    type: Literal["function"]
    function: FunctionDef


class ChatRequest(_Open):
    """``POST /v1/chat/completions``."""

    model: ModelName
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES)]
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    n: Annotated[int, Field(ge=1, le=16)] | None = None
    stream: bool | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    stop: (
        Annotated[str, Field(max_length=256)]
        | Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=4)]
        | None
    ) = None
    tools: Annotated[list[ToolDef], Field(max_length=MAX_TOOLS)] | None = None
    x_aisec_documents: (
        Annotated[
            list[Annotated[int, Field(ge=0, lt=MAX_MESSAGES)]], Field(max_length=MAX_MESSAGES)
        ]
        | None
    ) = Field(default=None, alias="x-aisec-documents")


class CompletionRequest(_Open):
    """``POST /v1/completions``."""

    model: ModelName
    prompt: Text | Annotated[list[Text], Field(min_length=1, max_length=64)]
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    n: Annotated[int, Field(ge=1, le=16)] | None = None
    stream: bool | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None


class EmbeddingRequest(_Open):
    """``POST /v1/embeddings``."""

    model: ModelName
    input: Text | Annotated[list[Text], Field(min_length=1, max_length=2048)]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Annotated[int, Field(ge=1, le=65536)] | None = None


class GuardScanRequest(_Closed):
    """``POST /v1/guard/scan``: the guard as a service."""

    text: Text
    direction: Literal["input", "output", "document", "tool_result"] = "input"
