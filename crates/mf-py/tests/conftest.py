"""Fixtures: the `mf` binary of this checkout (to compare against) and small data sets."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def mf_bin() -> Path:
    """The `mf` command line of this checkout: $MF_BIN, else target/release/mf (built if
    missing)."""
    env = os.environ.get("MF_BIN")
    if env:
        return Path(env)
    p = ROOT / "target" / "release" / "mf"
    if not p.exists():
        subprocess.run(
            ["cargo", "build", "--release", "-p", "mf-cli", "--bin", "mf"], cwd=ROOT, check=True
        )
    return p


@pytest.fixture()
def cli(mf_bin):
    """Runs `mf ARGS...`; returns the CompletedProcess (never raises on a status)."""

    def run(*args):
        return subprocess.run(
            [str(mf_bin), *map(str, args)], capture_output=True, text=True, cwd=ROOT
        )

    return run


def make_data(p: int, d: int = 3, seed: int = 0):
    """P points of ℝ^d off any sphere, y a smooth function of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(p, d)) * rng.uniform(0.5, 2.0, size=(p, 1))
    y = np.tanh(x[:, 0] - 0.5 * x[:, 1]) + 0.3 * x[:, 1] * x[:, -1]
    return x, y


@pytest.fixture()
def data():
    return make_data(150)


@pytest.fixture()
def ctrl_c():
    """Ctrl-C in `delay` seconds, as an interactive Python receives it: Python's own SIGINT
    handler is installed for the test (a process started in the background, as CI may start
    pytest, inherits SIGINT ignored, and then neither a real Ctrl-C nor
    `_thread.interrupt_main` would reach it)."""
    import _thread
    import signal
    import threading

    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    timers = []

    def arm(delay: float):
        t = threading.Timer(delay, _thread.interrupt_main)
        timers.append(t)
        t.start()

    yield arm
    for t in timers:
        t.cancel()
    signal.signal(signal.SIGINT, old)
