#!/usr/bin/env bash
# Runs the NumPy peer and the Rust online RBF step on the same shapes (n = 1024, d = 25, P = 4096)
# one after the other, and prints both. Needs python3 with numpy (pip install numpy).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 benches/compare/numpy_step.py --n 1024 --d 25 --P 4096 --reps 20
cargo bench --workspace --bench step -- "rbf_online_n1024" 2>&1 | grep -E "^step/|time:"
