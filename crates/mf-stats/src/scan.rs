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

use crate::estimators::{bootstrap_mean_interval, fluctuation, lln_distance, mean_se};
use crate::fit::{PowerLawFit, fit_power_law};
use faer::Par;
use mf_core::dynamics::{Workspace, outputs};
use mf_core::output::{TraceRow, read_json, write_atomic, write_json};
use mf_core::streams::{Purpose, stream};
use mf_core::{PointSet, TrainConfig, TrainError, Trainer};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mf_core::faer;

/// Batch size growing with the width: P(n) = max(1, round(P₀ n^e)), e = 2α.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchScaling {
    /// P₀.
    pub p0: f64,
    /// The exponent e (= 2α).
    pub exponent: f64,
}

impl BatchScaling {
    /// Parses `P0*n^E` where E is a number or a product such as `(2*0.25)`, e.g.
    /// `"4*n^(2*0.5)"` or `"16*n^1"`.
    pub fn parse(s: &str) -> Option<Self> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let (p0, e) = t.split_once("*n^")?;
        let p0: f64 = p0.parse().ok()?;
        let e = e.trim_start_matches('(').trim_end_matches(')');
        let mut exponent = 1.0;
        for f in e.split('*') {
            exponent *= f.parse::<f64>().ok()?;
        }
        (p0.is_finite() && p0 > 0.0 && exponent.is_finite()).then_some(Self { p0, exponent })
    }

    /// P(n).
    pub fn batch(&self, n: usize) -> usize {
        (self.p0 * (n as f64).powf(self.exponent)).round().max(1.0) as usize
    }
}

/// What the power law is fitted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitQuantity {
    /// The test loss at the last recorded time.
    FinalTestLoss,
    /// The relative test loss at the last recorded time.
    FinalRelativeTestLoss,
    /// ½ mean_k Var_R[f_n(x_k)] at the last recorded time: the fluctuation part of the expected
    /// loss (one value per width; the interval comes from a bootstrap over replicas).
    FinalVariance,
}

impl FitQuantity {
    /// Name as written in `fit.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinalTestLoss => "final_test_loss",
            Self::FinalRelativeTestLoss => "final_relative_test_loss",
            Self::FinalVariance => "final_variance",
        }
    }
}

/// A scan: one base run configuration over widths × replicas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanConfig {
    /// The run of every cell (its `width`, `replica` and, with `batch_scaling`, `batch` are set
    /// per cell).
    pub base: TrainConfig,
    /// Widths n.
    pub widths: Vec<usize>,
    /// Replicas per width.
    pub replicas: u64,
    /// Batch growing with n (overrides `base.batch`).
    pub batch_scaling: Option<BatchScaling>,
    /// Number of probe points x_k for the fluctuation field.
    pub probe_size: usize,
    /// Inclusive width range of the power-law fit (all widths if absent).
    pub fit_range: Option<(usize, usize)>,
    /// What is fitted.
    pub quantity: FitQuantity,
    /// Bootstrap resamples.
    pub bootstrap: usize,
    /// Confidence level of the intervals.
    pub level: f64,
}

impl ScanConfig {
    /// A scan of `base` over `widths` × `replicas` with 256 probe points, a fit of the final test
    /// loss over all widths and 1000 bootstrap resamples at 95 %.
    pub fn new(base: TrainConfig, widths: Vec<usize>, replicas: u64) -> Self {
        Self {
            base,
            widths,
            replicas,
            batch_scaling: None,
            probe_size: 256,
            fit_range: None,
            quantity: FitQuantity::FinalTestLoss,
            bootstrap: 1000,
            level: 0.95,
        }
    }

    /// The run configuration of cell (n, r).
    pub fn cell_config(&self, width: usize, replica: u64) -> TrainConfig {
        let mut c = self.base.clone();
        c.width = width;
        c.replica = replica;
        if let Some(s) = &self.batch_scaling {
            c.batch = s.batch(width);
            if c.mode == mf_core::Mode::Sgd {
                c.train_size = c.train_size.max(c.batch);
            }
        }
        c
    }

