//! From cells to statistics: fluctuation fields per width and time, the fitted values per width
//! and the power-law fits.
//!
//! Every interval is a t interval (the mean loss of `fluctuations.csv`: R − 1 degrees of freedom;
//! the fits: jackknife and Welch–Satterthwaite, [`crate::fit`]), a function of the cells alone
//! with no random draws.

use super::cells::{CellResult, read_cell};
use super::config::{FitQuantity, ScanConfig};
use crate::estimators::{fluctuation, lln_distance, mean_se};
use crate::fit::{PowerLawFit, WidthPoint, fit_points, fit_power_law};
use crate::inference::{jackknife, log_mean_interval};
use mf_core::PointSet;
use serde::{Deserialize, Serialize};
use std::path::Path;

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
            let ci = log_mean_interval(&losses, cfg.level).unwrap_or((f64::NAN, f64::NAN));
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

/// The values fitted for each width: one per replica, or for `FinalVariance` the one value
/// [`final_variance`] of the width (widths with fewer than two replicas are left out).
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
                    let refs: Vec<&CellResult> = cells.iter().collect();
                    vec![final_variance(&refs, probe, *n)?]
                }
            };
            Some((*n, vals))
        })
        .collect()
}

/// ½ mean_k Var_R[f_n(x_k)] at the last recorded time of `cells` (R ≥ 2): the fluctuation part
/// of the expected test loss, i.e. `n_var / (2n)` of [`fluctuation`].
/// `None` for fewer than two cells or a cell without probe outputs.
///
/// The one computation of this quantity: the per-width data of `fit.json`
/// ([`fit_samples`]) and the fit with its jackknife ([`fit_final_variance`]) both use it.
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

/// Power-law fit of the final variance part over the widths of the scan's fit range with at
/// least three replicas: per width the delete-one jackknife over replicas of its log
/// ([`crate::fit::jackknife_points`]), then the fit and t interval of [`crate::fit`].
pub fn fit_final_variance(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> Option<PowerLawFit> {
    fit_points(&final_variance_points(cfg, groups, probe), cfg.level)
}

/// The per-width points (log of [`final_variance`], jackknife over replicas) of the widths in
/// the scan's fit range.
pub fn final_variance_points(
    cfg: &ScanConfig,
    groups: &[(usize, Vec<CellResult>)],
    probe: &PointSet,
) -> Vec<WidthPoint> {
    let used: Vec<(usize, Vec<&CellResult>)> = groups
        .iter()
        .filter(|(n, _)| cfg.fit_range.is_none_or(|(lo, hi)| *n >= lo && *n <= hi))
        .map(|(n, c)| (*n, c.iter().collect()))
        .collect();
    let mut points = Vec::new();
    for (n, cells) in &used {
        let stat = |pick: &[&&CellResult]| -> Option<f64> {
            let refs: Vec<&CellResult> = pick.iter().map(|c| **c).collect();
            final_variance(&refs, probe, *n)
                .filter(|v| *v > 0.0)
                .map(f64::ln)
        };
        if let Some(estimate) = jackknife(cells, stat) {
            points.push(WidthPoint {
                n: *n,
                replicas: cells.len(),
                estimate,
            });
        }
    }
    points
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
        fit_power_law(&samples, cfg.fit_range, cfg.level)
    };
    (fit, data)
}
