//! One training run from Python: `meanfield.train`, `Run.resume`, `Run.polish`, `Run.save`,
//! `meanfield.load`.
//!
//! A run advances with the GIL released. Every `SIGNAL_CHECK` it lets Python handle
//! signals; on Ctrl-C (or an exception in the progress callback) it stops, goes back to the
//! state of its last evaluation (the checkpoint `mf train` would have written there), writes
//! its files when it has a folder, and raises: resuming it then gives the same bits as a run
//! that was never stopped.

use crate::arrays::{ArrayPair, dataset};
use crate::{SIGNAL_CHECK, cli_err, guard, train_err};
use mf_stats::mf_core::config::Polish;
use mf_stats::mf_core::faer::Par;
use mf_stats::mf_core::output::{
    Checkpoint, CheckpointFile, RunWriter, WRITE_EVERY_SECONDS, read_json, trace_csv,
    write_run_files,
};
use mf_stats::mf_core::target::{DataTarget, Target};
use mf_stats::mf_core::train::Extensions;
use mf_stats::mf_core::{TrainError, Trainer};
use numpy::{PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A run and what it needs to be restored.
struct State {
    trainer: Trainer,
    /// The data target (kept to restore the run; `None`: the config's target, rebuilt).
    target: Option<Arc<dyn Target>>,
    /// Wall seconds spent so far.
    wall: f64,
}

impl State {
    /// The run restored from `ck` (the same bits as continuing it).
    fn restore(&self, ck: Checkpoint) -> Result<Trainer, TrainError> {
        let ext = Extensions {
            target: self.target.clone(),
            ..Default::default()
        };
        Trainer::from_checkpoint_with(ck, &ext, Par::rayon(0))
    }
}

/// A training run (see the module docs).
#[pyclass(module = "meanfield._native")]
pub struct NativeRun {
    state: Mutex<State>,
}

impl NativeRun {
    /// The run, or an error while it is busy (training or polishing, e.g. when read from its
    /// own progress callback or from another thread): waiting would deadlock the callback.
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        use std::sync::TryLockError;
        self.state.try_lock().map_err(|e| match e {
            TryLockError::WouldBlock => crate::MeanfieldError::new_err(
                "the run is busy (training or polishing): read it after train/resume/polish returns (the progress callback receives each new trace row)",
            ),
            TryLockError::Poisoned(_) => {
                crate::MeanfieldError::new_err("the run was poisoned by an earlier internal error")
            }
        })
    }
}

/// The training and test sets of optional arrays.
fn data_sets(
    data: ArrayPair<'_>,
    test: ArrayPair<'_>,
) -> PyResult<
    Option<(
        mf_stats::mf_core::data::Dataset,
        Option<mf_stats::mf_core::data::Dataset>,
    )>,
> {
    let Some((x, y)) = data else {
        if test.is_some() {
            return Err(PyValueError::new_err(
                "invalid test_data: used with data (a training set)",
            ));
        }
        return Ok(None);
    };
    let train = dataset(&x, &y, "data arrays")?;
    let test = test
        .map(|(x, y)| dataset(&x, &y, "test_data arrays"))
        .transpose()?;
    Ok(Some((train, test)))
}

/// Ends the run as `mf train` does ([`Trainer::finish`]: end diagnostics, the configured
/// polish). With a polish, it runs on a worker thread while this one lets Python handle
/// signals: on Ctrl-C the polish stops before its next iteration (`polish_stop` =
/// "cancelled", keeping what it reached) and the `KeyboardInterrupt` is returned.
fn finish_interruptibly(trainer: &mut Trainer) -> PyResult<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    if trainer.config().polish.is_none() {
        return trainer.finish().map(|_| ()).map_err(train_err);
    }
    let cancel = Arc::new(AtomicBool::new(false));
    trainer.set_polish_cancel(Some(cancel.clone()));
    let done = AtomicBool::new(false);
    let mut interrupt: Option<PyErr> = None;
    let result = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let r = guard(|| trainer.finish().map(|_| ()).map_err(train_err));
            done.store(true, Ordering::SeqCst);
            r
        });
        let mut last = Instant::now();
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(2));
            if interrupt.is_none() && last.elapsed() >= SIGNAL_CHECK {
                last = Instant::now();
                if let Err(e) = Python::attach(|py| py.check_signals()) {
                    interrupt = Some(e);
                    cancel.store(true, Ordering::SeqCst);
                }
            }
        }
        worker.join().unwrap_or_else(|_| {
            Err(crate::MeanfieldError::new_err(
                "the polish's worker panicked",
            ))
        })
    });
    trainer.set_polish_cancel(None);
    result?;
    interrupt.map_or(Ok(()), Err)
}