    /// All cells in (n, r) order.
    pub fn cells(&self) -> Vec<(usize, u64)> {
        self.widths
            .iter()
            .flat_map(|&n| (0..self.replicas).map(move |r| (n, r)))
            .collect()
    }

    /// Checks the scan and every cell configuration.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err(TrainError::config(
                "widths",
                "a non-empty list of integers ≥ 1",
            ));
        }
        let mut sorted = self.widths.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted != self.widths {
            return Err(TrainError::config("widths", "strictly increasing"));
        }
        if self.replicas == 0 || self.replicas > 100_000 {
            return Err(TrainError::config("replicas", "an integer in 1..=100000"));
        }
        if self.probe_size == 0 || self.probe_size > 1_000_000 {
            return Err(TrainError::config(
                "probe_size",
                "an integer in 1..=1000000",
            ));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(TrainError::config("level", "a number in (0, 1)"));
        }
        for &n in &self.widths {
            self.cell_config(n, 0).validate()?;
        }
        Ok(())
    }
}

/// Network outputs on the probe set at one recorded time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeRow {
    /// Steps taken.
    pub step: u64,
    /// Mean-field time.
    pub time: f64,
    /// f_n(x_k) for every probe point.
    pub outputs: Vec<f64>,
}

/// A finished cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Width n.
    pub n: usize,
    /// Replica r.
    pub replica: u64,
    /// Batch size used.
    pub batch: usize,
    /// Trace of the run.
    pub trace: Vec<TraceRow>,
    /// Probe outputs at every recorded time.
    pub probe: Vec<ProbeRow>,
    /// Final charges c_i.
    pub final_c: Vec<f64>,
    /// Final unit parameters z_i.
    pub final_z: Vec<Vec<f64>>,
}

#[derive(Serialize, Deserialize)]
struct CellFile {
    checksum: String,
    cell: CellResult,
}

/// FNV-1a 64-bit hash, hex.
fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// File of cell (n, r) under `dir`.
pub fn cell_path(dir: &Path, n: usize, replica: u64) -> PathBuf {
    dir.join("cells")
        .join(format!("n{n:06}_r{replica:05}.json"))
}

/// Reads a cell file; `None` when missing, unparsable, damaged or not the cell asked for.
pub fn read_cell(dir: &Path, n: usize, replica: u64) -> Option<CellResult> {
    let text = std::fs::read_to_string(cell_path(dir, n, replica)).ok()?;
    let file: CellFile = serde_json::from_str(&text).ok()?;
    let payload = serde_json::to_string(&file.cell).ok()?;
    (checksum(payload.as_bytes()) == file.checksum
        && file.cell.n == n
        && file.cell.replica == replica)
        .then_some(file.cell)
}

fn write_cell(dir: &Path, cell: &CellResult) -> Result<(), TrainError> {
    let payload = serde_json::to_string(cell).map_err(|e| TrainError::Io(e.to_string()))?;
    let file = CellFile {
        checksum: checksum(payload.as_bytes()),
        cell: cell.clone(),
    };
    let text = serde_json::to_string(&file).map_err(|e| TrainError::Io(e.to_string()))?;
    write_atomic(&cell_path(dir, cell.n, cell.replica), text.as_bytes())
}

/// The probe set of a scan: `size` points from the probe stream of the base seed, with targets.
pub fn probe_set(cfg: &ScanConfig) -> Result<PointSet, TrainError> {
    let model = mf_core::spin_target::SpinModel::new(cfg.base.dim, cfg.base.seed)
        .map_err(|e| TrainError::Io(e.to_string()))?;
    Ok(PointSet::sample(
        &mf_core::SpinTarget::new(model),
        cfg.probe_size,
        &mut stream(cfg.base.seed, 0, Purpose::Probe),
        Par::Seq,
    ))
}

