"""YAML tags that name a callable: HyperPyYAML (SpeechBrain's hyperparams.yaml) and
PyYAML's own ``!!python/...`` tags, which their loaders import and call."""

from __future__ import annotations

import pytest

from aisec.artifacts import scan_bytes

_BENIGN_HYPERPARAMS = b"""# a SpeechBrain speaker-verification recipe
sample_rate: 16000
n_mels: 80
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [1024, 1024, 1024, 1024, 3072]
opt_class: !name:torch.optim.Adam
    lr: 0.001
modules:
    compute_features: !ref <compute_features>
    embedding_model: !ref <embedding_model>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
"""


def _scan(text: bytes, name: str = "hyperparams.yaml") -> tuple[str, list[str], list[str]]:
    result = scan_bytes(text, name).files[0]
    return (
        result.verdict,
        [f.rule_id for f in result.findings],
        [f.evidence for f in result.findings],
    )


def test_benign_speechbrain_hyperparams_are_clean() -> None:
    verdict, rules, _ = _scan(_BENIGN_HYPERPARAMS)
    assert (verdict, rules) == ("clean", [])


@pytest.mark.parametrize(
    "line",
    [
        b'x: !apply:os.system ["id"]',
        b"x: !new:subprocess.Popen\n    args: [id]",
        b"x: !name:builtins.eval",
        b'x: !applyref:os.popen ["id"]',
        b"x: !module:os.path",
    ],
    ids=["apply_os_system", "new_subprocess_popen", "name_builtins_eval", "applyref_os_popen",
         "module_os"],
)  # fmt: skip
def test_hyperpyyaml_tag_calling_a_dangerous_callable(line: bytes) -> None:
    verdict, rules, _ = _scan(_BENIGN_HYPERPARAMS + line + b"\n")
    assert verdict == "malicious"
    assert rules == ["config-yaml-tag-dangerous"]


@pytest.mark.parametrize(
    "line",
    [
        b'a: !!python/object/apply:os.system ["id"]',
        b"a: !!python/name:subprocess.Popen",
        b'a: !!python/object/new:builtins.exec ["print(1)"]',
        b"a: !!python/module:os",
    ],
    ids=["object_apply_os_system", "name_subprocess_popen", "object_new_exec", "module_os"],
)
def test_pyyaml_python_tag_for_unsafe_load(line: bytes) -> None:
    # CVE-2017-18342 class: yaml.load (before PyYAML 5.1) and yaml.unsafe_load build these
    verdict, rules, evidence = _scan(b"model: resnet\n" + line + b"\n", "config.yaml")
    assert verdict in ("malicious", "suspicious")
    assert rules[0].startswith("config-yaml-tag-")
    assert "!!python/" in evidence[0]


def test_pyyaml_python_object_apply_os_system_is_malicious() -> None:
    verdict, rules, evidence = _scan(b'a: !!python/object/apply:os.system ["id"]\n', "c.yaml")
    assert (verdict, rules) == ("malicious", ["config-yaml-tag-dangerous"])
    assert evidence == ["line 1: !!python/object/apply:os.system"]


def test_hyperpyyaml_tag_outside_the_ml_frameworks_is_suspicious() -> None:
    verdict, rules, _ = _scan(_BENIGN_HYPERPARAMS + b"x: !new:mypackage.Trainer\n")
    assert (verdict, rules) == ("suspicious", ["config-yaml-tag-unknown"])


def test_dangerous_tag_before_a_yaml_error_is_still_reported() -> None:
    verdict, rules, _ = _scan(b'x: !apply:os.system ["id"]\ny: [unclosed\n')
    assert verdict == "malicious"
    assert rules == ["config-yaml-tag-dangerous", "config-unparsed"]


def test_tagged_nodes_are_still_walked_for_chat_templates() -> None:
    # the tolerant loader builds a tagged mapping as plain data, so its keys are judged
    text = b'serving: !new:speechbrain.Serve\n  chat_template: "{{ lipsum.__globals__ }}"\n'
    verdict, rules, _ = _scan(text, "serve.yaml")
    assert verdict == "malicious"
    assert any(r.startswith("config-template-") or r.startswith("template-") for r in rules)


@pytest.mark.parametrize(
    "text",
    [
        b"%TAG !p! tag:yaml.org,2002:python/\n---\na: !p!object/apply:os.system [id]\n",
        b"a: !<tag:yaml.org,2002:python/object/apply:os.system> [id]\n",
    ],
    ids=["tag_directive_alias", "verbatim_tag"],
)
def test_pyyaml_python_tag_spelled_another_way(text: bytes) -> None:
    verdict, rules, _ = _scan(text, "c.yaml")
    assert (verdict, rules) == ("malicious", ["config-yaml-tag-dangerous"])


def test_verbatim_tag_before_a_yaml_error_is_still_reported() -> None:
    text = b"a: !<tag:yaml.org,2002:python/object/apply:os.system> [id]\nb: [unclosed\n"
    verdict, rules, _ = _scan(text, "c.yaml")
    assert verdict == "malicious" and rules[0] == "config-yaml-tag-dangerous"
