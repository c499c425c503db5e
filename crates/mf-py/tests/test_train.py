"""meanfield.train / Run: arrays in and out, the same bits as `mf train`, resume, polish,
Ctrl-C, callbacks."""

import json
import math

import numpy as np
import pytest

import meanfield as mf


def read(p):
    return p.read_bytes()


CASES = [
    # (python kwargs, equivalent mf train flags)
    (
        dict(units="rbf", dim=5, width=16, mode="exact", time=50.0, dt=0.5, seed=3),
        ["--units", "rbf", "--dim", "5", "--width", "16", "--mode", "exact", "--time", "50", "--dt", "0.5", "--seed", "3"],
    ),
    (
        dict(units="relu", dim=4, width=8, mode="online", steps=60, dt=0.1, batch=32, test_size=500, seed=5, replica=2),
        ["--units", "relu", "--dim", "4", "--width", "8", "--steps", "60", "--dt", "0.1", "--batch", "32", "--test-size", "500", "--seed", "5", "--replica", "2"],
    ),
    (
        dict(units="rbf", dim=4, width=8, mode="sgd", steps=40, dt=0.2, batch=16, train_size=64, test_size=300,
             target="teacher", teacher_width=16, init_c="normal", unit_param={"sigma": 0.9}),
        ["--units", "rbf", "--dim", "4", "--width", "8", "--mode", "sgd", "--steps", "40", "--dt", "0.2", "--batch", "16",
         "--train-size", "64", "--test-size", "300", "--target", "teacher", "--teacher-width", "16", "--init-c", "normal",
         "--unit-param", "sigma=0.9"],
    ),
]


@pytest.mark.parametrize("kwargs,flags", CASES)
def test_python_and_cli_write_the_same_state(tmp_path, cli, kwargs, flags):
    run = mf.train(**kwargs)
    run.save(tmp_path / "py")
    o = cli("train", *flags, "--out", tmp_path / "cli")
    assert o.returncode == 0, o.stderr
    for name in ("state.json", "trace.csv"):
        assert read(tmp_path / "py" / name) == read(tmp_path / "cli" / name), name
    py, cli = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("py", "cli"))
    py.pop("wall_seconds"), cli.pop("wall_seconds")
    assert py == cli


def test_arrays_out_have_the_documented_shapes_and_values(tmp_path):
    run = mf.train(units="relu", dim=3, width=6, mode="online", steps=20, dt=0.1, batch=16, test_size=200)
    assert run.c.shape == (6,) and run.c.dtype == np.float64
    assert run.z.shape == (6, 3) and run.b.shape == (6,)
    state = run.state
    assert np.array_equal(run.c, state["c"]) and np.array_equal(run.b, state["b"])
    tr = run.trace
    assert tr["step"].dtype == np.int64 and tr["step"][0] == 0 and tr["step"][-1] == 20
    assert set(tr) >= {"time", "test_loss", "relative_test_loss", "grad_norm", "max_abs_c"}
    assert np.isnan(tr["batch_loss"][0])  # empty cell
    assert run.summary["steps"] == 20 and run.step == 20 and math.isclose(run.time, 2.0)
    rbf = mf.train(units="rbf", dim=3, width=5, mode="exact", time=1.0, dt=0.5)
    assert rbf.b is None
    # f_n(x) = (1/n) Σ c_i exp(−|x − z_i|²/(2σ²)), from the arrays alone
    x = np.random.default_rng(1).normal(size=(7, 3))
    sigma = rbf.summary["sigma_used"]
    d2 = ((x[:, None, :] - rbf.z[None, :, :]) ** 2).sum(-1)
    want = (rbf.c[None, :] * np.exp(-d2 / (2 * sigma**2))).mean(1)
    np.testing.assert_allclose(rbf.predict(x), want, rtol=1e-12, atol=1e-15)


def test_resume_save_load_and_cli_resume_continue_bit_for_bit(tmp_path, cli):
    kw = dict(units="rbf", dim=5, width=12, mode="exact", dt=0.5, seed=7)
    straight = mf.train(time=40.0, **kw)
    part = mf.train(time=10.0, **kw)
    part.save(tmp_path / "part")
    assert part.resume(time=40.0) is part
    assert part.state == straight.state
    # reopened from its folder, in Python and by the command line
    again = mf.load(tmp_path / "part").resume(time=40.0)
    assert again.state == straight.state
    o = cli("train", "--resume", tmp_path / "part", "--time", "40")
    assert o.returncode == 0, o.stderr
    assert json.loads((tmp_path / "part" / "state.json").read_text()) == straight.state
    with pytest.raises(ValueError, match="steps"):
        straight.resume(time=1.0)


def test_polish_reports_and_keeps_the_polished_particles():
    run = mf.train(units="rbf", dim=5, width=8, mode="exact", time=200.0, dt=0.5, seed=2)
    rep = run.polish(tol=1e-9, iterations=50)
    assert rep["polish_iterations"] <= 50
    assert rep["polished_relative_test_loss"] <= run.summary["relative_test_loss"] + 1e-15
    assert len(run.state["polished"]["c"]) == 8
    online = mf.train(units="rbf", dim=5, width=8, steps=5, dt=0.1, batch=16, test_size=100)
    with pytest.raises(ValueError, match="polish"):
        online.polish()


def test_progress_is_called_with_each_new_row_and_its_exception_stops_the_run():
    rows = []
    run = mf.train(units="rbf", dim=4, width=8, mode="exact", time=100.0, dt=0.5, progress=rows.append)
    assert [r["step"] for r in rows] == list(run.trace["step"])
    assert rows[-1]["test_loss"] == run.trace["test_loss"][-1]

    def boom(row):
        if row["step"] >= 10:
            raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        mf.train(units="rbf", dim=4, width=8, mode="exact", time=100.0, dt=0.5, progress=boom)


