//! Running a scan: the probe set, one cell, the cells of a shard (with resume), merging shards.

use super::cells::{CellResult, ProbeRow, read_cell, write_cell};
use super::config::{ScanConfig, probe_set};
use super::files::write_aggregates;
use crate::error::ScanError;
use faer::Par;
use mf_core::dynamics::{Workspace, outputs};
use mf_core::faer;
use mf_core::output::{read_json, write_atomic, write_json};
use mf_core::{PointSet, Trainer};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs cell (n, r) single-threaded, recording f_n on `probe` at every evaluation. A run that
/// fails (diverges) is a [`ScanError::Cell`] naming the cell.
pub fn run_cell(
    cfg: &ScanConfig,
    n: usize,
    replica: u64,
    probe: &PointSet,
) -> Result<CellResult, ScanError> {
    let tc = cfg.cell_config(n, replica);
    let steps = tc.steps;
    let batch = tc.batch;
    let mut t = Trainer::new(tc, Par::Seq)?;
    let mut ws = Workspace::new(t.unit(), n, cfg.base.dim, probe.len());
    let mut rows = Vec::new();
    t.run(steps, &mut |_| {}, &mut |t: &Trainer| {
        let mut out = vec![0.0; probe.len()];
        outputs(
            t.unit(),
            t.network(),
            probe.x_aug(),
            &mut ws,
            &mut out,
            Par::Seq,
        );
        rows.push(ProbeRow {
            step: t.step(),
            time: t.time(),
            outputs: out,
        });
        Ok(())
    })
    .map_err(|source| ScanError::Cell { n, replica, source })?;
    // the end diagnostics and, when configured, the polish (the trainer runs it)
    let end = t
        .finish()
        .map_err(|source| ScanError::Cell { n, replica, source })?
        .clone();
    let polish = t.polished().map(|(r, _)| r.clone());
    let polished = t.polished().map(|(_, net)| (net.c.clone(), net.z_rows()));
    Ok(CellResult {
        n,
        replica,
        batch,
        trace: t.trace().to_vec(),
        probe: rows,
        final_c: t.network().c.clone(),
        final_z: (0..n).map(|i| t.network().z_row(i)).collect(),
        end: Some(end),
        polish,
        polished_c: polished.as_ref().map(|p| p.0.clone()),
        polished_z: polished.map(|p| p.1),
    })
}

/// The cells of shard `Some((K, N))` (1 ≤ K ≤ N): those whose index i in (n, r) order has
/// i ≡ K − 1 (mod N); all cells for `None`.
pub fn shard_cells(cfg: &ScanConfig, shard: Option<(usize, usize)>) -> Vec<(usize, u64)> {
    cfg.cells()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shard.is_none_or(|(k, n)| i % n == k - 1))
        .map(|(_, c)| c)
        .collect()
}

/// What a call of [`run_scan`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanReport {
    /// Cells computed now.
    pub computed: usize,
    /// Valid cells found and reused.
    pub reused: usize,
    /// Cells of this shard.
    pub total: usize,
}

/// Creates `dir/cells`.
fn create_cells_dir(dir: &Path) -> Result<(), ScanError> {
    std::fs::create_dir_all(dir.join("cells")).map_err(ScanError::io(dir))
}

/// Runs (or resumes) the cells of `shard` = Some((K, N)) or of the whole scan into `dir`, then
/// writes `scan.json` and the aggregates of the cells present. `progress(done, total)` is called
/// after each cell.
pub fn run_scan(
    cfg: &ScanConfig,
    dir: &Path,
    shard: Option<(usize, usize)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ScanReport, ScanError> {
    run_scan_stoppable(cfg, dir, shard, progress, &|| false)
}

/// As [`run_scan`], but no new cell starts once `stop()` is true: the running cells finish and
/// are written, then [`ScanError::Stopped`] (no aggregates). Calling it again resumes.
pub fn run_scan_stoppable(
    cfg: &ScanConfig,
    dir: &Path,
    shard: Option<(usize, usize)>,
    progress: &(dyn Fn(usize, usize) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<ScanReport, ScanError> {
    cfg.validate()?;
    create_cells_dir(dir)?;
    let scan_path = dir.join("scan.json");
    if scan_path.exists() {
        let old: ScanConfig = read_json(&scan_path)?;
        if &old != cfg {
            return Err(ScanError::Mismatch {
                dir: dir.to_path_buf(),
                reference: None,
            });
        }
    }
    write_json(&scan_path, cfg)?;
    let mine = shard_cells(cfg, shard);
    let todo: Vec<(usize, u64)> = mine
        .iter()
        .copied()
        .filter(|&(n, r)| read_cell(dir, n, r).is_none())
        .collect();
    let reused = mine.len() - todo.len();
    let probe = probe_set(cfg)?;
    let done = AtomicUsize::new(reused);
    progress(reused, mine.len());
    todo.par_iter().try_for_each(|&(n, r)| {
        if stop() {
            return Err(ScanError::Stopped {
                done: done.load(Ordering::SeqCst),
                total: mine.len(),
            });
        }
        let start = std::time::Instant::now();
        let cell = run_cell(cfg, n, r, &probe)?;
        write_cell(dir, &cell)?;
        // timings live beside the results, never in them (results are a function of the config)
        let _ = std::fs::create_dir_all(dir.join("timing"));
        let _ = write_atomic(
            &dir.join("timing").join(format!("n{n:06}_r{r:05}.txt")),
            format!("{}\n", start.elapsed().as_secs_f64()).as_bytes(),
        );
        progress(done.fetch_add(1, Ordering::SeqCst) + 1, mine.len());
        Ok::<(), ScanError>(())
    })?;
    write_aggregates(cfg, dir)?;
    Ok(ScanReport {
        computed: todo.len(),
        reused,
        total: mine.len(),
    })
}

/// Merges the cells of shard folders into `out` and writes the aggregates there; returns the
/// number of cells. Every folder must hold the same `scan.json`; a cell present in several
/// folders is taken from the first holding a valid copy.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, ScanError> {
    let first = dirs
        .first()
        .ok_or_else(|| ScanError::config("dirs", "at least one folder"))?;
    let cfg: ScanConfig = read_json(&first.join("scan.json"))?;
    for d in dirs {
        let c: ScanConfig = read_json(&d.join("scan.json"))?;
        if c != cfg {
            return Err(ScanError::Mismatch {
                dir: d.clone(),
                reference: Some(first.clone()),
            });
        }
    }
    create_cells_dir(out)?;
    write_json(&out.join("scan.json"), &cfg)?;
    let mut count = 0;
    for (n, r) in cfg.cells() {
        if let Some(cell) = dirs.iter().find_map(|d| read_cell(d, n, r)) {
            write_cell(out, &cell)?;
            count += 1;
        }
    }
    write_aggregates(&cfg, out)?;
    Ok(count)
}

/// Sum of the recorded wall-clock seconds of the cells computed in `dir` (0 when none recorded).
pub fn compute_seconds(dir: &Path) -> f64 {
    std::fs::read_dir(dir.join("timing"))
        .map(|it| {
            it.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|s| s.trim().parse::<f64>().ok())
                .sum()
        })
        .unwrap_or(0.0)
}
