//! Figure 6 (`clt`): n · Var_replicas[f_n(x)] versus time for several n.

use super::common::{rows_of, settings, widths_with_rows};
use super::{Claim, FigureOutput, FigureSpec, ScanData, first};
use crate::configs::exact_d5;
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::verdict::{Measured, clt_allowed_ratio, clt_ratio_verdict, healing_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "clt",
    description: "n · Var_replicas[f_n(x)] averaged over probe points versus time for several n (exact mode, RBF, d = 5): the curves coincide (fluctuations are O(n^-1/2)) and decay at long times (healing).",
    quick: || vec![exact_d5(true)],
    full: || vec![exact_d5(false)],
    build,
};

/// The narrowest width compared (narrower ones are far from the CLT regime).
const MIN_WIDTH: usize = 16;
/// The earliest time compared (n·Var starts at its initial value).
const MIN_TIME: f64 = 1.0;

fn build(data: &[ScanData]) -> Result<FigureOutput> {
    let d = first(SPEC.name, data)?;
    let widths = widths_with_rows(d);
    let series: Vec<Series> = widths
        .iter()
        .map(|&n| Series {
            label: format!("n = {n}"),
            points: rows_of(d, n)
                .iter()
                .filter(|r| r.time > 0.0 && r.n_var > 0.0)
                .map(|r| (r.time, r.n_var))
                .collect(),
            errors: None,
            style: Style::LineMarkers,
            ..Series::default()
        })
        .collect();
    let mut claims = Vec::new();
    let used: Vec<usize> = widths.iter().copied().filter(|&n| n >= MIN_WIDTH).collect();
    if used.len() >= 2 {
        // at every recorded time t ≥ 1: max/min of n·Var over the widths; the claim uses the
        // median over times (robust to the noise of a variance estimated from R replicas)
        let widest = *used.last().expect("two");
        let big = rows_of(d, widest);
        let mut ratios: Vec<f64> = big
            .iter()
            .filter(|r| r.time >= MIN_TIME)
            .filter_map(|r| {
                let at: Vec<f64> = used
                    .iter()
                    .filter_map(|&n| {
                        rows_of(d, n)
                            .iter()
                            .find(|s| s.time == r.time)
                            .map(|s| s.n_var)
                    })
                    .collect();
                (at.len() == used.len()).then(|| {
                    at.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                        / at.iter().copied().fold(f64::INFINITY, f64::min)
                })
            })
            .collect();
        ratios.sort_by(|a, b| a.total_cmp(b));
        let ratio = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
        let allowed = clt_allowed_ratio(d.cfg.replicas);
        claims.push(Claim {
            figure: SPEC.name,
            claim: "fluctuations around the mean-field limit are O(n^-1/2) at finite time (CLT)"
                .into(),
            prediction: format!(
                "n · Var_R[f_n] is O(1): equal across widths (within the replica noise: ratio ≤ {allowed:.2})"
            ),
            quantity: format!(
                "median over recorded times t ≥ {MIN_TIME} of max/min over n ∈ {used:?} of n·Var"
            ),
            measured: Measured::value(ratio),
            settings: settings(d),
            verdict: clt_ratio_verdict(ratio, d.cfg.replicas),
        });
        let peak = big
            .iter()
            .max_by(|a, b| a.n_var.total_cmp(&b.n_var))
            .expect("rows");
        let last = big.last().expect("rows");
        let heal = last.n_var / peak.n_var;
        claims.push(Claim {
            figure: SPEC.name,
            claim: "the fluctuations heal at long times".into(),
            prediction: "n·Var decays after its peak".into(),
            quantity: format!("n·Var at t = {} over its peak, n = {widest}", last.time),
            measured: Measured::value(heal),
            settings: settings(d),
            verdict: healing_verdict(heal),
        });
    }
    Ok(FigureOutput {
        figure: Figure {
            title: "CLT: n · Var_replicas[f_n(x)] vs time (RBF, d = 5, exact)".into(),
            x_label: "mean-field time t".into(),
            y_label: "n · mean_k Var[f_n(x_k)]".into(),
            log_x: true,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims,
    })
}
