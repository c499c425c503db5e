//! Replica statistics shared by the figures: rows of a loaded scan, statistics over replicas at
//! common times, distinct end states, and the coverage of a fit's interval by simulation.

use super::spec::ScanData;
use mf_stats::PowerLawFit;
use mf_stats::coverage::{Case, Coverage, Statistic, TRIALS, log_spreads, simulate};
use mf_stats::estimators::same_state_groups;
use mf_stats::mf_core::output::TraceRow;
use mf_stats::scan::{CellResult, FluctuationRow};
use std::hash::Hasher;

/// Rows of width n, in time order.
pub fn rows_of(d: &ScanData, n: usize) -> Vec<&FluctuationRow> {
    d.rows.iter().filter(|r| r.n == n).collect()
}

/// The widths that have rows, in order.
pub fn widths_with_rows(d: &ScanData) -> Vec<usize> {
    let mut w: Vec<usize> = d.rows.iter().map(|r| r.n).collect();
    w.dedup();
    w
}

/// The seed of the coverage simulation of the quantity `name` (FNV-1a of the name): a row
/// always gets the same simulated scans.
pub fn coverage_seed(name: &str) -> u64 {
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// The finished cells of a width with its **distinct end states**: one cell per end state
/// (the first replica of each; replicas whose networks coincide as functions on the probe
/// points, `mf_stats::estimators::same_state_groups`, are one end state), and the groups of
/// replicas that coincide (only groups of two or more).
pub fn distinct_cells(cells: &[CellResult]) -> (Vec<&CellResult>, Vec<Vec<u64>>) {
    let finished: Vec<&CellResult> = cells.iter().filter(|c| !c.trace.is_empty()).collect();
    let outputs: Vec<&[f64]> = finished
        .iter()
        .map(|c| c.probe.last().map_or(&[][..], |p| p.outputs.as_slice()))
        .collect();
    // a cell without probe outputs is compared with nothing (its own state)
    let groups = if outputs.iter().all(|o| !o.is_empty()) {
        same_state_groups(&outputs)
    } else {
        (0..finished.len()).collect()
    };
    let kept = finished
        .iter()
        .enumerate()
        .filter(|(i, _)| groups[*i] == *i)
        .map(|(_, c)| *c)
        .collect();
    let same = (0..finished.len())
        .filter(|&i| groups[i] == i)
        .map(|i| {
            (0..finished.len())
                .filter(|&j| groups[j] == i)
                .map(|j| finished[j].replica)
                .collect::<Vec<u64>>()
        })
        .filter(|g| g.len() > 1)
        .collect();
    (kept, same)
}

/// The coverage of the interval of a fit of replica means, by [`simulate`] at the fit's own
/// widths, replicas and spreads of ln y (`samples`), with its fitted β as the truth.
pub fn mean_fit_coverage(f: &PowerLawFit, samples: &[(usize, Vec<f64>)], name: &str) -> Coverage {
    let used: Vec<(usize, Vec<f64>)> = samples
        .iter()
        .filter(|(n, _)| f.widths.contains(n))
        .cloned()
        .collect();
    let case = Case {
        widths: f.widths.clone(),
        replicas: f.replicas.clone(),
        spread: log_spreads(&used),
        beta: f.beta,
        statistic: Statistic::Mean,
    };
    simulate(&case, TRIALS, f.level, coverage_seed(name))
}

/// The coverage of the interval of a fit of replica variances (normal replicas at the fit's
/// widths and replicas).
pub fn variance_fit_coverage(f: &PowerLawFit, name: &str) -> Coverage {
    let case = Case {
        widths: f.widths.clone(),
        replicas: f.replicas.clone(),
        spread: vec![0.0; f.widths.len()],
        beta: f.beta,
        statistic: Statistic::Variance,
    };
    simulate(&case, TRIALS, f.level, coverage_seed(name))
}

/// Per recorded time t ≥ `t_min` common to all replicas: (t, mean, min, max) of `value` over
/// the replicas (times where a replica has no value are left out).
pub fn replica_stats(
    cells: &[CellResult],
    t_min: f64,
    value: impl Fn(&TraceRow) -> Option<f64>,
) -> Vec<(f64, f64, f64, f64)> {
    let len = cells.iter().map(|c| c.trace.len()).min().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..len {
        let t = cells[0].trace[i].time;
        if cells.iter().any(|c| c.trace[i].time != t) {
            break;
        }
        if t < t_min {
            continue;
        }
        let Some(v) = cells
            .iter()
            .map(|c| value(&c.trace[i]))
            .collect::<Option<Vec<f64>>>()
        else {
            continue;
        };
        out.push((t, mean(&v), min(&v), max(&v)));
    }
    out
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

pub fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
