"""The package's surface: the same parameter names and defaults as the command line, stubs
for the compiled module, docstrings, and no panic crossing into Python."""

import inspect
import math
from pathlib import Path

import pytest

import meanfield as mf
from meanfield import _native

PKG = Path(mf.__file__).parent
# flags that are not parameters (the folder of `mf train`, its resume) or that are spelled
# differently in Python (`--time` is `time`, both exist)
NOT_PARAMS = {"out", "resume"}


def same(default, flag_default):
    if flag_default is None:
        return default is None or default is False or default is inspect.Parameter.empty
    if isinstance(default, float) or isinstance(default, int) and not isinstance(default, bool):
        return math.isclose(float(default), float(flag_default), rel_tol=0, abs_tol=0)
    return str(default) == flag_default


def test_train_takes_every_flag_of_mf_train_with_its_default():
    params = inspect.signature(mf.train).parameters
    flags = dict(_native.flag_defaults("train"))
    for flag, default in flags.items():
        name = flag.replace("-", "_")
        if name in NOT_PARAMS:
            continue
        assert name in params, f"--{flag} has no parameter in meanfield.train"
        assert same(params[name].default, default), (name, params[name].default, default)


def test_scan_takes_every_flag_of_mf_scan_with_its_default():
    params = inspect.signature(mf.scan).parameters
    train_params = inspect.signature(mf.train).parameters
    for flag, default in _native.flag_defaults("scan"):
        name = flag.replace("-", "_")
        if name in ("bootstrap",):  # accepted by mf scan for compatibility, no effect
            continue
        if name in params:
            assert same(params[name].default, default) or name == "out", (name, default)
        else:
            assert name in train_params, f"--{flag} is neither a scan nor a train parameter"


def test_the_compiled_module_has_stubs_and_the_package_docstrings():
    stub = (PKG / "_native.pyi").read_text()
    for name in dir(_native):
        if not name.startswith("__"):
            assert f" {name}" in stub, f"{name} missing from _native.pyi"
    assert (PKG / "py.typed").exists()
    for name in mf.__all__:
        obj = getattr(mf, name)
        assert obj.__doc__ and len(obj.__doc__) > 40, name
    assert "Σ" in mf.train.__doc__ or "∇" in mf.train.__doc__


def test_a_panic_arrives_as_meanfield_error():
    with pytest.raises(mf.MeanfieldError, match="internal error"):
        _native._panic_for_tests()


def test_bad_values_name_the_parameter():
    base = dict(units="rbf", dim=4, width=4, dt=0.1, steps=3, batch=8, test_size=50)
    for change, needle in [
        (dict(width=0), "--width"),
        (dict(dt=-1.0), "dt"),
        (dict(units="tanh"), "units"),
        (dict(mode="exact", units="relu"), "--mode"),
        (dict(step_rule="nope"), "step-rule"),
        (dict(tol=2.0), "--tol"),
        (dict(sigma=-1.0), "--sigma"),
        (dict(dim=0), "--dim"),
        (dict(time=1.0), "time or steps"),
        (dict(polish_tol=1e-3), "--polish-tol"),
        (dict(unit_param={"gamma": 1.0}), "unit-param"),
    ]:
        with pytest.raises(ValueError, match=needle):
            mf.train(**{**base, **change})
