"""Training sets of your own: every file format, arrays, the same bits as `mf train --data`,
and a clear ValueError (never a panic) for every malformed input."""

import json

import numpy as np
import pytest

import meanfield as mf
from conftest import make_data


def write_all_formats(d, x, y):
    """The same set in every supported format; returns the paths."""
    np.savez(d / "s.npz", x=x, y=y)
    np.savez_compressed(d / "c.npz", x=x.astype(np.float32), y=y.astype(np.float32))
    np.savez(d / "f.npz", x=np.asfortranarray(x), y=y.reshape(-1, 1))
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y.astype(">f8"))
    np.save(d / "j.npy", np.column_stack([x, y]))
    header = ",".join([f"x{k}" for k in range(x.shape[1])] + ["y"])
    np.savetxt(d / "t.csv", np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%.17g")
    return {
        "npz": d / "s.npz",
        "npz-compressed-float32": d / "c.npz",
        "npz-fortran": d / "f.npz",
        "npy-pair": f"{d / 'x.npy'},{d / 'y.npy'}",
        "npy-joined": d / "j.npy",
        "csv": d / "t.csv",
    }


def test_every_format_reads_the_same_set(tmp_path, data):
    x, y = data
    for name, path in write_all_formats(tmp_path, x, y).items():
        rx, ry = mf.read_data(path)
        if "float32" in name:
            np.testing.assert_array_equal(rx, x.astype(np.float32).astype(np.float64))
            np.testing.assert_array_equal(ry, y.astype(np.float32).astype(np.float64))
        else:
            np.testing.assert_array_equal(rx, x, err_msg=name)
            np.testing.assert_array_equal(ry, y, err_msg=name)


def test_an_npz_trains_the_same_from_the_cli_and_from_python(tmp_path, cli, data):
    x, y = data
    tx, ty = make_data(60, seed=9)
    np.savez(tmp_path / "train.npz", x=x, y=y)
    np.savez(tmp_path / "test.npz", x=tx, y=ty)
    kw = dict(units="rbf", width=10, mode="gd", time=3.0, dt=0.1, seed=4)
    py = mf.train(data=tmp_path / "train.npz", test_data=tmp_path / "test.npz", **kw)
    py.save(tmp_path / "py")
    o = cli("train", "--units", "rbf", "--width", "10", "--mode", "gd", "--time", "3", "--dt", "0.1", "--seed", "4",
            "--data", tmp_path / "train.npz", "--test-data", tmp_path / "test.npz", "--out", tmp_path / "cli")
    assert o.returncode == 0, o.stderr
    for f in ("state.json", "trace.csv"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    # the same numbers as arrays or as a Target give the same particles (the record has no path)
    arrays = mf.train(data=(x, y), test_data=(tx, ty), **kw)
    target = mf.train(data=mf.Target.from_data(x, y), test_data=(tx, ty), **kw)
    assert np.array_equal(arrays.c, py.c) and np.array_equal(arrays.z, py.z)
    assert np.array_equal(target.c, py.c)
    rec = arrays.config["data"]
    assert "path" not in rec["train"] and rec["train"]["fingerprint"] == py.config["data"]["train"]["fingerprint"]
    # a run on arrays reopens with them (and refuses other numbers)
    arrays.save(tmp_path / "arr")
    again = mf.load(tmp_path / "arr", data=(x, y), test_data=(tx, ty)).resume(time=5.0)
    assert again.time == pytest.approx(5.0)
    with pytest.raises(ValueError, match="give them again"):
        mf.load(tmp_path / "arr")
    with pytest.raises(ValueError, match="changed"):
        mf.load(tmp_path / "arr", data=(x + 1.0, y), test_data=(tx, ty))


def test_sgd_learns_a_set_off_the_sphere(data):
    x, y = data
    run = mf.train(units="rbf", width=24, mode="sgd", batch=32, time=1000.0, dt=0.2, data=(x, y))
    tr = run.trace
    # the empirical loss falls by more than 5× (measured: 0.446 → 0.059)
    assert tr["train_loss"][-1] < 0.2 * tr["train_loss"][0]
    assert run.summary["sigma_used"] == pytest.approx(0.5 * np.sqrt((x**2).sum(1).mean()), rel=1e-12)
    assert run.config["dim"] == 3 and run.config["train_size"] == 150


def broken_files(d, x, y):
    """(path, what the message must say) for malformed files."""
    np.save(d / "good.npy", np.column_stack([x, y]))
    raw = (d / "good.npy").read_bytes()
    (d / "trunc.npy").write_bytes(raw[: len(raw) - 13])
    (d / "header.npy").write_bytes(raw[:30])
    (d / "empty.npz").write_bytes(b"")
    np.savez(d / "noy.npz", x=x)
    np.savez(d / "p.npz", x=x, y=y[:-1])
    np.savez(d / "nan.npz", x=np.where(np.arange(x.size).reshape(x.shape) == 4, np.nan, x), y=y)
    np.savez(d / "str.npz", x=np.array(["a", "b"]), y=np.array([1.0, 2.0]))
    np.savez(d / "zero.npz", x=np.zeros((0, 3)), y=np.zeros(0))
    np.savez(d / "obj.npz", x=np.array([[1, 2]], dtype=object), y=np.array([1.0]))
    (d / "mixed.csv").write_text("1,2,3\n4,5\n")
    (d / "word.csv").write_text("a,b,y\n1,2,3\n4,x,6\n")
    (d / "blank.csv").write_text("\n\n")
    (d / "bin.csv").write_bytes(b"\x00\xff\xfe")
    return [
        (d / "trunc.npy", "truncated"),
        (d / "header.npy", "not a valid .npy"),
        (d / "empty.npz", "not a valid .npz"),
        (d / "noy.npz", 'no array "y"'),
        (d / "p.npz", "same P"),
        (d / "nan.npz", "x[1, 1]"),
        (d / "str.npz", "dtype"),
        (d / "zero.npz", "no points"),
        (d / "obj.npz", "dtype"),
        (d / "mixed.csv", "line 2 has 2 values"),
        (d / "word.csv", "line 3, column 2"),
        (d / "blank.csv", "no points"),
        (d / "bin.csv", "not a text file"),
        (d / "missing.npz", "cannot be read"),
        (f"{d / 'good.npy'},{d / 'missing.npy'}", "cannot be read"),
    ]


def test_malformed_files_give_a_clear_error_in_python_and_the_cli(tmp_path, cli, data):
    x, y = data
    for path, needle in broken_files(tmp_path, x, y):
        with pytest.raises(ValueError) as e:
            mf.read_data(path)
        msg = str(e.value)
        assert needle in msg and str(path).split(",")[-1].split("/")[-1] in msg, msg
        with pytest.raises(ValueError, match="data"):
            mf.train(units="rbf", width=4, mode="gd", steps=2, dt=0.1, data=path)
        o = cli("train", "--units", "rbf", "--width", "4", "--mode", "gd", "--steps", "2", "--dt", "0.1",
                "--data", path, "--out", tmp_path / "o")
        assert o.returncode == 2, (path, o.stderr)
        assert needle in o.stderr and len(o.stderr.strip().splitlines()) == 1, o.stderr
        assert "panic" not in o.stderr


@pytest.mark.parametrize(
    "data,needle",
    [
        ((np.ones((5, 2)), np.ones(4)), "same P"),
        ((np.ones((2, 2, 2)), np.ones(2)), "2-D"),
        ((np.ones((3, 2)), np.ones((3, 2))), "one value per point"),
        ((np.array([[1.0, np.inf]]), np.ones(1)), "not finite"),
        ((np.array([["a", "b"]]), np.ones(1)), "numeric"),
        ((np.zeros((0, 2)), np.zeros(0)), "no points"),
        ((np.zeros((4, 2)), np.ones(4)), "not all zero"),
        ("just-a-string-that-is-no-file", "cannot be read"),
        (42, "file path, a pair"),
    ],
)
def test_malformed_arrays_give_a_clear_error(data, needle):
    with pytest.raises(ValueError, match=needle):
        mf.train(units="rbf", width=4, mode="gd", steps=2, dt=0.1, data=data)


def test_data_needs_gd_or_sgd_and_fixes_dim_and_sizes(data):
    x, y = data
    for mode in ("online", "exact"):
        with pytest.raises(ValueError, match="gd or sgd"):
            mf.train(units="rbf", width=4, mode=mode, steps=2, dt=0.1, data=(x, y))
    with pytest.raises(ValueError, match="--dim"):
        mf.train(units="rbf", dim=7, width=4, mode="gd", steps=2, dt=0.1, data=(x, y))
    with pytest.raises(ValueError, match="--train-size"):
        mf.train(units="rbf", width=4, mode="gd", steps=2, dt=0.1, data=(x, y), train_size=10)
    with pytest.raises(ValueError, match="test_data"):
        mf.train(units="rbf", dim=3, width=4, mode="gd", steps=2, dt=0.1, test_data=(x, y))
    with pytest.raises(ValueError, match="dimension"):
        mf.train(units="rbf", width=4, mode="gd", steps=2, dt=0.1, data=(x, y), test_data=(x[:, :2], y))
    t = mf.Target.from_data(x, y)
    assert t.dim == 3 and np.array_equal(t.x, x) and t.mean_square == pytest.approx((y**2).mean())
    with pytest.raises(ValueError, match="only at its points"):
        t.energy(x)


@pytest.mark.parametrize(
    "bad,needle",
    [
        ((np.ones((3, 2)) + 1j, np.ones(3)), "complex|numeric"),
        ((np.ones((3, 2), dtype=bool), np.ones(3)), "numeric"),
        ((np.array(1.0), np.ones(1)), "scalar"),
        (np.ones((2, 5)), "pair"),
    ],
)
def test_arrays_that_are_not_real_data_are_refused(bad, needle):
    with pytest.raises(ValueError, match=needle):
        mf.train(units="rbf", width=4, mode="gd", steps=2, dt=0.1, data=bad)


def test_a_file_beside_arrays_and_load_from_a_file(tmp_path, data):
    x, y = data
    tx, ty = make_data(40, seed=3)
    np.savez(tmp_path / "test.npz", x=tx, y=ty)
    kw = dict(units="rbf", width=6, mode="gd", steps=20, dt=0.1)
    a = mf.train(data=(x, y), test_data=tmp_path / "test.npz", **kw)
    b = mf.train(data=(x, y), test_data=(tx, ty), **kw)
    assert a.state == b.state
    a.save(tmp_path / "a")
    np.savez(tmp_path / "train.npz", x=x, y=y)
    again = mf.load(tmp_path / "a", data=tmp_path / "train.npz", test_data=tmp_path / "test.npz")
    assert again.state == a.state


def test_array_scans_in_two_folders_merge(tmp_path, cli, data):
    x, y = data
    kw = dict(units="rbf", mode="gd", dt=0.1, time=1.0, widths=[4, 8], replicas=2, data=(x, y))
    for k in (1, 2):
        mf.scan(out=tmp_path / f"s{k}", shard=f"{k}/2", **kw)
    o = cli("merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "m")
    assert o.returncode == 0, o.stderr
    whole = mf.scan(out=tmp_path / "w", **kw)
    assert (tmp_path / "m" / "runs.csv").read_bytes() == (whole.dir / "runs.csv").read_bytes()
    # a folder holding other numbers is refused, its data kept
    before = (tmp_path / "w" / "data.npz").read_bytes()
    with pytest.raises(ValueError, match="other data"):
        mf.scan(out=tmp_path / "w", **{**kw, "data": (x + 1, y)})
    assert (tmp_path / "w" / "data.npz").read_bytes() == before


def test_csv_quirks(tmp_path):
    (tmp_path / "bom.csv").write_bytes("\ufeff1,2,3\n4,5,6\n".encode())
    (tmp_path / "cr.csv").write_bytes(b"a,b,y\r1,2,3\r4,5,6\r")
    (tmp_path / "crlf.csv").write_bytes(b"a,b,y\r\n1,2,3\r\n4,5,6\r\n")
    for f in ("bom.csv", "cr.csv", "crlf.csv"):
        x, y = mf.read_data(tmp_path / f)
        assert x.shape == (2, 2) and list(y) == [3.0, 6.0], f
    (tmp_path / "typo.csv").write_text("1,2,3x\n4,5,6\n")
    with pytest.raises(ValueError, match="line 1, column 3"):
        mf.read_data(tmp_path / "typo.csv")
    (tmp_path / "trail.csv").write_text("1,2,3,\n4,5,6,\n")
    with pytest.raises(ValueError, match="line 1, column 4: is empty"):
        mf.read_data(tmp_path / "trail.csv")
