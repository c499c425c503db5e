//! `meanfield.scan`: widths × replicas as `mf scan` runs them (same flags, files, shards and
//! resume), in a worker thread while the calling thread lets Python handle Ctrl-C: no new cell
//! starts after it, the running ones finish and are kept, and calling again resumes.

use crate::{SIGNAL_CHECK, cli_err, guard, scan_err};
use mf_stats::scan::run_scan_stoppable;
use pyo3::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs (or resumes) the scan of `mf scan` flags (`--out` included); `callback(done, total)`
/// after cells finish. Returns (computed, reused, total).
#[pyfunction]
#[pyo3(signature = (flags, callback = None))]
pub fn scan(
    py: Python<'_>,
    flags: Vec<String>,
    callback: Option<Py<PyAny>>,
) -> PyResult<(usize, usize, usize)> {
    let mf_cli::api::ScanRequest {
        config: cfg,
        shard,
        out,
    } = mf_cli::api::scan_config_from(&flags).map_err(cli_err)?;
    std::fs::create_dir_all(&out).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "invalid out: a writable folder ({}: {e})",
            out.display()
        ))
    })?;
    let stop = AtomicBool::new(false);
    // every (done, total) report, handed to the callback on the calling thread
    let progress: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());
    let finished = AtomicBool::new(false);
    let mut interrupt: Option<PyErr> = None;
    let result = py.detach(|| {
        std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let r = guard(|| {
                    run_scan_stoppable(
                        &cfg,
                        &out,
                        shard,
                        &|done, total| {
                            progress
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((done, total));
                        },
                        &|| stop.load(Ordering::SeqCst),
                    )
                    .map_err(scan_err)
                });
                finished.store(true, Ordering::SeqCst);
                r
            });
            // this (the calling) thread handles signals and the callback
            loop {
                std::thread::sleep(SIGNAL_CHECK);
                let done = finished.load(Ordering::SeqCst);
                let reports =
                    std::mem::take(&mut *progress.lock().unwrap_or_else(|e| e.into_inner()));
                let r = Python::attach(|py| -> PyResult<()> {
                    py.check_signals()?;
                    if let Some(cb) = &callback
                        && interrupt.is_none()
                    {
                        for (d, t) in reports {
                            cb.bind(py).call1((d, t))?;
                        }
                    }
                    Ok(())
                });
                if let Err(e) = r
                    && interrupt.is_none()
                {
                    interrupt = Some(e);
                    stop.store(true, Ordering::SeqCst);
                }
                if done {
                    break;
                }
            }
            worker.join().unwrap_or_else(|_| {
                Err(crate::MeanfieldError::new_err("the scan's worker panicked"))
            })
        })
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    let report = result?;
    Ok((report.computed, report.reused, report.total))
}
