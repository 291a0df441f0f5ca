"""HDF5: legacy Keras .h5 configs read with h5py (never Keras), links out of the file."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from _formats_samples import HDF5_LAMBDA_FUNCTION_OS_SYSTEM, HDF5_LAMBDA_LEGACY, legacy_h5

from aisec.artifacts import scan_bytes, scan_path


def _scan(p: Path) -> tuple[str, set[str]]:
    report = scan_path(p)
    return report.files[0].verdict, {f.rule_id for f in report.findings}


def test_plain_data_file_is_clean(tmp_path: Path) -> None:
    p = tmp_path / "data.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("x", data=np.arange(100))
        g = f.create_group("nested/deeper")
        g.create_dataset("y", data=np.ones((3, 3)))
        g.attrs["note"] = "plain data"
        f["soft"] = h5py.SoftLink("/x")
    assert _scan(p) == ("clean", set())


def test_cve_2024_3660_legacy_lambda_bytecode(tmp_path: Path) -> None:
    p = legacy_h5(tmp_path, "model.h5", HDF5_LAMBDA_LEGACY)
    report = scan_path(p)
    assert report.files[0].format == "hdf5"
    finding = next(f for f in report.findings if f.rule_id == "keras-lambda-layer")
    assert "system" in finding.evidence
    assert finding.location.pointer is not None
    assert finding.location.pointer.startswith("@model_config/")


def test_legacy_lambda_function_type_names_os_system(tmp_path: Path) -> None:
    p = legacy_h5(tmp_path, "model.h5", HDF5_LAMBDA_FUNCTION_OS_SYSTEM)
    verdict, rules = _scan(p)
    assert verdict == "malicious"
    assert {"keras-unsafe-module", "keras-lambda-layer"} <= rules


def test_lambda_in_training_config(tmp_path: Path) -> None:
    import json

    p = tmp_path / "m.h5"
    with h5py.File(p, "w") as f:
        f.attrs["training_config"] = json.dumps(
            {"loss": {"class_name": "function", "module": "os", "config": "system"}}
        )
    assert "keras-unsafe-module" in _scan(p)[1]


def test_external_link_to_system_file(tmp_path: Path) -> None:
    p = tmp_path / "linked.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("ok", data=[1, 2, 3])
        f["weights"] = h5py.ExternalLink("/etc/passwd", "/")
    verdict, rules = _scan(p)
    assert (verdict, rules) == ("malicious", {"hdf5-external-link"})


def test_external_raw_storage(tmp_path: Path) -> None:
    p = tmp_path / "ext.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("d", shape=(4,), dtype="u1", external=[("/etc/hostname", 0, 4)])
    assert _scan(p) == ("malicious", {"hdf5-external-storage"})


def test_virtual_dataset_mapping_other_file(tmp_path: Path) -> None:
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("data", data=np.arange(10))
    layout = h5py.VirtualLayout(shape=(10,), dtype="i8")
    layout[:] = h5py.VirtualSource(str(src), "data", shape=(10,))
    p = tmp_path / "vds.h5"
    with h5py.File(p, "w") as f:
        f.create_virtual_dataset("v", layout)
    assert "hdf5-virtual-dataset" in _scan(p)[1]


def test_user_block_does_not_hide_the_file(tmp_path: Path) -> None:
    p = tmp_path / "ub.h5"
    with h5py.File(p, "w", userblock_size=512) as f:
        f["x"] = h5py.ExternalLink("/etc/shadow", "/")
    report = scan_path(p)
    assert report.files[0].format == "hdf5"
    assert "hdf5-external-link" in {f.rule_id for f in report.findings}


def test_truncated_hdf5_is_an_error(tmp_path: Path) -> None:
    p = legacy_h5(tmp_path, "m.h5", HDF5_LAMBDA_LEGACY)
    cut = tmp_path / "cut.h5"
    cut.write_bytes(p.read_bytes()[:600])
    assert scan_path(cut).files[0].verdict in ("error", "malicious")


def test_libhdf5_hang_becomes_an_error_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    # found by fuzzing: reading an attribute of this file never returns inside libhdf5
    import aisec.artifacts.keras._hdf5 as hdf5

    monkeypatch.setattr(hdf5, "HDF5_TIMEOUT_S", 2.0)
    report = scan_path(Path(__file__).parent / "data" / "hdf5_attribute_read_hang.h5")
    assert report.files[0].verdict == "error"
    assert "did not finish" in (report.files[0].error or "")


def test_mutated_hdf5_never_crashes_the_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    import aisec.artifacts.keras._hdf5 as hdf5

    monkeypatch.setattr(hdf5, "HDF5_TIMEOUT_S", 2.0)
    data = legacy_h5(tmp_path, "m.h5", HDF5_LAMBDA_LEGACY).read_bytes()
    rng = random.Random(5)
    for i in range(25):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        p = tmp_path / f"mut{i}.h5"
        p.write_bytes(bytes(mutated))
        assert scan_path(p).files[0].verdict in ("clean", "suspicious", "malicious", "error")


def test_hard_link_cycle_ends_and_links_behind_it_are_found(tmp_path: Path) -> None:
    p = tmp_path / "cycle.h5"
    with h5py.File(p, "w") as f:
        g = f.create_group("a/b")
        g["loop"] = f["/"]  # a hard link back to the root: the walk must not go round
        g["ext"] = h5py.ExternalLink("/etc/passwd", "/")
        f.create_dataset("a/d", shape=(4,), dtype="u1", external=[("/etc/hostname", 0, 4)])
    verdict, rules = _scan(p)
    assert (verdict, rules) == ("malicious", {"hdf5-external-link", "hdf5-external-storage"})


def test_group_nesting_limit_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "deep.h5"
    with h5py.File(p, "w") as f:
        f.create_group("/".join(["g"] * 70))
    result = scan_path(p).files[0]
    assert result.verdict == "error"
    assert "nest deeper" in (result.error or "")


def test_weights_file_inside_a_keras_archive_is_walked_from_memory(tmp_path: Path) -> None:
    # members reach the HDF5 reader as bytes (a file image), not as a path
    import io
    import zipfile

    p = tmp_path / "w.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("vars/0", data=np.zeros(3))
        f["vars/1"] = h5py.ExternalLink("/etc/passwd", "/")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("weights.h5", p.read_bytes())
    report = scan_bytes(buf.getvalue(), "bundle.zip")
    assert "hdf5-external-link" in {f.rule_id for f in report.findings}


def test_damaged_object_met_during_the_walk_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    # the object header of "b" gets a version that does not exist: the groups still list it,
    # so the error comes from inside the link visit (once a SystemError that killed the worker)
    p = tmp_path / "damaged.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("a", data=[1, 2, 3])
        f.create_dataset("b", data=[4])
        addr = h5py.h5o.get_info(f.id, b"b").addr
    data = bytearray(p.read_bytes())
    data[addr] = 9
    p.write_bytes(bytes(data))
    result = scan_path(p).files[0]
    assert result.verdict == "error"
    assert "unreadable HDF5" in (result.error or "")
    assert "object header version" in (result.error or "")


def test_hdf5_deadline_grows_with_the_file(tmp_path: Path) -> None:
    # a small hostile file that hangs libhdf5 ends in seconds; a big one gets more time
    from aisec.artifacts.keras._hdf5 import HDF5_MIN_TIMEOUT_S, HDF5_TIMEOUT_S, _deadline

    assert _deadline(b"\x89HDF\r\n\x1a\n" + bytes(1000)) == HDF5_MIN_TIMEOUT_S
    assert _deadline(bytes(100 << 20)) == 10.0
    big = tmp_path / "big.h5"
    with big.open("wb") as f:
        f.truncate(4 << 30)  # sparse: 4 GiB on paper
    assert _deadline(str(big)) == HDF5_TIMEOUT_S
    assert _deadline(str(tmp_path / "gone.h5")) == HDF5_TIMEOUT_S
