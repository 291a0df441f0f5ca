"""Every format that names a Python callable is judged by the one policy, for every name.

For each dangerous module and callable of the pickle policy, a real file of each format is
built that makes a loader import or call it (a pickle GLOBAL, a Keras config reference, a
Lambda's function, a legacy .h5 class name, TorchScript code, a Jinja chat template in a
template file, a tokenizer config and a GGUF file, a Hydra ``_target_``, PyYAML and
HyperPyYAML tags). Each must be caught with its format's rule: a format that kept a list of
its own (Keras had 58 modules to the policy's 135) misses the names that list lacks.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _formats_samples import gguf_benign, keras_archive, keras_sequential, legacy_keras_config

from aisec.artifacts import Verdict, scan_bytes
from aisec.artifacts.pickle import DANGEROUS_CALLABLES, DANGEROUS_MODULES

# A module on the list is dangerous whatever member is taken from it.
NAMES = sorted({f"{m}.target" for m in DANGEROUS_MODULES} | set(DANGEROUS_CALLABLES))


def _split(dotted: str) -> tuple[str, str]:
    module, _, name = dotted.rpartition(".")
    return module, name


def _pickle(dotted: str) -> bytes:
    module, name = _split(dotted)
    return b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)R."


def _keras_class(dotted: str) -> bytes:
    module, name = _split(dotted)
    layer = {"module": module, "class_name": name, "config": {"name": "x"}, "registered_name": name}
    return keras_archive(keras_sequential([layer]))


def _keras_function(dotted: str) -> bytes:
    module, name = _split(dotted)
    activation = {
        "module": module,
        "class_name": "function",
        "config": name,
        "registered_name": name,
    }
    dense = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": "dense", "units": 2, "activation": activation},
        "registered_name": None,
    }
    return keras_archive(keras_sequential([dense]))


def _keras_lambda_json(dotted: str) -> bytes:
    module, name = _split(dotted)
    lam = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {"name": "l", "function": name, "function_type": "function", "module": module},
        "registered_name": None,
    }
    return json.dumps(keras_sequential([lam])).encode()


def _legacy_h5(dotted: str, tmp: Path) -> bytes:
    import h5py

    config = legacy_keras_config([{"class_name": dotted, "config": {"name": "x"}}])
    p = tmp / "model.h5"
    with h5py.File(p, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.13.1"
        f.attrs["backend"] = "tensorflow"
        f.create_group("model_weights")
    return p.read_bytes()


def _torchscript(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("m/version", "3\n")
        z.writestr("m/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("m/constants.pkl", b"\x80\x02).")
        z.writestr("m/code/__torch__/m.py", source)
    return buf.getvalue()


def _torchscript_call(dotted: str) -> bytes:
    return _torchscript(f"def forward(self, x: Tensor) -> Tensor:\n    return {dotted}(x)\n")


def _torchscript_import(dotted: str) -> bytes:
    module, name = _split(dotted)
    return _torchscript(f"from {module} import {name}\n\ndef forward(self):\n    return {name}\n")


def _template(dotted: str) -> str:
    return "{% for m in messages %}{{ m.content }}{% endfor %}{{ " + dotted + "('id') }}"


def _jinja_file(dotted: str) -> bytes:
    return _template(dotted).encode()


def _tokenizer_config(dotted: str) -> bytes:
    return json.dumps({"chat_template": _template(dotted), "model_max_length": 8}).encode()


def _gguf(dotted: str) -> bytes:
    return gguf_benign(template=_template(dotted))


def _hydra(dotted: str) -> bytes:
    return f"model:\n  _target_: {dotted}\n  x: 1\n".encode()


def _pyyaml_tag(dotted: str) -> bytes:
    return f"model: !!python/object/apply:{dotted} [1]\n".encode()


def _hyperpyyaml_tag(dotted: str) -> bytes:
    return f"model: !name:{dotted}\n".encode()


_TEMPLATE_RULES = ("template-ssti", "template-suspicious-global")
FORMATS: dict[str, tuple[Callable[[str], bytes] | None, str, tuple[str, ...]]] = {
    # format: (builder, file name, rules of which one must fire)
    "pickle_global": (_pickle, "model.pkl", ("pickle-dangerous-call", "pickle-dangerous-global")),
    "keras_class_reference": (_keras_class, "model.keras", ("keras-unsafe-module",)),
    "keras_function_reference": (_keras_function, "model.keras", ("keras-unsafe-module",)),
    "keras_lambda_function_json": (_keras_lambda_json, "config.json", ("keras-unsafe-module",)),
    "keras_legacy_h5_class_name": (None, "model.h5", ("keras-unsafe-module",)),
    "torchscript_code_call": (_torchscript_call, "model.pt", ("torchscript-dangerous-code",)),
    "torchscript_code_import": (_torchscript_import, "model.pt", ("torchscript-dangerous-code",)),
    "jinja_template_file": (_jinja_file, "chat_template.jinja", _TEMPLATE_RULES),
    "jinja_in_tokenizer_config": (_tokenizer_config, "tokenizer_config.json", _TEMPLATE_RULES),
    "jinja_in_gguf": (_gguf, "model.gguf", tuple(f"gguf-{r}" for r in _TEMPLATE_RULES)),
    "hydra_target": (_hydra, "config.yaml", ("config-hydra-target-dangerous",)),
    "pyyaml_python_tag": (_pyyaml_tag, "hparams.yaml", ("config-yaml-tag-dangerous",)),
    "hyperpyyaml_tag": (_hyperpyyaml_tag, "hyperparams.yaml", ("config-yaml-tag-dangerous",)),
}


def _misses(fmt: str, build: Callable[[str], bytes]) -> list[str]:
    _, name, rules = FORMATS[fmt]
    missed = []
    for dotted in NAMES:
        report = scan_bytes(build(dotted), name)
        worst = max(r.verdict for r in report.files)
        fired = {f.rule_id for f in report.findings}
        if worst is not Verdict.MALICIOUS or fired.isdisjoint(rules):
            missed.append(f"{dotted}: {worst.value} {sorted(fired)}")
    return missed


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_dangerous_name_is_caught_in_every_format(fmt: str, tmp_path: Path) -> None:
    build = FORMATS[fmt][0]
    if build is None:  # the legacy .h5 builder writes a real HDF5 file

        def build(dotted: str) -> bytes:
            return _legacy_h5(dotted, tmp_path)

    assert _misses(fmt, build) == []


def test_the_walk_covers_the_names_keras_used_to_miss() -> None:
    for name in ("IPython", "_pyrepl", "imaplib", "logging.config"):
        assert f"{name}.target" in NAMES
    assert len(NAMES) >= len(DANGEROUS_MODULES) + len(DANGEROUS_CALLABLES) - 5