def test_ctrl_c_stops_at_the_last_evaluation_and_resumes_bit_for_bit(tmp_path, ctrl_c):
    kw = dict(units="rbf", dim=5, width=64, mode="exact", dt=0.5, seed=11)
    straight = mf.train(time=4000.0, **kw)
    ctrl_c(0.4)
    with pytest.raises(KeyboardInterrupt) as info:
        mf.train(time=4000.0, out=tmp_path / "run", **kw)
    run = info.value.run
    assert 0 < run.time < 4000.0
    # stopped at an evaluation: the state and its files are those of the trace's last row
    assert run.trace["time"][-1] == run.time
    saved = json.loads((tmp_path / "run" / "state.json").read_text())
    assert saved == run.state
    run.resume(time=4000.0)
    assert run.state == straight.state
    assert mf.load(tmp_path / "run").resume(time=4000.0).state == straight.state


def test_a_diverging_run_raises_meanfield_error_naming_the_step():
    with pytest.raises(mf.MeanfieldError, match="diverged at step"):
        mf.train(units="relu", dim=5, width=8, mode="online", steps=200, dt=1e3, batch=16, test_size=100, init_c="normal")
    assert issubclass(mf.MeanfieldError, RuntimeError)


CHILD = """
import signal, sys
import meanfield as mf
signal.signal(signal.SIGINT, signal.default_int_handler)
print("ready", flush=True)
try:
    mf.train(units="rbf", dim=5, width=64, mode="exact", dt=0.5, time=1e6, seed=3, out=sys.argv[1])
except KeyboardInterrupt as e:
    print("interrupted", repr(e.run.time), flush=True)
    sys.exit(3)
"""


def test_a_real_sigint_stops_a_run_in_another_process_and_keeps_its_checkpoint(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(out)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    start = time.monotonic()
    os.kill(p.pid, signal.SIGINT)
    rest, _ = p.communicate(timeout=60)
    assert p.returncode == 3, rest
    assert time.monotonic() - start < 5.0  # promptly, not at the end of a 10⁶ run
    t = float(rest.split()[1])
    assert 0 < t < 1e6
    again = mf.load(out)
    assert again.time == t and again.trace["time"][-1] == t


def test_reading_a_busy_run_is_an_error_not_a_deadlock():
    run = mf.train(units="rbf", dim=4, width=8, mode="exact", time=10.0, dt=0.5)
    seen = []

    def peek(row):
        seen.append(row["step"])
        run.step  # the run is training: refused at once, not waited for

    with pytest.raises(mf.MeanfieldError, match="busy") as info:
        run.resume(time=100.0, progress=peek)
    assert info.value.run is run and seen
    # back at an evaluation, usable again
    assert run.trace["step"][-1] == run.step


def test_ctrl_c_before_the_first_evaluation_of_a_resume_goes_back_to_where_it_started(tmp_path, ctrl_c):
    x = np.random.default_rng(0).normal(size=(3000, 6))
    y = np.sin(x[:, 0])
    kw = dict(units="rbf", width=128, mode="gd", dt=0.05, evals_per_decade=1, data=(x, y))
    run = mf.train(steps=100, **kw)
    ctrl_c(0.2)
    with pytest.raises(KeyboardInterrupt) as info:
        run.resume(steps=100_000)
    assert info.value.run is run
    assert run.trace["step"][-1] == run.step  # at an evaluation (100, or a later one)
    target = int(run.step * 10)
    straight = mf.train(steps=target, **kw)
    run.resume(steps=target)
    assert np.array_equal(run.trace["step"], straight.trace["step"])
    assert run.state == straight.state


def test_numpy_numbers_are_numbers_and_bad_values_name_their_parameter():
    a = mf.train(units="rbf", dim=np.int64(4), width=np.int32(6), mode="exact", time=np.float32(5.0), dt=np.float64(0.5),
                 unit_param={"sigma": np.float64(1.1)})
    b = mf.train(units="rbf", dim=4, width=6, mode="exact", time=5.0, dt=0.5, unit_param={"sigma": 1.1})
    assert a.state == b.state
    base = dict(units="rbf", dim=4, width=4, dt=0.1, steps=3, batch=8, test_size=50)
    for change, needle in [
        (dict(seed=-1), "--seed"),
        (dict(width=-3), "--width"),
        (dict(steps=-1), "steps"),
        (dict(steps=1.5), "steps"),
        (dict(steps=float("nan")), "steps"),
        (dict(steps=None, time="1"), "time"),
        (dict(dt=0), "dt"),
        (dict(width=True), "width"),
        (dict(unit_param="sigma"), "unit_param"),
        (dict(unit_param=["sigma"]), "unit_param"),
        (dict(unit_param={"sigma": "abc"}), "unit_param"),
        (dict(batch=[1, 2]), "--batch"),
    ]:
        with pytest.raises(ValueError, match=needle):
            mf.train(**{**base, **change})


def test_ctrl_c_stops_a_polish_before_its_next_iteration(ctrl_c):
    import time

    run = mf.train(units="rbf", dim=5, width=32, mode="exact", time=100.0, dt=0.5)
    flow = run.summary["relative_test_loss"]
    ctrl_c(0.5)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # ≈ 10⁴ iterations a second: this budget would take ≈ 20 min
        run.polish(method="steepest-descent", tol=1e-300, iterations=10_000_000)
    assert time.monotonic() - start < 10
    s = run.summary
    assert s["polish_stop"] == "cancelled" and 0 < s["polish_iterations"] < 10_000_000
    assert s["polished_relative_test_loss"] <= flow
