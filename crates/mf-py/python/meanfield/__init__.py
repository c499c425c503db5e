"""meanfield: wide neural networks trained as interacting particle systems.

A network f_n(x) = (1/n) Σ_i c_i φ(x, z_i) is a cloud of n particles θ_i = (c_i, z_i); gradient
descent on the loss ℓ = ½ E_ν |f − f_n|² moves them as an interacting particle system whose
empirical measure follows a Wasserstein gradient flow as n → ∞ (Rotskoff & Vanden-Eijnden,
arXiv 1805.00915). This package is the Python face of the Rust workspace `meanfield`:

- :func:`train` runs one network (the flags of ``mf train``: same names, defaults, checks and
  bits) and returns a :class:`Run` (particles and trace as NumPy arrays, ``resume``,
  ``polish``, ``save``); :func:`load` reopens a saved run or an ``mf train`` folder.
- :func:`scan` runs widths × replicas as ``mf scan`` (shards, resume) and returns a
  :class:`ScanResult` with the fitted exponent β of the loss in n and its 95 % interval.
- :func:`target` gives the shipped targets (the 3-spin model, a teacher network) with
  ``energy(x)``; :meth:`Target.from_data` and ``data=`` train on a data set of your own
  (``gd`` and ``sgd`` modes), also from files (:func:`read_data`: ``.npz``, ``X.npy,Y.npy``,
  ``.npy``, CSV).

Long computations release the GIL; Ctrl-C stops them cleanly (see :func:`train`, :func:`scan`).
Bad input raises ``ValueError`` naming the parameter and its allowed range; a run that fails
(e.g. diverges) raises :class:`MeanfieldError` (a ``RuntimeError``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from . import _native
from ._native import MeanfieldError

__all__ = [
    "MeanfieldError",
    "Run",
    "ScanResult",
    "Target",
    "load",
    "read_data",
    "scan",
    "target",
    "train",
]
__version__ = _native.__version__

PathLike = str | os.PathLike


# ---------------------------------------------------------------------------------------------
# flags: the Python parameters are the command line's flags, so one validation serves both
# ---------------------------------------------------------------------------------------------


def _flag_value(name: str, v: Any) -> str:
    if isinstance(v, bool):
        raise ValueError(f"invalid {name}: a number or a name, not {v!r}")
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v))  # shortest round-trip form: the same f64 on the Rust side
    if isinstance(v, (list, tuple)):
        return ",".join(_flag_value(name, a) for a in v)
    if isinstance(v, (str, os.PathLike)):
        return os.fspath(v)
    raise ValueError(f"invalid {name}: a number or a name, not {type(v).__name__}")


def _unit_params(v: Any) -> list[tuple[str, float]]:
    """`unit_param` as (name, value) pairs: a mapping, or NAME=VALUE strings."""
    bad = ValueError('invalid unit_param: a mapping {"NAME": value} or strings "NAME=VALUE" with finite numbers')
    if isinstance(v, Mapping):
        items = list(v.items())
    elif isinstance(v, str):
        items = [v.split("=", 1)]
    else:
        try:
            items = [s.split("=", 1) for s in v]
        except (TypeError, AttributeError):
            raise bad from None
    out = []
    for item in items:
        if len(item) != 2:
            raise bad
        k, val = item
        try:
            f = float(val)
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(f):
            raise bad
        out.append((str(k).strip(), f))
    return out


def _flags(params: Mapping[str, Any]) -> list[str]:
    """`--name=value` for every parameter that is set (True booleans as bare flags; the `=`
    form keeps negative numbers values, so their errors name the flag)."""
    out: list[str] = []
    for name, v in params.items():
        if v is None or v is False:
            continue
        flag = "--" + name.replace("_", "-")
        if v is True:
            out.append(flag)
        elif name == "unit_param":
            for k, val in _unit_params(v):
                out.append(f"{flag}={k}={repr(val)}")
        else:
            out.append(f"{flag}={_flag_value(name, v)}")
    return out


def _numeric(a: Any, what: str, name: str) -> np.ndarray:
    """`a` as float64, refusing what is not real numbers (bool, complex, strings, objects)."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"invalid {what}: {name} must be a numeric (float or integer) array, not dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        raise ValueError(f"invalid {what}: {name} must be an array, not a scalar")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _as_xy(data: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, Target):
        if data.x is None:
            raise ValueError(f"invalid {what}: a Target of a data set (Target.from_data), not {data.name}")
        return data.x, data.y
    if isinstance(data, (str, os.PathLike)):
        return read_data(data)
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            f"invalid {what}: a file path, a pair (x, y) of arrays or Target.from_data(x, y)"
        )
    x, y = data
    x = _numeric(x, what, "x")
    y = _numeric(y, what, "y")
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2:
        raise ValueError(f"invalid {what}: x must be P × d (2-D), got shape {x.shape}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"invalid {what}: y must hold one value per point (P), got shape {y.shape}")
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def _data_args(data: Any, test_data: Any) -> tuple[dict, tuple | None, tuple | None]:
    """Flags for data files, or arrays for the native side."""
    flags: dict[str, Any] = {}
    arrays = test_arrays = None
    is_path = lambda d: isinstance(d, (str, os.PathLike))  # noqa: E731
    if is_path(data) and (test_data is None or is_path(test_data)):
        # files: the command line's flags (the config records their paths)
        flags["data"] = os.fspath(data)
        if test_data is not None:
            flags["test_data"] = os.fspath(test_data)
    elif data is not None:
        # arrays (a file beside arrays is read into arrays)
        arrays = _as_xy(data, "data")
        if test_data is not None:
            test_arrays = _as_xy(test_data, "test_data")
    elif test_data is not None:
        raise ValueError("invalid test_data: used with data (a training set)")
    return flags, arrays, test_arrays


def _steps(time: float | None, steps: int | None, dt: float | None) -> int | None:
    """Steps of Δt to reach `time`, as ``mf train --time`` counts them."""
    if steps is not None and time is not None:
        raise ValueError("invalid time: give time or steps, not both")
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, numbers.Real) or not float(steps).is_integer() or steps < 0:
            raise ValueError(f"invalid steps: must be an integer ≥ 0, not {steps!r}")
        return int(steps)
    if time is None:
        return None
    if isinstance(time, bool) or not isinstance(time, numbers.Real):
        raise ValueError(f"invalid time: must be a finite number ≥ 0, not {time!r}")
    time = float(time)
    if dt is None:
        raise ValueError("invalid dt: must be given (a finite number > 0)")
    if not (math.isfinite(time) and time >= 0) or time / dt > 1e15:
        raise ValueError("invalid time: must be a finite number ≥ 0 (and time/dt ≤ 1e15)")
    return max(0, math.ceil(time / dt - 1e-9))


