"""One named test per published technique against non-pickle formats (fickling style).

Each builds the malicious file, asserts the exact rule that fires, and, where the payload
would leave a trace if it ran, that nothing ran.
"""

from __future__ import annotations

import base64
import json
import marshal
from pathlib import Path

import h5py
from _formats_samples import (
    GGUF_STR,
    LLAMA3,
    _llama_kvs,
    _llama_tensors,
    gguf_bytes,
    keras_archive,
    keras_sequential,
    legacy_keras_config,
    onnx_external,
    safetensors_raw,
    saved_model,
    tf_function,
    tf_graph,
    tf_node,
)

from aisec.artifacts import scan_bytes, scan_path


def _rules(data: bytes, name: str) -> set[str]:
    return {f.rule_id for f in scan_bytes(data, name).findings}


def _touch_code(marker: Path) -> str:
    source = f"lambda x: __import__('os').system('touch {marker}') or x"
    return base64.b64encode(marshal.dumps(compile(source, "<lambda>", "eval"))).decode()


def test_cve_2024_34359_gguf_chat_template_rce(tmp_path: Path) -> None:
    marker = tmp_path / "retr0reg"
    template = (
        '{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}'
        "{{x()._module.__builtins__['__import__']('os').popen(\"touch " + str(marker) + '")}}'
        "{%endif%}{% endfor %}"
    )
    data = gguf_bytes(_llama_kvs(template), _llama_tensors())
    assert "gguf-template-ssti" in _rules(data, "model.gguf")
    assert not marker.exists()


def test_gguf_template_concatenated_dunders_bypass() -> None:
    template = LLAMA3 + "{% set c = '__cl' ~ 'ass__' %}{{ ()|attr(c)|attr('__m' ~ 'ro__') }}"
    data = gguf_bytes(_llama_kvs(template))
    assert "gguf-template-ssti" in _rules(data, "model.gguf")


def test_cve_2024_3660_keras_lambda_bytecode(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    layer = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
             "config": {"function": {"class_name": "__lambda__",
                                     "config": {"code": _touch_code(marker)}}}}  # fmt: skip
    assert _rules(keras_archive(keras_sequential([layer])), "m.keras") == {"keras-lambda-layer"}
    assert not marker.exists()


def test_cve_2025_9905_h5_lambda_ignores_safe_mode(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cfg = legacy_keras_config([{"class_name": "Lambda", "config": {
        "function": [_touch_code(marker), None, None], "function_type": "lambda"}}])  # fmt: skip
    p = tmp_path / "m.h5"
    with h5py.File(p, "w") as f:
        f.attrs["model_config"] = json.dumps(cfg)
    assert {f.rule_id for f in scan_path(p).findings} == {"keras-lambda-layer"}
    assert not marker.exists()


def test_cve_2025_1550_config_names_arbitrary_function() -> None:
    exec_ref = {"module": "builtins", "class_name": "function", "config": "exec"}
    layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"units": 1, "activation": exec_ref}}  # fmt: skip
    assert _rules(keras_archive(keras_sequential([layer])), "m.keras") == {"keras-unsafe-module"}


def test_cve_2025_8747_get_file_inside_allowed_keras_module() -> None:
    layer = {"module": "keras.src.utils.file_utils", "class_name": "function",
             "config": "get_file", "registered_name": None}  # fmt: skip
    assert _rules(keras_archive(keras_sequential([layer])), "m.keras") == {"keras-unsafe-module"}


def test_keras_dotted_class_name_without_module() -> None:
    layer = {"class_name": "os.system", "config": {}}
    assert "keras-unsafe-module" in _rules(keras_archive(keras_sequential([layer])), "m.keras")


def test_onnx_external_data_reads_etc_passwd() -> None:
    assert _rules(onnx_external("/etc/passwd"), "m.onnx") == {"onnx-external-data-absolute-path"}


def test_onnx_external_data_dotdot_escape() -> None:
    assert _rules(onnx_external("a/../../x"), "m.onnx") == {"onnx-external-data-traversal"}


def test_safetensors_polyglot_zip_in_a_hole() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02cos\nsystem\nq\x00.")
    hidden = buf.getvalue()
    end = 4 + len(hidden)
    header = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
              "b": {"dtype": "U8", "shape": [4], "data_offsets": [end, end + 4]}}  # fmt: skip
    data = safetensors_raw(header, b"\0" * 4 + hidden + b"\0" * 4)
    assert "safetensors-header-gap" in _rules(data, "m.safetensors")


def test_safetensors_header_size_bomb_is_not_allocated() -> None:
    data = (2**63).to_bytes(8, "little") + b'{"a": 1}'
    assert _rules(data, "m.safetensors") == {"safetensors-header-too-large"}


def test_tf_pyfunc_hidden_in_library_function() -> None:
    fn = tf_function("__inference_call_77", [tf_node("p", "EagerPyFunc", ("x",))])
    data = saved_model(tf_graph([tf_node("x", "Placeholder")], [fn]))
    assert _rules(data, "saved_model.pb") == {"savedmodel-python-op"}


def test_tf_readfile_disguised_in_a_traced_save_function() -> None:
    # only checkpoint ops are expected in save/restore functions; ReadFile is not
    fn = tf_function("__inference__traced_save_9", [tf_node("r", "ReadFile", ("p",))])
    data = saved_model(tf_graph([tf_node("x", "Placeholder")], [fn]))
    assert _rules(data, "saved_model.pb") == {"savedmodel-file-read-op"}


def test_template_in_gguf_string_array() -> None:
    kvs = [("general.architecture", GGUF_STR, "llama"),
           ("tokenizer.chat_templates", 9, (GGUF_STR, ["{{ lipsum.__globals__ }}"]))]  # fmt: skip
    assert "gguf-template-ssti" in _rules(gguf_bytes(kvs), "m.gguf")
