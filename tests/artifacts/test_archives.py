"""Archives: zip/tar/7z/compressed streams, their limits and their tricks."""

from __future__ import annotations

import gzip
import io
import tarfile
import warnings
import zipfile
from pathlib import Path

import py7zr
import pytest
from corpus import os_system_proto, torch_zip

from aisec.artifacts import Limits, scan_bytes


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _rules(report: object) -> set[str]:
    return {f.rule_id for f in report.findings}  # type: ignore[attr-defined]


def test_zip_member_count_limit() -> None:
    data = _zip({f"f{i}.txt": b"x" for i in range(20)})
    report = scan_bytes(data, "many.zip", limits=Limits(max_archive_members=5))
    assert "archive-limit" in _rules(report)
    assert report.files[0].verdict == "suspicious"


def test_zip_total_size_limit() -> None:
    data = _zip({"a.bin": b"\x01" * 5000, "b.bin": b"\x02" * 5000})
    report = scan_bytes(data, "big.zip", limits=Limits(max_archive_total_bytes=6000))
    assert "archive-bomb" in _rules(report)


def test_zip_declared_size_lie_is_caught_while_inflating() -> None:
    # central directory claims 10 bytes; the deflate stream expands to 4 MiB
    data = bytearray(_zip({"lie.bin": b"\x00" * (4 << 20)}))
    cd = data.find(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    report = scan_bytes(bytes(data), "lie.zip")
    assert "archive-bomb" in _rules(report)
    assert report.files[0].verdict == "malicious"


def test_zip_path_traversal_name() -> None:
    report = scan_bytes(_zip({"../../etc/cron.d/x": b"* * * * * root id"}), "slip.zip")
    assert "archive-path-traversal" in _rules(report)


def test_zip_duplicate_names_are_both_scanned() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("archive/data.pkl", os_system_proto(2))
    report = scan_bytes(buf.getvalue(), "dup.pt")
    assert {"zip-duplicate-name", "pickle-dangerous-call"} <= _rules(report)


def test_torch_zip_with_renamed_root_folder() -> None:
    report = scan_bytes(torch_zip(os_system_proto(2), root="anything_at_all"), "m.pt")
    assert report.files[0].format == "pytorch"
    assert "pickle-dangerous-call" in _rules(report)


def test_tar_symlink_escape_and_member_scan() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        link = tarfile.TarInfo("model/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
        payload = os_system_proto(4)
        info = tarfile.TarInfo("model/weights.bin")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    report = scan_bytes(buf.getvalue(), "m.tar")
    assert report.files[0].format == "tar"
    assert {"archive-path-traversal", "pickle-dangerous-call"} <= _rules(report)
    assert report.files[0].verdict == "malicious"


def test_gzip_bomb_is_stopped() -> None:
    bomb = gzip.compress(b"\x00" * (40 << 20))
    report = scan_bytes(bomb, "bomb.gz", limits=Limits(max_compression_ratio=50))
    assert "archive-bomb" in _rules(report)


def test_7z_with_pickle_member() -> None:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as sz:
        sz.writestr(os_system_proto(2), "weights/model.pkl")
        sz.writestr(b"hello", "README")
    report = scan_bytes(buf.getvalue(), "m.7z")
    assert report.files[0].format == "7z"
    assert report.files[0].verdict == "malicious"


def test_7z_bomb_is_refused_before_extraction() -> None:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as sz:
        sz.writestr(b"\x00" * (24 << 20), "zeros.bin")
    report = scan_bytes(buf.getvalue(), "b.7z", limits=Limits(max_compression_ratio=20))
    assert "archive-bomb" in _rules(report)


def test_corrupt_zip_is_an_error_verdict() -> None:
    data = _zip({"a.pkl": os_system_proto(2)})[:40]
    report = scan_bytes(data, "cut.zip")
    assert report.files[0].verdict in ("error", "malicious")


def test_small_highly_compressible_members_are_not_bombs() -> None:
    # zero-initialised weights compress far beyond the ratio limit; only volume makes a bomb
    data = _zip({"zeros.npy": b"\x00" * (4 << 20)})
    assert scan_bytes(data, "zeros.npz").files[0].verdict == "clean"


def test_archive_code_with_lookalike_identifiers_is_parsed() -> None:
    from aisec.artifacts._base import ArtifactContext
    from aisec.artifacts.containers._torchscript import scan_torchscript_code

    # Python folds fullwidth letters (NFKC) when parsing: this is a call to eval
    source = "def f(x):\n    return \uff45val(x)\n".encode()
    ctx = ArtifactContext(io.BytesIO(b""), "m.pt", 0)
    (finding,) = scan_torchscript_code(source, ctx, "code/m.py")
    assert finding.rule_id == "torchscript-dangerous-code"
    assert finding.location.line == 2


def test_small_decompressed_members_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # asking a SpooledTemporaryFile for its descriptor writes it to disk; small members
    # (a gzip'd or deflated pickle) are read from memory instead
    import tempfile

    def no_disk(self: object) -> None:
        raise AssertionError("a small member was spilled to a temporary file")

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", no_disk)
    for data, name in (
        (gzip.compress(os_system_proto(4)), "m.pkl.gz"),
        (_zip({"m.pkl": os_system_proto(2)}), "m.zip"),
    ):
        report = scan_bytes(data, name)
        assert report.files[0].verdict == "malicious", report.files
        assert "pickle-dangerous-call" in _rules(report)


def test_torchscript_prefilter_never_skips_code_the_check_would_flag() -> None:
    # the identifier prefilter may let harmless code through, never hold back a finding
    from random import Random

    import aisec.artifacts.containers._torchscript as tc
    from aisec.artifacts._base import ArtifactContext
    from aisec.artifacts.containers._torchscript import scan_torchscript_code

    ctx = ArtifactContext(stream=io.BytesIO(), display_path="m.pt", size=0)
    words = [b"os", b"logging", b"config", b"imaplib", b"torch", b"load", b"eval", b"import",
             b"ops", b"x", b"input", b"getattr", b"IPython", b"_pyrepl", b"subprocess"]  # fmt: skip
    rng = Random(11)
    for _ in range(1500):
        parts = [rng.choice(words) + rng.choice([b"", b" ", b".", b"(", b"()"]) for _ in range(4)]
        text = b"def f(self):\n    return " + b"".join(parts) + b"\n"
        if not tc._may_flag(text):
            assert scan_torchscript_code(text, ctx, "code/x.py") == [], text
    assert tc._may_flag(b"x = logging.config.dictConfig(c)")
    assert not tc._may_flag(b"def forward(self, input):\n    return torch.relu(input)\n")


def test_torchscript_walk_visits_what_ast_walk_visits() -> None:
    import ast
    import inspect

    import aisec.artifacts.containers._torchscript as tc

    for module in (ast, inspect, zipfile):
        tree = ast.parse(inspect.getsource(module))
        kinds = (ast.Call, ast.Import, ast.ImportFrom)
        want = [id(n) for n in ast.walk(tree) if isinstance(n, kinds)]
        assert [id(n) for n in tc._calls_and_imports(tree)] == want


def _7z(files: list[tuple[str, bytes]], filters: list[dict[str, int]] | None = None) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", **({"filters": filters} if filters else {})) as sz:
        for name, data in files:
            sz.writestr(data, name)
    return buf.getvalue()


def _7z_report(data: bytes, monkeypatch: pytest.MonkeyPatch, *, fast: bool) -> str:
    import json

    import aisec.artifacts.containers._archives as archives

    with monkeypatch.context() as m:
        if not fast:
            m.setattr(archives, "_read_7z", lambda ctx: None)
        report = scan_bytes(data, "m.7z", limits=Limits(max_compression_ratio=50))
    return json.dumps(report.to_dict(), sort_keys=True)


@pytest.mark.parametrize(
    "filters",
    [
        None,
        [{"id": py7zr.FILTER_LZMA}],
        [{"id": py7zr.FILTER_COPY}],
        [{"id": py7zr.FILTER_DELTA}, {"id": py7zr.FILTER_LZMA2}],
        [{"id": py7zr.FILTER_BZIP2}],
    ],
)
def test_7z_reader_and_py7zr_report_the_same(
    filters: list[dict[str, int]] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the built-in reader of the common layout must give py7zr's result on the archive,
    # its truncations and byte flips; py7zr takes what the reader leaves
    import random

    from aisec.artifacts._base import ArtifactContext
    from aisec.artifacts.containers._archives import _read_7z

    rng = random.Random(7)
    members = [
        ("a/model.pkl", os_system_proto(2)),
        ("README", b"hello"),
        ("w.bin", bytes(range(256)) * 40),
        ("c\\d.txt", b""),
    ]
    for files in (members[:1], members, [("zeros.bin", b"\x00" * (20 << 20))]):
        data = _7z(files, filters)
        fast = _read_7z(
            ArtifactContext(stream=io.BytesIO(data), display_path="m.7z", size=len(data))
        )
        assert (fast is not None) == (filters != [{"id": py7zr.FILTER_BZIP2}])
        cases = [data, *(data[: rng.randrange(len(data))] for _ in range(3))]
        for _ in range(12):
            flipped = bytearray(data)
            flipped[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            cases.append(bytes(flipped))
        for case in cases:
            expected = _7z_report(case, monkeypatch, fast=False)
            assert _7z_report(case, monkeypatch, fast=True) == expected


def test_tar_members_read_in_memory_or_streamed_report_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # small members are handed on as bytes; a member cut short must still meet its break
    # in its own scan, exactly as through tarfile's stream
    import json

    import aisec.artifacts.containers._archives as archives

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, payload in (
            ("a/model.pkl", os_system_proto(4)),
            ("b/inner.zip", _zip({"data.pkl": os_system_proto(2)})),
            ("c/empty", b""),
            ("d/notes.txt", b"hello " * 300),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    data = buf.getvalue()
    cases = [data, *(data[:cut] for cut in range(600, len(data), 397))]

    def report(case: bytes) -> str:
        return json.dumps(scan_bytes(case, "m.tar").to_dict(), sort_keys=True)

    in_memory = [report(case) for case in cases]
    monkeypatch.setattr(archives, "_IN_MEMORY", -1)
    assert [report(case) for case in cases] == in_memory


def test_central_directory_reader_agrees_with_zipfile() -> None:
    # the in-memory central directory reader must list what zipfile lists, and give way
    # (None) wherever zipfile raises or reads something it does not handle
    import random

    from aisec.artifacts.containers._zip import _central_directory

    def listing(data: bytes) -> list[tuple[object, ...]] | None:
        try:
            infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except Exception:
            return None
        return [
            (i.filename, i.header_offset, i.compress_type, i.flag_bits, i.compress_size,
             i.file_size, i.CRC)
            for i in infos
        ]  # fmt: skip

    def with_zip64_end(data: bytes) -> bytes:  # the end records torch.save writes
        import struct

        end = len(data) - 22
        fields = struct.unpack("<4s4H2LH", data[end:])
        record = struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, *fields[3:5], *fields[5:7]
        )
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
        return data[:end] + record + locator + data[end:]

    samples = [
        with_zip64_end(_zip({"a/data.pkl": os_system_proto(2), "a/version": b"3\n"})),
        _zip({"a/data.pkl": os_system_proto(2), "a/version": b"3\n", "ü/ñ.bin": b"x" * 300}),
        _zip({"m.pkl": os_system_proto(4)}, zipfile.ZIP_STORED),
        b"prefix bytes" + _zip({"x.pkl": os_system_proto(2)}),
        torch_zip(os_system_proto(2)),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("big.bin", b"y" * 100, zipfile.ZIP_STORED)
        zf.writestr(zipfile.ZipInfo("nul\x00hidden.pkl"), os_system_proto(2))
        zf.comment = b"a comment"
    samples.append(buf.getvalue())
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", allowZip64=True) as zf,
        zf.open("z.bin", "w", force_zip64=True) as fh,
    ):
        fh.write(b"z" * 50)
    samples.append(buf.getvalue())
    rng = random.Random(5)
    taken = 0
    for data in samples:
        cases = [data, *(data[: rng.randrange(len(data))] for _ in range(20))]
        for _ in range(150):
            flipped = bytearray(data)
            flipped[rng.randrange(max(0, len(data) - 200), len(data))] ^= 1 << rng.randrange(8)
            cases.append(bytes(flipped))
        for case in cases:
            ours = _central_directory(case)
            if ours is not None:
                taken += 1
                assert [
                    (e.name, e.offset, e.method, e.flags, e.csize, e.usize, e.crc) for e in ours
                ] == listing(case)
    assert taken > 300


def _7z_plain_header(files: list[tuple[str, bytes]]) -> bytes:
    """A stored 7z whose header is not packed, so that member names can be edited."""
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", filters=[{"id": py7zr.FILTER_COPY}]) as sz:
        sz.set_encoded_header_mode(False)
        for name, data in files:
            sz.writestr(data, name)
    return buf.getvalue()


def _7z_rename(data: bytes, old: str, new: str) -> bytes:
    """Rewrite a member name in place (same length) and fix the header CRCs."""
    import struct
    import zlib

    out = bytearray(data)
    at = out.index(old.encode("utf-16-le"))
    out[at : at + 2 * len(new)] = new.encode("utf-16-le")
    offset, length = struct.unpack("<QQ", out[12:28])
    out[28:32] = struct.pack("<I", zlib.crc32(out[32 + offset : 32 + offset + length]))
    out[8:12] = struct.pack("<I", zlib.crc32(out[12:32]))
    return bytes(out)


@pytest.mark.parametrize(
    ("files", "old", "new"),
    [
        ([("x/evil.pkl", os_system_proto(2))], "x/evil.pkl", "./evil.pkl"),
        ([("a.pkl", b"notes"), ("b.pkl", os_system_proto(2))], "b.pkl", "a.pkl"),
    ],
)
def test_7z_members_py7zr_renames_are_still_scanned(
    files: list[tuple[str, bytes]], old: str, new: str
) -> None:
    # py7zr writes "./evil.pkl" as "evil.pkl" and a repeated name as "a.pkl_0": looking
    # members up by their listed name used to skip them, and the archive came out clean
    data = _7z_rename(_7z_plain_header(files), old, new)
    with py7zr.SevenZipFile(io.BytesIO(data)) as sz:
        assert new in [i.filename for i in sz.list()]
    report = scan_bytes(data, "m.7z")
    assert report.files[0].verdict == "malicious", report.files
    assert "pickle-dangerous-call" in _rules(report)


def _zip_symlink(name: str, target: bytes) -> bytes:
    import stat

    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: unzip makes the member a symlink to its content
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, target)
    return buf.getvalue()


@pytest.mark.parametrize("target", [b"../../.ssh/authorized_keys", b"/etc/passwd"])
def test_zip_symlink_member_escaping_the_folder(target: bytes) -> None:
    report = scan_bytes(_zip_symlink("model/link.bin", target), "link.zip")
    (finding,) = [f for f in report.findings if f.rule_id == "archive-path-traversal"]
    assert finding.evidence == f"model/link.bin -> {target.decode()}"
    assert report.files[0].verdict == "suspicious"


def test_zip_symlink_member_inside_the_folder_is_clean() -> None:
    report = scan_bytes(_zip_symlink("model/link.bin", b"weights.bin"), "link.zip")
    assert report.files[0].verdict == "clean", report.findings


def test_zip_symlink_member_content_is_still_scanned() -> None:
    # readers that ignore the mode (torch, zipfile) see the content, not a link
    report = scan_bytes(_zip_symlink("evil.pkl", os_system_proto(2)), "link.zip")
    assert "pickle-dangerous-call" in _rules(report)


@pytest.mark.parametrize("name", ["../../../evil.pkl", "/tmp/evil.pkl", "x/../../evil.pkl"])
def test_7z_member_with_traversal_name_is_reported_and_scanned(name: str) -> None:
    # py7zr lists such a member but refuses to extract anything from the archive
    data = _7z_rename(
        _7z_plain_header([("a" * len(name), os_system_proto(2))]), "a" * len(name), name
    )
    report = scan_bytes(data, "m.7z")
    rules = _rules(report)
    assert {"archive-path-traversal", "pickle-dangerous-call"} <= rules, rules
    assert report.files[0].verdict == "malicious"


def test_7z_traversal_name_py7zr_refuses_is_reported_and_the_rest_scanned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the py7zr path (a layout the built-in reader leaves to it): the refused member is
    # reported as not scanned, the others are still extracted and scanned
    import aisec.artifacts.containers._archives as archives

    files = [("a" * 10, b"notes"), ("b.pkl", os_system_proto(2))]
    data = _7z_rename(_7z_plain_header(files), "a" * 10, "../x.pkl/.")
    monkeypatch.setattr(archives, "_read_7z", lambda ctx: None)
    report = scan_bytes(data, "m.7z")
    rules = _rules(report)
    assert {"archive-path-traversal", "archive-limit", "pickle-dangerous-call"} <= rules, rules
    assert report.files[0].verdict == "malicious"


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
def test_payload_in_a_later_compressed_stream_is_scanned(kind: str) -> None:
    # gzip.open, bz2.open and lzma.open return every stream of the file, joined
    import bz2
    import lzma
    import pickle

    compress = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind]
    data = compress(pickle.dumps({"safe": [1, 2, 3]})) + compress(os_system_proto(4))
    report = scan_bytes(data, "model.joblib")
    assert "pickle-dangerous-call" in _rules(report)
    assert report.files[0].verdict == "malicious"


def test_gzip_members_after_zero_padding_and_before_garbage() -> None:
    import pickle

    first = gzip.compress(pickle.dumps([1, 2]))
    data = first + bytes(3000) + gzip.compress(os_system_proto(2)) + b"junk"
    assert "pickle-dangerous-call" in _rules(scan_bytes(data, "m.pkl.gz"))


def test_gzip_member_count_limit() -> None:
    report = scan_bytes(gzip.compress(b"") * 4100, "many.gz")
    assert "archive-limit" in _rules(report)
    assert report.files[0].verdict == "suspicious"


def test_gzip_members_share_one_size_limit() -> None:
    one = gzip.compress(b"\x01" * 5000)
    report = scan_bytes(one * 3, "m.gz", limits=Limits(max_archive_total_bytes=12000))
    assert "archive-bomb" in _rules(report)


def _mar(handler: bytes) -> bytes:
    manifest = b'{"model": {"handler": "handler.py", "serializedFile": "model.pt"}}'
    return _zip({"MAR-INF/MANIFEST.json": manifest, "handler.py": handler, "model.pt": b"w"})


_BENIGN_HANDLER = b"""import os
import torch
from ts.torch_handler.base_handler import BaseHandler


class Handler(BaseHandler):
    def initialize(self, context):
        model_dir = context.system_properties.get("model_dir")
        path = os.path.join(model_dir, "model.pt")
        if os.path.isfile(path):
            self.model = torch.jit.load(path)

    def preprocess(self, data):
        return torch.tensor(data)
"""


def test_torchserve_benign_handler_is_clean() -> None:
    report = scan_bytes(_mar(_BENIGN_HANDLER), "model.mar")
    assert report.files[0].format == "torchserve"
    assert report.files[0].verdict == "clean", report.findings


@pytest.mark.parametrize(
    "handler",
    [
        b"import os\nos.path.join('a')\ngetattr(os, 'sys' + 'tem')('id')\n",
        b"import os\nimport subprocess as os\nos.path.join('a')\n",
        b"import os\nfrom evil import os\nos.path.join('a')\n",
        b"import os\nos = __builtins__\nos.path.join('a')\n",
        b"import os as o\no.path.join('a')\no.popen('id')\n",
        b"import torch\nclass H:\n    def handle(self, d):\n        return eval(d)\n",
    ],
    ids=["getattr_os", "rebound_by_import", "rebound_by_from_import", "assigned", "alias",
         "eval"],
)  # fmt: skip
def test_torchserve_handler_escapes(handler: bytes) -> None:
    # os used for anything beyond os.path functions keeps "import os" dangerous
    report = scan_bytes(_mar(handler), "model.mar")
    assert "torchscript-dangerous-code" in _rules(report)
    assert report.files[0].verdict == "malicious"


def test_os_path_exemption_is_for_torchserve_handlers_only() -> None:
    # torch.package sources keep the stricter reading: any "import os" is reported
    from aisec.artifacts._base import ArtifactContext
    from aisec.artifacts.containers._torchscript import scan_torchscript_code

    ctx = ArtifactContext(io.BytesIO(b""), "m.zip", 0)
    assert scan_torchscript_code(_BENIGN_HANDLER, ctx, "x.py")
    assert not scan_torchscript_code(_BENIGN_HANDLER, ctx, "x.py", os_paths_ok=True)


def test_syntax_warnings_of_scanned_code_stay_out_of_the_users_terminal() -> None:
    # "1if" compiles with "SyntaxWarning: invalid decimal literal"; that is about the
    # scanned file, and Python would print it to stderr
    handler = b"import os\nx = 1if True else 2\nos.system('id')\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = scan_bytes(_mar(handler), "model.mar")
    assert not [w for w in caught if issubclass(w.category, SyntaxWarning)]
    assert report.files[0].verdict == "malicious"


def test_gzip_bomb_is_inflated_in_bounded_memory(tmp_path: Path) -> None:
    """A 1 MB gzip stream that expands to 1 GiB: caught as a bomb, and the scan's peak RSS
    (measured in a child process) stays far below the 200 MB the ratio limit lets it
    inflate; one decompress call used to return all of it at once (419 MiB peak)."""
    import json
    import os
    import subprocess
    import sys
    import zlib

    # one gzip stream: a 1 MiB block of zeros compressed once (a full flush makes each
    # copy stand alone), repeated; the trailer is never reached before the limit
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(b"\0" * (1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(header + block * 1024 + deflate.flush() + b"\0" * 8)
    code = (
        "import resource, sys\n"
        "from aisec.artifacts import scan_path\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "report = scan_path(sys.argv[1])\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "import json\n"
        "rules = [f.rule_id for f in report.findings]\n"
        "print(json.dumps([report.files[0].verdict, rules, base, peak]))\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
        timeout=300,
        check=True,
    )
    verdict, rules, base, peak = json.loads(done.stdout)
    assert verdict == "malicious" and "archive-bomb" in rules
    assert peak - base < 100 << 10, done.stdout  # ru_maxrss is in KiB: under 100 MiB of growth