def _columns(text: str) -> dict[str, np.ndarray]:
    """A CSV text as a dict of columns: floats (empty cells NaN), integer columns as int64."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(header):
        cells = [r[k] if k < len(r) else "" for r in body]
        try:
            if cells and all(c.lstrip("-").isdigit() for c in cells):
                out[name] = np.array([int(c) for c in cells], dtype=np.int64)
            else:
                out[name] = np.array([float(c) if c != "" else math.nan for c in cells])
        except ValueError:
            out[name] = np.array(cells, dtype=object)
    return out


def _progress_row(progress: Callable[[dict], Any] | None):
    if progress is None:
        return None
    return lambda row: progress(json.loads(row))


# ---------------------------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------------------------


class Run:
    """One training run: particles, trace and files, as ``mf train`` makes them.

    Attributes are read from the current state: ``c`` (n charges), ``z`` (n × d centres for RBF
    units, weights for ReLU), ``b`` (ReLU biases, else ``None``), ``trace`` (the columns of
    ``trace.csv`` as arrays: step, time, test_loss, relative_test_loss = ℓ/C_f, train_loss,
    batch_loss, dt, rejected, mc_test_loss, grad_norm = ‖v‖, max_abs_c, min_pair_distance),
    ``summary`` (``summary.json``), ``state`` (``state.json``), ``config``.
    """

    def __init__(self, native: _native.NativeRun, arrays=None, test_arrays=None):
        self._native = native
        self._arrays = arrays
        self._test_arrays = test_arrays

    # -- the state --
    @property
    def state(self) -> dict:
        """``state.json`` of the current state (target, particles, test loss, step, time)."""
        return json.loads(self._native.state_json())

    @property
    def summary(self) -> dict:
        """``summary.json``: the config, losses, end diagnostics, polish, work counts."""
        return json.loads(self._native.summary_json())

    @property
    def config(self) -> dict:
        """The run's config (the JSON ``mf train`` records)."""
        return json.loads(self._native.config_json())

    @property
    def trace(self) -> dict[str, np.ndarray]:
        """The evaluations so far: the columns of ``trace.csv`` as NumPy arrays."""
        return _columns(self._native.trace_csv())

    @property
    def c(self) -> np.ndarray:
        """Charges c_i (n)."""
        return np.asarray(self.state["c"], dtype=np.float64)

    @property
    def z(self) -> np.ndarray:
        """Centres (RBF) or weights (ReLU) z_i (n × d)."""
        return np.asarray(self.state["z"], dtype=np.float64)

    @property
    def b(self) -> np.ndarray | None:
        """Biases b_i (ReLU units; ``None`` for RBF units)."""
        b = self.state.get("b")
        return None if b is None else np.asarray(b, dtype=np.float64)

    @property
    def step(self) -> int:
        """Steps taken."""
        return self._native.step

    @property
    def time(self) -> float:
        """Mean-field time t reached."""
        return self._native.time

    def predict(self, x) -> np.ndarray:
        """f_n(x) = (1/n) Σ_i c_i φ(x, z_i) at the rows of ``x`` (P × d)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"invalid x: must be P × d (2-D), got shape {x.shape}")
        return self._native.predict(x)

    # -- continuing --
    def resume(
        self,
        *,
        time: float | None = None,
        steps: int | None = None,
        progress: Callable[[dict], Any] | None = None,
        out: PathLike | None = None,
    ) -> "Run":
        """Continues to mean-field time ``time`` (or ``steps`` of Δt) as ``mf train --resume``
        does (through a checkpoint: the same bits as a run never stopped). Returns ``self``."""
        until = _steps(time, steps, self.config["dt"])
        try:
            self._native.run(until, _progress_row(progress), _path(out), True)
        except BaseException as e:
            _attach(e, self)
            raise
        return self

    def polish(self, *, tol: float = 1e-10, iterations: int = 2000, method: str | None = None) -> dict:
        """Polishes the current state with a descent-only second-order minimiser on the exact
        loss (exact mode) until ‖v‖ ≤ ``tol``, the loss stops decreasing, or ``iterations``;
        returns the report (the ``polish_*`` fields of ``summary.json``: method, polished
        (relative) test loss, iterations, ‖v‖, max|c|, why it stopped); the polished particles
        are ``state['polished']``. Ctrl-C stops it before its next iteration (``polish_stop`` =
        "cancelled") and raises ``KeyboardInterrupt``."""
        self._native.polish(float(tol), int(iterations), method)
        s = self.summary
        return {k: s[k] for k in _POLISH_REPORT if k in s}

    def save(self, dir: PathLike) -> Path:
        """Writes ``trace.csv``, ``state.json``, ``summary.json`` and ``checkpoint.json`` into
        ``dir`` (the files of ``mf train``; reopen with :func:`load` or ``mf train --resume``)."""
        self._native.save(os.fspath(dir))
        return Path(dir)

    def __repr__(self) -> str:
        c = self.config
        return f"Run(units={c['units']}, dim={c['dim']}, width={c['width']}, mode={c['mode']}, t={self.time:g})"


_POLISH_REPORT = (
    "polish_method",
    "polished_test_loss",
    "polished_relative_test_loss",
    "polish_iterations",
    "polish_grad_norm",
    "polish_max_abs_c",
    "polish_stop",
)


def _path(p: PathLike | None) -> str | None:
    return None if p is None else os.fspath(p)


def train(
    *,
    units: str | None = None,
    dim: int | None = None,
    width: int | None = None,
    mode: str = "online",
    time: float | None = None,
    steps: int | None = None,
    dt: float | None = None,
    step_rule: str | None = None,
    seed: int = 1,
    replica: int = 0,
    target: str | None = None,
    teacher_width: int | None = None,
    sigma: float | None = None,
    unit_param: Mapping[str, float] | Sequence[str] | None = None,
    batch: int = 256,
    train_size: int | None = None,
    test_size: int | None = None,
    init_c: str = "zero",
    init_z: str = "sphere",
    evals_per_decade: int = 10,
    tol: float = 1e-05,
    dt_max: float | None = None,
    polish: bool = False,
    polish_tol: float | None = None,
    polish_iterations: int | None = None,
    polish_method: str | None = None,
    birth_death: float | None = None,
    birth_death_variant: str | None = None,
    birth_death_until: float | None = None,
    birth_death_every: float | None = None,
    data: Any = None,
    test_data: Any = None,
    out: PathLike | None = None,
    progress: Callable[[dict], Any] | None = None,
) -> Run:
    """Trains one network of ``width`` units: ``mf train`` from Python.

    Every parameter but ``out``, ``data``/``test_data`` arrays and ``progress`` is the flag of
    ``mf train`` with ``_`` for ``-``, with the same default (``None``: the flag's default or
    "not given"), and is checked by the same code: the same config and seed give the same bits
    as the command line (``state.json`` byte for byte). Run ``mf train --help`` for each
    flag's meaning; the dynamics is dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇K(θ_i, θ_j) in mean-field
    time t = (steps) · dt, with F and K estimated on the ``mode``'s points (``gd``: a fixed
    training set, ``sgd``: minibatches of it, ``online``: fresh points each step, ``exact``:
    closed forms, RBF units).

    ``data``: a training set of your own for ``gd``/``sgd`` — a file (``.npz`` with ``x``:
    P × d and ``y``: P; ``"X.npy,Y.npy"``; one ``.npy`` of P × (d + 1); CSV), a pair
    ``(x, y)`` of arrays, or :meth:`Target.from_data`. ``dim``, ``train_size`` (and
    ``test_size``) follow from it; σ defaults to half the inputs' RMS radius.

    ``out``: a folder for the run's files, written as ``mf train`` writes them (at the first
    evaluation, every 5 s, at the end). ``progress(row)`` is called after every evaluation
    with the new trace row (a dict).

    Ctrl-C stops the run within a step; it goes back to its last evaluation (files written to
    ``out`` if given) and ``KeyboardInterrupt`` is raised with the run as ``e.run``:
    ``e.run.resume(...)`` continues it bit for bit (an exception of ``progress`` does the same).
    Ctrl-C during a polish (``polish=True``) stops it before its next iteration (reported as
    ``polish_stop = "cancelled"``, the state it reached kept). While a run trains, its attributes cannot be read (from the
    callback or another thread: ``MeanfieldError``, "busy"); ``progress`` gets each new row.
    """
    params = dict(locals())
    for k in ("out", "progress", "data", "test_data", "time", "steps"):
        params.pop(k)
    flags_data, arrays, test_arrays = _data_args(data, test_data)
    dt = _check_dt(dt)
    params["dt"] = dt
    params["steps"] = _steps(time, steps, dt)
    params.update(flags_data)
    flags = _flags(params)
    native = _native.NativeRun.create(flags, arrays, test_arrays)
    run = Run(native, arrays, test_arrays)
    try:
        native.run(None, _progress_row(progress), _path(out), False)
    except BaseException as e:
        # Ctrl-C or an exception of the progress callback: the run (back at its last
        # evaluation) travels with it
        _attach(e, run)
        raise
    return run


def _attach(e: BaseException, run: "Run") -> None:
    try:
        e.run = run  # type: ignore[attr-defined]
    except AttributeError:
        pass


def _check_dt(dt: Any) -> float | None:
    if dt is None:
        return None
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"invalid dt: must be a finite number > 0, not {dt!r}")
    return float(dt)


def load(dir: PathLike, *, data: Any = None, test_data: Any = None) -> Run:
    """Reopens the run saved in ``dir`` (by :meth:`Run.save`, ``out=`` or ``mf train``). A run
    on arrays (not files) needs them again as ``data=(x, y)`` (checked by fingerprint)."""
    arrays = None if data is None else _as_xy(data, "data")
    test_arrays = None if test_data is None else _as_xy(test_data, "test_data")
    if test_arrays is not None and arrays is None:
        raise ValueError("invalid test_data: used with data (a training set)")
    return Run(_native.NativeRun.load(os.fspath(dir), arrays, test_arrays), arrays, test_arrays)


# ---------------------------------------------------------------------------------------------
# scans
# ---------------------------------------------------------------------------------------------


class ScanResult:
    """The files of a scan (``mf scan``): ``runs`` (``runs.csv``: every evaluation of every
    cell), ``fluctuations`` (``fluctuations.csv``: replica statistics per width and step),
    ``fit`` (``fit.json``: the power law β of the fitted quantity in n with its 95 %
    interval, the widths and replicas it rests on, local slopes), all read from ``dir``."""

    def __init__(self, dir: Path, computed: int, reused: int, total: int):
        self.dir = dir
        self.computed, self.reused, self.total = computed, reused, total

    def _csv(self, name: str) -> dict[str, np.ndarray]:
        p = self.dir / name
        return _columns(p.read_text()) if p.exists() else {}

    @property
    def runs(self) -> dict[str, np.ndarray]:
        """``runs.csv`` as columns (n, replica, step, time, test_loss, ...)."""
        return self._csv("runs.csv")

    @property
    def fluctuations(self) -> dict[str, np.ndarray]:
        """``fluctuations.csv`` as columns (n, step, time, n_var, mean_test_loss, ...)."""
        return self._csv("fluctuations.csv")

    @property
    def fit(self) -> dict | None:
        """``fit.json`` (``None`` when the scan has no fit)."""
        p = self.dir / "fit.json"
        return json.loads(p.read_text()) if p.exists() else None

    @property
    def beta(self) -> float | None:
        """The fitted exponent β (quantity ∝ n^β)."""
        f = self.fit
        return None if f is None else f.get("beta")

    @property
    def interval(self) -> tuple[float, float] | None:
        """β's 95 % interval (jackknife t interval; see the README's "How a row is judged")."""
        f = self.fit
        if f is None or f.get("beta_interval") is None:
            return None
        lo, hi = f["beta_interval"]
        return (lo, hi)

    def final(self, column: str = "test_loss") -> dict[str, np.ndarray]:
        """The last evaluation of every cell: arrays ``n``, ``replica`` and ``column``."""
        r = self.runs
        if not r:
            return {"n": np.array([], dtype=np.int64), "replica": np.array([], dtype=np.int64), column: np.array([])}
        last: dict[tuple[int, int], int] = {}
        for i, (n, rep) in enumerate(zip(r["n"], r["replica"])):
            last[(int(n), int(rep))] = i
        idx = np.array(sorted(last.values()), dtype=np.int64)
        return {"n": r["n"][idx], "replica": r["replica"][idx], column: r[column][idx]}

    def __repr__(self) -> str:
        return f"ScanResult(dir={str(self.dir)!r}, cells={self.total}, beta={self.beta})"


def scan(
    *,
    widths: Sequence[int],
    replicas: int = 8,
    out: PathLike | None = None,
    shard: str | None = None,
    batch_scaling: str | None = None,
    probe_size: int = 256,
    fit_range: Sequence[int] | None = None,
    quantity: str = "final_test_loss",
    data: Any = None,
    test_data: Any = None,
    progress: Callable[[int, int], Any] | None = None,
    time: float | None = None,
    steps: int | None = None,
    **run: Any,
) -> ScanResult:
    """Runs (or resumes) ``widths`` × ``replicas`` cells: ``mf scan`` from Python.

    ``run`` takes the parameters of :func:`train` (``units``, ``dim``, ``mode``, ``dt``, ...);
    the others are the flags of ``mf scan``. ``out``: the scan's folder (default: a new
    temporary folder); finished cells there are reused, so calling again resumes, and
    ``shard="K/N"`` runs one shard of the cells (merge folders with ``mf merge``). Data given
    as arrays are saved into ``out/data.npz`` and read from there by every cell.
    ``progress(done, total)`` is called after every cell (on the calling thread). Ctrl-C
    starts no new cell, lets the running ones finish (kept) and raises ``KeyboardInterrupt``.
    Cells on the same data (the same numbers) merge and resume wherever the file lives.
    """
    unknown = set(run) - _TRAIN_PARAMS
    if unknown:
        raise ValueError(f"invalid {sorted(unknown)[0]}: not a parameter of mf scan")
    dir = Path(tempfile.mkdtemp(prefix="meanfield-scan-")) if out is None else Path(out)
    is_path = lambda d: isinstance(d, (str, os.PathLike))  # noqa: E731
    if data is not None and not (is_path(data) and (test_data is None or is_path(test_data))):
        # arrays: saved beside the cells (once; a folder holding other numbers is refused)
        dir.mkdir(parents=True, exist_ok=True)
        for name, d in (("data", data), ("test_data", test_data)):
            if d is None:
                continue
            x, y = _as_xy(d, name)
            f = dir / f"{name}.npz"
            if f.exists():
                ox, oy = read_data(f)
                if not (np.array_equal(ox, x) and np.array_equal(oy, y)):
                    raise ValueError(f"invalid {name}: {dir} holds a scan of other {name} ({f}); use another out")
            else:
                np.savez(f, x=x, y=y)
            if name == "data":
                data = f
            else:
                test_data = f
    flags_data, _, _ = _data_args(data, test_data)
    dt = _check_dt(run.get("dt"))
    params = dict(run)
    if dt is not None:
        params["dt"] = dt
    params["steps"] = _steps(time, steps, dt)
    params.update(
        widths=list(widths),
        replicas=replicas,
        batch_scaling=batch_scaling,
        probe_size=probe_size,
        fit_range=None if fit_range is None else list(fit_range),
        quantity=quantity,
        out=os.fspath(dir),
        shard=shard,
    )
    params.update(flags_data)
    computed, reused, total = _native.scan(_flags(params), progress)
    return ScanResult(dir, computed, reused, total)


_TRAIN_PARAMS = {
    name
    for name in train.__code__.co_varnames[: train.__code__.co_kwonlyargcount]
    if name not in ("out", "progress", "data", "test_data", "time", "steps", "width", "replica")
}


# ---------------------------------------------------------------------------------------------
# targets and data
# ---------------------------------------------------------------------------------------------


class Target:
    """A target function f on the sphere S^{d−1}(R) (``spin3``: the 3-spin model
    (1/d) Σ a_pqr x_p x_q x_r; ``teacher``: a mean-field RBF network), or a data set
    (:meth:`from_data`). ``energy(x)`` evaluates f at the rows of x; ``mean_square`` is
    E_ν f² = 2 C_f (C_f = ½ E f², the loss of the zero network)."""

    def __init__(self, native: _native.NativeTarget):
        self._native = native

    @classmethod
    def from_data(cls, x, y) -> "Target":
        """A data set as a target: inputs ``x`` (P × d, anywhere in ℝ^d) and values ``y`` (P).
        Pass it as ``data=`` to :func:`train` (modes ``gd``, ``sgd``)."""
        x, y = _as_xy((x, y), "data")
        return cls(_native.NativeTarget.from_data(x, y))

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def dim(self) -> int:
        return self._native.dim

    @property
    def radius(self) -> float:
        """R (the sphere's radius √d; a data set: its inputs' RMS radius)."""
        return self._native.radius

    @property
    def mean_square(self) -> float:
        """E_ν f² (a data set: mean y²)."""
        return self._native.mean_square

    @property
    def x(self) -> np.ndarray | None:
        """A data set's inputs (P × d); ``None`` for a function."""
        return self._native.x

    @property
    def y(self) -> np.ndarray | None:
        """A data set's values (P); ``None`` for a function."""
        return self._native.y

    def energy(self, x) -> np.ndarray:
        """f at the rows of ``x`` (P × d), a NumPy array of P values."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.ndim != 2:
            raise ValueError(f"invalid x: must be P × d (2-D), got shape {x.shape}")
        return self._native.energy(x)

    def __repr__(self) -> str:
        return f"Target(name={self.name!r}, dim={self.dim}, radius={self.radius:g})"


def target(
    *,
    dim: int,
    seed: int = 1,
    target: str = "spin3",
    teacher_width: int | None = None,
    sigma: float | None = None,
) -> Target:
    """The target ``mf train --target TARGET --dim DIM --seed SEED`` trains on (``spin3``: the
    3-spin model, coefficients from the seed; ``teacher``: ``teacher_width`` RBF units of
    width ``sigma``, default R/2, charges scaled to E f² = 1)."""
    for name, v, low in (("dim", dim, 1), ("seed", seed, 0), ("teacher_width", teacher_width, 1)):
        if v is None and name == "teacher_width":
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low or v >= 2**64:
            raise ValueError(f"invalid {name}: must be an integer ≥ {low}, not {v!r}")
    if sigma is not None and (isinstance(sigma, bool) or not isinstance(sigma, numbers.Real)):
        raise ValueError(f"invalid sigma: must be a finite number > 0, not {sigma!r}")
    return Target(
        _native.make_target(
            target, int(dim), int(seed), None if teacher_width is None else int(teacher_width),
            None if sigma is None else float(sigma),
        )
    )


def read_data(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Reads a data file as ``mf train --data`` does: ``(x, y)`` with x P × d, y P."""
    return _native.read_data(os.fspath(path))