/// Runs cell (n, r) single-threaded, recording f_n on `probe` at every evaluation.
pub fn run_cell(
    cfg: &ScanConfig,
    n: usize,
    replica: u64,
    probe: &PointSet,
) -> Result<CellResult, TrainError> {
    let tc = cfg.cell_config(n, replica);
    let steps = tc.steps;
    let batch = tc.batch;
    let mut t = Trainer::new(tc, Par::Seq)?;
    let mut ws = Workspace::new(t.unit(), n, cfg.base.dim, probe.len());
    let mut rows = Vec::new();
    t.run(steps, &mut |_| {}, &mut |t: &Trainer| {
        let mut out = vec![0.0; probe.len()];
        outputs(t.unit(), t.network(), probe.x_aug(), &mut ws, &mut out, Par::Seq);
        rows.push(ProbeRow {
            step: t.step(),
            time: t.time(),
            outputs: out,
        });
        Ok(())
    })
    .map_err(|e| match e {
        TrainError::Diverged { step, loss, dt } => {
            TrainError::Io(format!("cell n={n} replica={replica}: the run diverged at step {step} (loss {loss:e}); try a smaller --dt than {dt}"))
        }
        e => e,
    })?;
    Ok(CellResult {
        n,
        replica,
        batch,
        trace: t.trace().to_vec(),
        probe: rows,
        final_c: t.network().c.clone(),
        final_z: (0..n).map(|i| t.network().z_row(i)).collect(),
    })
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

/// Runs (or resumes) the cells of `shard` = Some((K, N)) or of the whole scan into `dir`, then
/// writes `scan.json` and the aggregates of the cells present. `progress(done, total)` is called
/// after each cell.
pub fn run_scan(
    cfg: &ScanConfig,
    dir: &Path,
    shard: Option<(usize, usize)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ScanReport, TrainError> {
    cfg.validate()?;
    std::fs::create_dir_all(dir.join("cells"))
        .map_err(|e| TrainError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let scan_path = dir.join("scan.json");
    if scan_path.exists() {
        let old: ScanConfig = read_json(&scan_path)?;
        if &old != cfg {
            return Err(TrainError::Io(format!(
                "{} holds a different scan; use another --out or remove it",
                dir.display()
            )));
        }
    }
    write_json(&scan_path, cfg)?;
    let mine: Vec<(usize, u64)> = cfg
        .cells()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shard.is_none_or(|(k, n)| i % n == k - 1))
        .map(|(_, c)| c)
        .collect();
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
        Ok::<(), TrainError>(())
    })?;
    write_aggregates(cfg, dir)?;
    Ok(ScanReport {
        computed: todo.len(),
        reused,
        total: mine.len(),
    })
}

/// Merges the cells of shard folders into `out` and writes the aggregates there. Every folder
/// must hold the same `scan.json`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, TrainError> {
    let first = dirs
        .first()
        .ok_or_else(|| TrainError::config("dirs", "at least one folder"))?;
    let cfg: ScanConfig = read_json(&first.join("scan.json"))?;
    for d in dirs {
        let c: ScanConfig = read_json(&d.join("scan.json"))?;
        if c != cfg {
            return Err(TrainError::Io(format!(
                "{} holds a different scan than {}",
                d.display(),
                first.display()
            )));
        }
    }
    std::fs::create_dir_all(out.join("cells"))
        .map_err(|e| TrainError::Io(format!("cannot create {}: {e}", out.display())))?;
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

/// The cells present in `dir`, grouped by width in (n, r) order.
pub fn load_cells(cfg: &ScanConfig, dir: &Path) -> Vec<(usize, Vec<CellResult>)> {
    cfg.widths
        .iter()
        .map(|&n| {
            (
                n,
                (0..cfg.replicas)
                    .filter_map(|r| read_cell(dir, n, r))
                    .collect(),
            )
        })
        .collect()
}