#[pymethods]
impl NativeRun {
    /// A new run from `mf train` flags (`--width` included, `--out` not), with a training set
    /// (and test set) given as arrays instead of `--data FILE`.
    #[staticmethod]
    #[pyo3(signature = (flags, data = None, test_data = None))]
    fn create(
        py: Python<'_>,
        flags: Vec<String>,
        data: ArrayPair<'_>,
        test_data: ArrayPair<'_>,
    ) -> PyResult<Self> {
        let arrays = data_sets(data, test_data)?;
        py.detach(|| {
            guard(|| {
                let (cfg, target) = mf_cli::api::train_config(&flags, arrays).map_err(cli_err)?;
                let target: Option<Arc<dyn Target>> =
                    target.map(|t: DataTarget| Arc::new(t) as Arc<dyn Target>);
                let trainer = mf_cli::api::trainer(cfg, target.clone()).map_err(cli_err)?;
                Ok(Self {
                    state: Mutex::new(State {
                        trainer,
                        target,
                        wall: 0.0,
                    }),
                })
            })
        })
    }

    /// The run in `dir` (its `checkpoint.json`); a run on arrays needs them again.
    #[staticmethod]
    #[pyo3(signature = (dir, data = None, test_data = None))]
    fn load(
        py: Python<'_>,
        dir: PathBuf,
        data: ArrayPair<'_>,
        test_data: ArrayPair<'_>,
    ) -> PyResult<Self> {
        let arrays = data_sets(data, test_data)?;
        py.detach(|| {
            guard(|| {
                let file: CheckpointFile =
                    read_json(&dir.join("checkpoint.json")).map_err(|e| {
                        PyValueError::new_err(format!(
                            "invalid dir: a folder of a previous run ({e})"
                        ))
                    })?;
                let target: Option<Arc<dyn Target>> = match arrays {
                    Some((train, test)) => Some(Arc::new(
                        DataTarget::new(train, test)
                            .map_err(|e| PyValueError::new_err(e.to_string()))?,
                    )),
                    None => None,
                };
                let ext = Extensions {
                    target: target.clone(),
                    ..Default::default()
                };
                let trainer = Trainer::from_checkpoint_with(file.checkpoint, &ext, Par::rayon(0))
                    .map_err(train_err)?;
                Ok(Self {
                    state: Mutex::new(State {
                        trainer,
                        target,
                        wall: file.wall_seconds,
                    }),
                })
            })
        })
    }

