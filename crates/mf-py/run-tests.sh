#!/usr/bin/env bash
# The Python package's tests: a fresh virtual environment, the package built and installed from
# this checkout (pip → maturin → cargo), then pytest (which compares against target/release/mf).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet ./crates/mf-py pytest matplotlib
cargo build --release -p mf-cli --bin mf
MF_BIN="$PWD/target/release/mf" MPLBACKEND=Agg "$venv/bin/python" -m pytest -q crates/mf-py/tests
