#!/usr/bin/env bash
# Acceptance 2 and 3 of issue 3 through the CLI: every tamper case exits 2 with a message and
# leaves nothing at OUT; rotate, old and new files decrypt; rewrap changes only the header;
# disabling the old version afterwards does not matter for rewrapped files.
# Run: bash benchmarks/crypto/acceptance_tamper.sh   (uses a throwaway AISEC_HOME)
set -u
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export AISEC_HOME="$W/home"
AISEC_MASTER_KEY=$($PY -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
export AISEC_MASTER_KEY
aisec() { $PY -m aisec "$@"; }

aisec keys create files --purpose streaming
head -c 3500000 /dev/urandom > "$W/plain.bin"
aisec encrypt "$W/plain.bin" "$W/v1.aisec" --key files
aisec encrypt "$W/plain.bin" "$W/aad.aisec" --key files --aad "tenant=a"

mutate() {  # mutate KIND SRC DST
  $PY - "$@" <<'PYEOF'
import struct, sys
kind, src, dst = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
name_len = b[26]
wrapped_len = struct.unpack(">I", b[31 + name_len : 35 + name_len])[0]
payload = 35 + name_len + wrapped_len
seg = 1 << 20
if kind == "header":
    b[40] ^= 1
elif kind == "payload":
    b[payload + seg + 100] ^= 1
elif kind == "last-chunk":
    b[-3] ^= 1
elif kind == "truncate":
    b = b[:-1000]
elif kind == "reorder":
    s1 = b[payload + seg : payload + 2 * seg]
    s2 = b[payload + 2 * seg : payload + 3 * seg]
    b[payload + seg : payload + 3 * seg] = s2 + s1
open(dst, "wb").write(bytes(b))
PYEOF
}

check() {  # check LABEL IN [decrypt args...]
  label=$1; in=$2; shift 2
  rm -f "$W/out.bin"
  aisec decrypt "$in" "$W/out.bin" "$@"
  rc=$?
  if [ -e "$W/out.bin" ]; then at="OUT EXISTS"; else at="nothing at OUT"; fi
  leftovers=$(find "$W" -maxdepth 1 -name '.out.bin.*' | wc -l)
  echo "== $label: exit $rc, $at, temp files left: $leftovers"
}

for kind in header payload last-chunk truncate reorder; do
  mutate "$kind" "$W/v1.aisec" "$W/$kind.aisec"
  check "bit flip/cut/reorder: $kind" "$W/$kind.aisec"
done
check "wrong AAD" "$W/aad.aisec" --aad "tenant=b"
check "missing AAD" "$W/aad.aisec"

echo "== rotate, then old and new files both decrypt"
aisec keys rotate files
aisec encrypt "$W/plain.bin" "$W/v2.aisec" --key files
for f in v1 v2; do
  aisec decrypt "$W/$f.aisec" "$W/$f.out" && cmp -s "$W/plain.bin" "$W/$f.out" && echo "$f.aisec decrypts to the original"
done
cp "$W/v1.aisec" "$W/v1-not-rewrapped.aisec"
aisec keys rewrap "$W/v1.aisec"
$PY - "$W/v1-not-rewrapped.aisec" "$W/v1.aisec" <<'PYEOF'
import struct, sys
def split(path):
    b = open(path, "rb").read()
    n = b[26]
    w = struct.unpack(">I", b[31 + n : 35 + n])[0]
    return b[: 35 + n + w], b[35 + n + w :]
(h1, p1), (h2, p2) = split(sys.argv[1]), split(sys.argv[2])
print(f"rewrap: header changed: {h1 != h2}; payload bytes identical: {p1 == p2} ({len(p1)} bytes)")
PYEOF
aisec keys disable files --version 1
check "disabled key version (file not rewrapped)" "$W/v1-not-rewrapped.aisec"
aisec decrypt "$W/v1.aisec" "$W/v1b.out" && cmp -s "$W/plain.bin" "$W/v1b.out" && echo "== rewrapped file still decrypts after v1 is disabled"
aisec keys list
