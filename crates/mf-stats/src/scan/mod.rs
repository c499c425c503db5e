//! Scans over widths × replicas: cells, resume, shards, merging and the aggregate files.
//!
//! A scan runs the cells (n, r) of a width list × R replicas of one base configuration. Cell
//! (n, r) is exactly `mf train` with `--width n --replica r` (same seed: same target, same test
//! and probe sets; replica r has its own streams for the initial particles and the data), run
//! single-threaded; cells run in parallel, so the results do not depend on the thread count.
//!
//! Files of a scan folder:
//! - `scan.json`: the [`ScanConfig`];
//! - `cells/n{n}_r{r}.json`: one finished cell (trace and probe outputs), written atomically
//!   with a checksum; a rerun reuses every valid cell and redoes missing or damaged ones;
//! - `runs.csv`, `fluctuations.csv`, `fit.json`: aggregates, recomputed from the cells present.
//!
//! Shard K/N (1 ≤ K ≤ N) runs the cells whose index in (n, r) order is ≡ K−1 mod N; `merge`
//! gathers the cells of several shard folders and writes exactly the files an unsharded scan
//! writes.
//!
//! The parts, by job: the configuration (`config`), the cell files (`cells`), running and
//! merging (`run`), the statistics of the cells (`aggregate`) and the aggregate files
//! (`files`); everything is re-exported here. Errors are [`ScanError`].

mod aggregate;
mod cells;
mod config;
mod files;
mod run;

pub use crate::error::ScanError;
pub use aggregate::{
    FluctuationRow, WidthStat, final_variance, final_variance_points, fit_final_variance,
    fit_groups, fit_samples, fluctuation_rows, load_cells,
};
pub use cells::{CellResult, ProbeRow, cell_path, read_cell};
pub use config::{BatchScaling, FitQuantity, ScanConfig, probe_set};
pub use files::{FitFile, write_aggregates};
pub use run::{
    ScanReport, compute_seconds, merge, run_cell, run_scan, run_scan_stoppable, shard_cells,
};
