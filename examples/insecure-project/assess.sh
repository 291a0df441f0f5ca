#!/usr/bin/env bash
# Run aisec over the insecure example project: the main job of `make run` until `aisec up`
# exists. Each step prints what a person would see; findings are expected (exit 1 of a
# scan means "findings at or above --fail-on", which is the point of the example).
set -euo pipefail
AISEC="${AISEC:-aisec}"
here="$(cd "$(dirname "$0")" && pwd)"
out="${AISEC_HOME:-.aisec}/example-output"
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
expect_findings() { "$@" || { rc=$?; [ "$rc" -eq 1 ] || exit "$rc"; }; }

step "aisec init (store, audit key, master key, example policy)"
"$AISEC" init

step "policy check of the example project"
"$AISEC" policy check "$here/aisec.yaml"

step "build the example's binary model files (never loaded)"
python3 "$here/build.py" "$here"

step "aisec scan: model files, chat templates, configs"
expect_findings "$AISEC" scan "$here" --recursive --fail-on high

step "aisec guard scan: a retrieved e-mail with an indirect prompt injection"
expect_findings "$AISEC" guard scan --file "$here/prompts/support_inbox.txt" --direction document

step "aisec guard scan: a benign prompt"
"$AISEC" guard scan "What is the refund policy for duplicate charges on my card?"

step "keys: create (once), encrypt and decrypt a data set, field-level encryption"
"$AISEC" keys list --format json | grep -q '"example-files"' \
  || "$AISEC" keys create example-files --purpose streaming
"$AISEC" keys list --format json | grep -q '"example-pii"' \
  || "$AISEC" keys create example-pii --purpose aead
"$AISEC" encrypt "$here/data/customers.csv" "$out/customers.csv.aisec" --key example-files --force
"$AISEC" decrypt "$out/customers.csv.aisec" "$out/customers.decrypted.csv" --force
cmp "$here/data/customers.csv" "$out/customers.decrypted.csv" && echo "round trip: identical"
"$AISEC" data encrypt-fields "$here/data/customers.csv" "$out/customers.fields.csv" \
  --key example-pii --fields email,phone,card_number --force
head -3 "$out/customers.fields.csv" | cut -c1-150
"$AISEC" keys list

step "audit: the newest events, then proof that none was altered"
"$AISEC" audit tail -n 8
"$AISEC" audit verify