    /// Advances to `until` steps of Δt (default: the config's), writing the run's files into
    /// `out` at the command line's cadence when given, calling `callback(row_json)` after
    /// every evaluation; then ends it as `mf train` does (end diagnostics, the configured
    /// polish). `restart`: continue through a checkpoint, as `mf train --resume` does.
    #[pyo3(signature = (until = None, callback = None, out = None, restart = false))]
    fn run(
        &self,
        py: Python<'_>,
        until: Option<u64>,
        callback: Option<Py<PyAny>>,
        out: Option<PathBuf>,
        restart: bool,
    ) -> PyResult<()> {
        let mut guard_state = self.lock()?;
        let st: &mut State = &mut guard_state;
        py.detach(|| {
            guard(|| {
                if restart {
                    let ck = st.trainer.checkpoint();
                    st.trainer = st.restore(ck).map_err(train_err)?;
                }
                let until = until.unwrap_or(st.trainer.config().steps);
                if until < st.trainer.grid_position() {
                    return Err(PyValueError::new_err(format!(
                        "invalid steps: at least the {} steps of Δt already taken (t = {})",
                        st.trainer.grid_position(),
                        st.trainer.time()
                    )));
                }
                st.trainer.set_steps(until);
                if let Some(dir) = &out {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        PyValueError::new_err(format!(
                            "invalid out: a writable folder ({}: {e})",
                            dir.display()
                        ))
                    })?;
                }
                let start = Instant::now();
                let wall0 = st.wall;
                let mut writer = out.as_ref().map(|d| RunWriter::new(d, WRITE_EVERY_SECONDS));
                let mut last_check = Instant::now();
                let stop: std::cell::RefCell<Option<PyErr>> = Default::default();
                // the state to go back to on a stop: this one when it is an evaluation (else the
                // run evaluates first and the callback below records it)
                let mut last_eval: Option<Checkpoint> = st
                    .trainer
                    .trace()
                    .last()
                    .filter(|r| r.step == st.trainer.step())
                    .map(|_| st.trainer.checkpoint());
                let result = st.trainer.run_until_stopped(
                    until,
                    &mut |_| {
                        if stop.borrow().is_none() && last_check.elapsed() >= SIGNAL_CHECK {
                            last_check = Instant::now();
                            if let Err(e) = Python::attach(|py| py.check_signals()) {
                                *stop.borrow_mut() = Some(e);
                            }
                        }
                        if stop.borrow().is_some() {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    },
                    &mut |t| {
                        last_eval = Some(t.checkpoint());
                        if let Some(w) = writer.as_mut() {
                            w.at_evaluation(t, wall0 + start.elapsed().as_secs_f64())?;
                        }
                        if let Some(cb) = &callback
                            && stop.borrow().is_none()
                        {
                            let row = t.trace().last().map(serde_json::to_string);
                            if let Some(Ok(row)) = row
                                && let Err(e) =
                                    Python::attach(|py| cb.bind(py).call1((row,)).map(|_| ()))
                            {
                                *stop.borrow_mut() = Some(e);
                            }
                        }
                        Ok(())
                    },
                );
                st.wall = wall0 + start.elapsed().as_secs_f64();
                let finished = result.map_err(train_err)?;
                let stop = stop.into_inner();
                if !finished || stop.is_some() {
                    // back to the last evaluation, whose checkpoint continues bit for bit
                    if let Some(ck) = last_eval {
                        st.trainer = st.restore(ck).map_err(train_err)?;
                    }
                    if let Some(d) = &out {
                        write_run_files(d, &st.trainer, st.wall).map_err(train_err)?;
                    }
                    return Err(stop.unwrap_or_else(|| {
                        crate::MeanfieldError::new_err("the run stopped before its end")
                    }));
                }
                let ended = finish_interruptibly(&mut st.trainer);
                if let Some(w) = writer.as_mut() {
                    w.write(&st.trainer, st.wall).map_err(train_err)?;
                }
                ended
            })
        })
    }

    /// Polishes the current state (exact mode): a descent-only second-order minimiser on the
    /// exact loss until ‖v‖ ≤ `tol`, the loss stops decreasing, or `iterations`.
    #[pyo3(signature = (tol, iterations, method = None))]
    fn polish(
        &self,
        py: Python<'_>,
        tol: f64,
        iterations: u64,
        method: Option<String>,
    ) -> PyResult<()> {
        let mut g = self.lock()?;
        let st: &mut State = &mut g;
        py.detach(|| {
            guard(|| {
                let mut p = Polish::new(tol, iterations);
                p.method = method;
                st.trainer.set_polish(Some(p)).map_err(train_err)?;
                finish_interruptibly(&mut st.trainer)
            })
        })
    }

    /// Writes `trace.csv`, `state.json`, `summary.json` and `checkpoint.json` into `dir`
    /// (the files of `mf train`).
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        let mut g = self.lock()?;
        let st: &mut State = &mut g;
        py.detach(move || {
            guard(move || {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    PyValueError::new_err(format!(
                        "invalid dir: a writable folder ({}: {e})",
                        dir.display()
                    ))
                })?;
                write_run_files(&dir, &st.trainer, st.wall).map_err(train_err)
            })
        })
    }

    /// `state.json` of the current state, as a string.
    fn state_json(&self) -> PyResult<String> {
        let g = self.lock()?;
        serde_json::to_string(&g.trainer.state_json())
            .map_err(|e| crate::MeanfieldError::new_err(e.to_string()))
    }

    /// `summary.json` of the current state, as a string.
    fn summary_json(&self) -> PyResult<String> {
        let g = self.lock()?;
        serde_json::to_string(&g.trainer.summary(g.wall))
            .map_err(|e| crate::MeanfieldError::new_err(e.to_string()))
    }

    /// The config, as JSON.
    fn config_json(&self) -> PyResult<String> {
        let g = self.lock()?;
        serde_json::to_string(g.trainer.config())
            .map_err(|e| crate::MeanfieldError::new_err(e.to_string()))
    }

    /// `trace.csv` so far, as text.
    fn trace_csv(&self) -> PyResult<String> {
        Ok(trace_csv(self.lock()?.trainer.trace()))
    }

    /// Steps taken.
    #[getter]
    fn step(&self) -> PyResult<u64> {
        Ok(self.lock()?.trainer.step())
    }

    /// Mean-field time reached.
    #[getter]
    fn time(&self) -> PyResult<f64> {
        Ok(self.lock()?.trainer.time())
    }

    /// f_n at the rows of `x` (P × d): (1/n) Σ_i c_i φ(x, z_i).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (v, _p, d) = crate::arrays::matrix(&x);
        let mut g = self.lock()?;
        let t: &mut Trainer = &mut g.trainer;
        if d != t.config().dim {
            return Err(PyValueError::new_err(format!(
                "x: {d} columns; the run has dimension {}",
                t.config().dim
            )));
        }
        let out = py.detach(move || {
            guard(move || {
                Ok(v.chunks(d.max(1))
                    .map(|row| t.network().eval(t.unit(), row))
                    .collect::<Vec<f64>>())
            })
        })?;
        Ok(PyArray1::from_vec(py, out))
    }
}