/// One row of `fluctuations.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FluctuationRow {
    /// Width n.
    pub n: usize,
    /// Grid step (round(time/Δt)).
    pub step: u64,
    /// Mean-field time.
    pub time: f64,
    /// n · mean_k Var_R[f_n(x_k)].
    pub n_var: f64,
    /// mean_k (f̄_n(x_k) − f(x_k))².
    pub bias_sq: f64,
    /// bias² corrected for the replica noise of f̄_n.
    pub bias_sq_unbiased: f64,
    /// mean_k (f̄_n(x_k) − f̄_{4n}(x_k))², when 4n is in the scan.
    pub lln_distance_4n: Option<f64>,
    /// Mean test loss over replicas.
    pub mean_test_loss: f64,
    /// Its standard error.
    pub test_loss_se: f64,
    /// Bootstrap interval of the mean test loss.
    pub test_loss_ci: [f64; 2],
    /// Mean relative test loss.
    pub mean_relative_test_loss: f64,
    /// Replicas at this time.
    pub replicas: usize,
}

/// Fluctuation and loss statistics per width and recorded time (times common to all replicas).
pub fn fluctuation_rows(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> Vec<FluctuationRow> {
    let mut rng = stream(cfg.base.seed, 0, Purpose::Probe);
    rng.jump_ce(1, 64);
    let mut rows = Vec::new();
    // per width: its rows and the mean field f̄_n at each of their times
    type WidthRows = (usize, Vec<FluctuationRow>, Vec<Vec<f64>>);
    let mut per_width: Vec<WidthRows> = Vec::new();
    for (n, cells) in groups {
        if cells.len() < 2 {
            continue;
        }
        let times = cells.iter().map(|c| c.probe.len()).min().unwrap_or(0);
        let mut wrows = Vec::new();
        let mut fields = Vec::new();
        for ti in 0..times {
            let time = cells[0].probe[ti].time;
            if cells.iter().any(|c| c.probe[ti].time != time) {
                break;
            }
            let outs: Vec<&[f64]> = cells
                .iter()
                .map(|c| c.probe[ti].outputs.as_slice())
                .collect();
            let f = fluctuation(&outs, probe.y(), *n);
            let losses: Vec<f64> = cells.iter().map(|c| c.trace[ti].test_loss).collect();
            let rel: Vec<f64> = cells
                .iter()
                .map(|c| c.trace[ti].relative_test_loss)
                .collect();
            let (m, se) = mean_se(&losses);
            let ci = bootstrap_mean_interval(&losses, cfg.bootstrap, cfg.level, &mut rng);
            wrows.push(FluctuationRow {
                n: *n,
                step: (time / cfg.base.dt).round() as u64,
                time,
                n_var: f.n_var,
                bias_sq: f.bias_sq,
                bias_sq_unbiased: f.bias_sq_unbiased,
                lln_distance_4n: None,
                mean_test_loss: m,
                test_loss_se: se,
                test_loss_ci: [ci.0, ci.1],
                mean_relative_test_loss: rel.iter().sum::<f64>() / rel.len() as f64,
                replicas: cells.len(),
            });
            fields.push(f.mean_field);
        }
        per_width.push((*n, wrows, fields));
    }
    for idx in 0..per_width.len() {
        let n = per_width[idx].0;
        let partner = per_width.iter().position(|(m, _, _)| *m == 4 * n);
        let (wrows, fields) = (per_width[idx].1.clone(), per_width[idx].2.clone());
        for (ti, mut row) in wrows.into_iter().enumerate() {
            if let Some(p) = partner {
                let (_, prow, pfields) = &per_width[p];
                if let Some(pi) = prow.iter().position(|r| r.time == row.time) {
                    row.lln_distance_4n = Some(lln_distance(&fields[ti], &pfields[pi]));
                }
            }
            rows.push(row);
        }
    }
    rows
}

/// `fit.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitFile {
    /// The fit (absent fields when fewer than two widths are complete).
    #[serde(flatten)]
    pub fit: Option<PowerLawFit>,
    /// What was fitted.
    pub quantity: String,
    /// Per width: [n, mean, SE, replicas].
    pub data: Vec<(usize, f64, f64, usize)>,
}

