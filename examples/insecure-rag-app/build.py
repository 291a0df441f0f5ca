"""Write the example's model files (standard library only; nothing here loads them).

    python build.py [FOLDER]     # default: this example's folder

models/reranker.pkl is a MALICIOUS pickle: loading it would run a shell command
(os.system). aisec finds it by reading its opcodes; never load it with pickle, joblib or
torch.load. models/embedder.safetensors is a clean, unsigned tensor file.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path


def malicious_pickle() -> bytes:
    """Protocol-2 pickle equivalent to os.system("echo ..."), assembled opcode by opcode."""
    cmd = b"echo aisec example: this model ran code on load"
    return (
        b"\x80\x02"  # PROTO 2
        + b"cposix\nsystem\n"  # GLOBAL posix.system
        + b"X"
        + struct.pack("<I", len(cmd))
        + cmd  # BINUNICODE
        + b"\x85"  # TUPLE1
        + b"R"  # REDUCE
        + b"."  # STOP
    )


def clean_safetensors() -> bytes:
    """A 2x2 float32 tensor in the safetensors format."""
    data = struct.pack("<4f", 0.5, -1.0, 2.0, 0.25)
    header = {
        "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, len(data)]},
        "__metadata__": {"format": "pt"},
    }
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def build(root: Path) -> None:
    models = root / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "reranker.pkl").write_bytes(malicious_pickle())
    (models / "embedder.safetensors").write_bytes(clean_safetensors())


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    build(target)
    print(f"wrote {target / 'models'}/reranker.pkl and embedder.safetensors")
