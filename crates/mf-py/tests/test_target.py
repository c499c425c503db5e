"""meanfield.target: the shipped targets' values against `mf target`."""

import json

import numpy as np
import pytest

import meanfield as mf


def test_spin3_energies_are_those_mf_target_prints(cli):
    o = cli("target", "--dim", "6", "--seed", "4", "--samples", "7")
    assert o.returncode == 0, o.stderr
    printed = json.loads(o.stdout)
    t = mf.target(dim=6, seed=4)
    x = np.array(printed["points"])
    np.testing.assert_array_equal(t.energy(x), printed["energies"])
    assert t.mean_square == pytest.approx(printed["mean_square"], rel=1e-14)
    assert t.radius == printed["radius"] and t.dim == 6 and t.x is None


def test_the_teacher_is_the_network_mf_target_prints(cli):
    o = cli("target", "--dim", "4", "--target", "teacher", "--teacher-width", "9", "--samples", "5")
    assert o.returncode == 0, o.stderr
    printed = json.loads(o.stdout)
    t = mf.target(dim=4, target="teacher", teacher_width=9)
    np.testing.assert_allclose(t.energy(np.array(printed["points"])), printed["energies"], rtol=1e-13)
    assert t.mean_square == pytest.approx(1.0, rel=1e-12)


def test_bad_targets_are_value_errors():
    with pytest.raises(ValueError, match="spin3 or teacher"):
        mf.target(dim=4, target="data")
    with pytest.raises(ValueError, match="only with"):
        mf.target(dim=4, teacher_width=3)
    for bad in (dict(dim=0), dict(dim=-1), dict(dim=4, seed=-1), dict(dim=2.5)):
        with pytest.raises(ValueError, match="dim|seed"):
            mf.target(**bad)
    with pytest.raises(ValueError, match="columns"):
        mf.target(dim=4).energy(np.ones((2, 3)))