/// The values fitted for each width: one per replica (or one per width for `FinalVariance`).
pub fn fit_samples(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> Vec<(usize, Vec<f64>)> {
    groups
        .iter()
        .filter(|(_, cells)| !cells.is_empty())
        .filter_map(|(n, cells)| {
            let vals = match cfg.quantity {
                FitQuantity::FinalTestLoss => cells
                    .iter()
                    .filter_map(|c| c.trace.last().map(|r| r.test_loss))
                    .collect(),
                FitQuantity::FinalRelativeTestLoss => cells
                    .iter()
                    .filter_map(|c| c.trace.last().map(|r| r.relative_test_loss))
                    .collect(),
                FitQuantity::FinalVariance => {
                    if cells.len() < 2 {
                        return None;
                    }
                    let outs: Vec<&[f64]> = cells
                        .iter()
                        .map(|c| c.probe.last().map(|p| p.outputs.as_slice()).unwrap_or(&[]))
                        .collect();
                    let f = fluctuation(&outs, probe.y(), *n);
                    vec![0.5 * f.n_var / *n as f64]
                }
            };
            Some((*n, vals))
        })
        .collect()
}

/// ½ mean_k Var_R[f_n(x_k)] at the last recorded time of `cells` (R ≥ 2): the fluctuation part
/// of the expected test loss.
pub fn final_variance(cells: &[&CellResult], probe: &PointSet, width: usize) -> Option<f64> {
    if cells.len() < 2 {
        return None;
    }
    let outs: Vec<&[f64]> = cells
        .iter()
        .map(|c| c.probe.last().map(|p| p.outputs.as_slice()))
        .collect::<Option<_>>()?;
    Some(0.5 * fluctuation(&outs, probe.y(), width).n_var / width as f64)
}

/// Power-law fit of the final variance part (one value per width, unweighted on log–log axes)
/// with a bootstrap over replicas: each resample redraws the replicas of every width.
pub fn fit_final_variance(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> Option<PowerLawFit> {
    use rand::RngExt;
    let used: Vec<&(usize, Vec<CellResult>)> = groups
        .iter()
        .filter(|(n, c)| c.len() >= 2 && cfg.fit_range.is_none_or(|(lo, hi)| *n >= lo && *n <= hi))
        .collect();
    if used.len() < 2 {
        return None;
    }
    let line = |vals: &[(usize, f64)]| -> Option<(f64, f64, f64)> {
        if vals.iter().any(|(_, v)| v.is_nan() || *v <= 0.0) {
            return None;
        }
        let x: Vec<f64> = vals.iter().map(|(n, _)| (*n as f64).ln()).collect();
        let y: Vec<f64> = vals.iter().map(|(_, v)| v.ln()).collect();
        Some(crate::fit::weighted_line(&x, &y, &vec![1.0; x.len()]))
    };
    let point = |(n, cells): &&(usize, Vec<CellResult>)| -> Option<(usize, f64)> {
        let refs: Vec<&CellResult> = cells.iter().collect();
        Some((*n, final_variance(&refs, probe, *n)?))
    };
    let vals: Vec<(usize, f64)> = used.iter().map(point).collect::<Option<_>>()?;
    let (beta, intercept, se) = line(&vals)?;
    let mut rng = stream(cfg.base.seed, 0, Purpose::Probe);
    rng.jump_ce(3, 64);
    let mut betas = Vec::with_capacity(cfg.bootstrap);
    for _ in 0..cfg.bootstrap {
        let res: Option<Vec<(usize, f64)>> = used
            .iter()
            .map(|(n, cells)| {
                let pick: Vec<&CellResult> = (0..cells.len())
                    .map(|_| &cells[rng.random_range(0..cells.len())])
                    .collect();
                Some((*n, final_variance(&pick, probe, *n)?))
            })
            .collect();
        if let Some((b, _, _)) = res.as_deref().and_then(line) {
            betas.push(b);
        }
    }
    let (lo, hi) = if betas.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        crate::estimators::percentile_interval(&mut betas, cfg.level)
    };
    Some(PowerLawFit {
        beta,
        beta_interval: [lo, hi],
        beta_se: se,
        prefactor: intercept.exp(),
        fit_range: [used[0].0, used[used.len() - 1].0],
        points: used.len(),
        level: cfg.level,
    })
}

/// Per width: (n, mean, SE, number of values) of a fitted quantity.
pub type WidthStat = (usize, f64, f64, usize);

/// The fit of `cfg.quantity` over the cells of `groups`, and the per-width (n, mean, SE, count).
pub fn fit_groups(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> (Option<PowerLawFit>, Vec<WidthStat>) {
    let samples = fit_samples(cfg, groups, probe);
    let data = samples
        .iter()
        .map(|(n, v)| {
            let (m, se) = mean_se(v);
            (*n, m, se, v.len())
        })
        .collect();
    let fit = if cfg.quantity == FitQuantity::FinalVariance {
        fit_final_variance(cfg, groups, probe)
    } else {
        let mut rng = stream(cfg.base.seed, 0, Purpose::Probe);
        rng.jump_ce(2, 64);
        fit_power_law(&samples, cfg.fit_range, cfg.bootstrap, cfg.level, &mut rng)
    };
    (fit, data)
}

/// Recomputes `runs.csv`, `fluctuations.csv` and `fit.json` from the cells in `dir`.
pub fn write_aggregates(cfg: &ScanConfig, dir: &Path) -> Result<(), TrainError> {
    let groups = load_cells(cfg, dir);
    let probe = probe_set(cfg)?;
    let mut runs =
        String::from("n,replica,batch,step,time,test_loss,relative_test_loss,mc_test_loss\n");
    for (_, cells) in &groups {
        for c in cells {
            for r in &c.trace {
                runs.push_str(&format!(
                    "{},{},{},{},{},{:e},{:e},{}\n",
                    c.n,
                    c.replica,
                    c.batch,
                    r.step,
                    r.time,
                    r.test_loss,
                    r.relative_test_loss,
                    r.mc_test_loss.map(|v| format!("{v:e}")).unwrap_or_default()
                ));
            }
        }
    }
    write_atomic(&dir.join("runs.csv"), runs.as_bytes())?;
    let mut fl = String::from(
        "n,step,time,n_var,bias_sq,bias_sq_unbiased,lln_distance_4n,mean_test_loss,test_loss_se,test_loss_ci_low,test_loss_ci_high,mean_relative_test_loss,replicas\n",
    );
    for r in fluctuation_rows(cfg, &groups, &probe) {
        fl.push_str(&format!(
            "{},{},{},{:e},{:e},{:e},{},{:e},{:e},{:e},{:e},{:e},{}\n",
            r.n,
            r.step,
            r.time,
            r.n_var,
            r.bias_sq,
            r.bias_sq_unbiased,
            r.lln_distance_4n
                .map(|v| format!("{v:e}"))
                .unwrap_or_default(),
            r.mean_test_loss,
            r.test_loss_se,
            r.test_loss_ci[0],
            r.test_loss_ci[1],
            r.mean_relative_test_loss,
            r.replicas
        ));
    }
    write_atomic(&dir.join("fluctuations.csv"), fl.as_bytes())?;
    let (fit, data) = fit_groups(cfg, &groups, &probe);
    write_json(
        &dir.join("fit.json"),
        &FitFile {
            fit,
            quantity: cfg.quantity.as_str().to_string(),
            data,
        },
    )
}
