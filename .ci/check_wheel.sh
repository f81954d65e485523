#!/usr/bin/env bash
# Build sdist + wheel, install the wheel into a fresh venv OUTSIDE the checkout, run the demo
# there and load every package data file from the install (see check_installed.py).
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

python -m build --outdir "$out/dist" "$checkout"
ls -l "$out/dist"
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install -q "$(ls "$out"/dist/*.whl)"
cd "$out"  # so that nothing can be imported from the checkout
"$out/venv/bin/python" "$checkout/.ci/check_installed.py" "$checkout"
"$out/venv/bin/micrograd-plus" --version
"$out/venv/bin/python" -m micrograd_plus demo --quiet --out "$out/demo"
ls "$out/demo"
