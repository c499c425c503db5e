"""meanfield.scan: the files and fit of `mf scan`, resume, shards, data, errors, Ctrl-C."""

import json

import numpy as np
import pytest

import meanfield as mf
from conftest import make_data

RUN = dict(units="rbf", dim=4, mode="exact", dt=0.5, time=300.0, seed=2)


def test_a_scan_returns_its_runs_and_its_fit_as_the_cli_writes_them(tmp_path, cli):
    calls = []
    s = mf.scan(widths=[4, 8, 16], replicas=3, out=tmp_path / "py", progress=lambda d, t: calls.append((d, t)), **RUN)
    assert (s.computed, s.reused, s.total) == (9, 0, 9)
    assert calls and calls[-1] == (9, 9)
    lo, hi = s.interval
    assert lo <= s.beta <= hi
    assert s.fit["widths"] == [4, 8, 16]
    fin = s.final()
    assert sorted(set(fin["n"])) == [4, 8, 16] and len(fin["test_loss"]) == 9
    fl = s.fluctuations
    assert {"n", "step", "n_var", "mean_test_loss"} <= set(fl)
    # the command line's scan of the same flags: the same files
    o = cli("scan", "--units", "rbf", "--dim", "4", "--mode", "exact", "--dt", "0.5", "--time", "300", "--seed", "2",
            "--widths", "4,8,16", "--replicas", "3", "--out", tmp_path / "cli")
    assert o.returncode == 0, o.stderr
    for f in ("runs.csv", "fluctuations.csv", "fit.json", "scan.json"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    # calling again resumes: nothing recomputed
    again = mf.scan(widths=[4, 8, 16], replicas=3, out=tmp_path / "py", **RUN)
    assert (again.computed, again.reused) == (0, 9)
    assert again.beta == s.beta


def test_shards_run_their_cells_and_merge_to_the_whole(tmp_path, cli):
    for k in (1, 2):
        r = mf.scan(widths=[4, 8], replicas=2, out=tmp_path / f"s{k}", shard=f"{k}/2", **RUN)
        assert r.computed == 2
    o = cli("merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "all")
    assert o.returncode == 0, o.stderr
    whole = mf.scan(widths=[4, 8], replicas=2, out=tmp_path / "whole", **RUN)
    assert (tmp_path / "all" / "runs.csv").read_bytes() == (whole.dir / "runs.csv").read_bytes()


def test_a_scan_on_arrays_keeps_its_data_beside_its_cells(tmp_path):
    x, y = make_data(80)
    s = mf.scan(units="rbf", mode="gd", dt=0.1, time=2.0, widths=[4, 8], replicas=2, data=(x, y), out=tmp_path / "d")
    assert (tmp_path / "d" / "data.npz").exists()
    rx, ry = mf.read_data(tmp_path / "d" / "data.npz")
    assert np.array_equal(rx, x) and np.array_equal(ry, y)
    assert json.loads((tmp_path / "d" / "scan.json").read_text())["base"]["data"]["train"]["points"] == 80
    assert s.total == 4


def test_bad_scan_input_is_a_value_error_naming_the_flag(tmp_path):
    with pytest.raises(ValueError, match="--shard"):
        mf.scan(widths=[4, 8], out=tmp_path / "a", shard="3/2", **RUN)
    with pytest.raises(ValueError, match="--fit-range"):
        mf.scan(widths=[4, 8], out=tmp_path / "b", fit_range=[8, 4], **RUN)
    with pytest.raises(ValueError, match="bogus"):
        mf.scan(widths=[4, 8], out=tmp_path / "c", bogus=1, **RUN)
    with pytest.raises(ValueError, match="--units"):
        mf.scan(widths=[4], out=tmp_path / "d", dim=4, dt=0.1, steps=3)


def test_ctrl_c_keeps_the_finished_cells_and_a_second_call_resumes(tmp_path, ctrl_c):
    long = dict(RUN, time=8000.0)
    ctrl_c(0.3)
    with pytest.raises(KeyboardInterrupt):
        mf.scan(widths=[16, 32], replicas=4, out=tmp_path / "s", **long)
    cells = list((tmp_path / "s" / "cells").glob("*.json"))
    assert len(cells) < 8
    done = mf.scan(widths=[16, 32], replicas=4, out=tmp_path / "s", **long)
    assert done.reused == len(cells) and done.computed == 8 - len(cells)
