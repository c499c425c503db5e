//! Helpers shared by the figures: number formatting, settings text, series of the loaded scans,
//! and the power-law-fit claim of the scaling figures.

use super::{Claim, ScanData};
use crate::plot::{Series, Style};
use mf_stats::mf_core::config::StepRule;
use mf_stats::mf_core::{Mode, UnitKind};
use mf_stats::scan::FluctuationRow;
use mf_stats::verdict::{Measured, scaling_verdict};

/// Half-width of the plotted error bars of a mean, in standard errors (95 % normal interval).
pub const ERROR_BAR_Z: f64 = 1.96;

/// Number formatting shared by the CSVs and the report (so the report's numbers are the CSVs').
pub fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4e}")
    } else {
        "nan".into()
    }
}

/// The settings a scan's claims were measured at, in words.
pub fn settings(d: &ScanData) -> String {
    let b = &d.cfg.base;
    let mode = match b.mode {
        Mode::Exact => match b.step_rule {
            None | Some(StepRule::Adaptive) => {
                format!("exact population flow (adaptive steps, tol {:e})", b.tol)
            }
            Some(rule) => format!(
                "exact population flow (step rule {}, tol {:e})",
                serde_json::to_value(rule)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{rule:?}")),
                b.tol
            ),
        },
        Mode::Online => match &d.cfg.batch_scaling {
            Some(s) => format!("online SGD, P = {}·n^{}, Δt = {}", s.p0, s.exponent, b.dt),
            None => format!("online SGD, P = {}, Δt = {}", b.batch, b.dt),
        },
        Mode::Gd => format!("gd, M = {}, Δt = {}", b.train_size, b.dt),
        Mode::Sgd => format!("sgd, M = {}, P = {}, Δt = {}", b.train_size, b.batch, b.dt),
    };
    let units = match b.units {
        UnitKind::Rbf => format!("RBF σ = {:.3}", b.resolved_sigma()),
        UnitKind::Relu => "ReLU".to_string(),
        UnitKind::Custom => "custom unit".to_string(),
    };
    let done: usize = d.groups.iter().map(|(_, c)| c.len()).sum();
    let polish = match b.polish {
        Some(p) => format!(
            ", then a polish to ‖v‖ ≤ {:e} (≤ {} iterations)",
            p.tol, p.max_iterations
        ),
        None => String::new(),
    };
    format!(
        "{units}, d = {}, {mode}, widths {:?}, {} replicas ({done} cells done), t = {}{polish}, seed {}",
        b.dim,
        d.cfg.widths,
        d.cfg.replicas,
        b.steps as f64 * b.dt,
        b.seed
    )
}

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

/// The fitted quantity per width with its error bars, and the fitted power law over its range.
pub fn scaling_series(d: &ScanData, label: &str, rel: bool) -> Vec<Series> {
    let scale = if rel { 1.0 } else { 1.0 / d.cf };
    let pts: Vec<(f64, f64)> = d
        .data
        .iter()
        .map(|(n, m, _, _)| (*n as f64, m * scale))
        .collect();
    let errs: Vec<(f64, f64)> = d
        .data
        .iter()
        .map(|(_, m, se, _)| {
            let se = if se.is_finite() { *se } else { 0.0 };
            (
                (m - ERROR_BAR_Z * se) * scale,
                (m + ERROR_BAR_Z * se) * scale,
            )
        })
        .collect();
    let mut out = vec![Series {
        label: label.into(),
        points: pts,
        errors: Some(errs),
        style: Style::Markers,
        ..Series::default()
    }];
    if let Some(f) = &d.fit {
        let (lo, hi) = (f.fit_range[0] as f64, f.fit_range[1] as f64);
        out.push(Series {
            label: format!(
                "{label} fit: β = {:.2} [{:.2}, {:.2}]",
                f.beta, f.beta_interval[0], f.beta_interval[1]
            ),
            points: vec![
                (lo, f.prefactor * lo.powf(f.beta) * scale),
                (hi, f.prefactor * hi.powf(f.beta) * scale),
            ],
            errors: None,
            style: Style::Line,
            ..Series::default()
        });
    }
    out
}

/// Dashed guide lines n^-1 and n^-2 through the first point of the scan.
pub fn guides(d: &ScanData) -> Vec<Series> {
    let Some(&(n0, m0, _, _)) = d.data.first() else {
        return Vec::new();
    };
    let n1 = d.data.last().map(|x| x.0).unwrap_or(n0) as f64;
    let n0 = n0 as f64;
    [(-1.0, "guide n^-1"), (-2.0, "guide n^-2")]
        .iter()
        .map(|&(b, label)| Series {
            label: label.into(),
            points: vec![(n0, m0), (n1, m0 * (n1 / n0).powf(b))],
            errors: None,
            style: Style::Dashed,
            ..Series::default()
        })
        .collect()
}

/// The claim that the trained loss of scan `d` scales as a power of n, judged by
/// [`scaling_verdict`].
pub fn fit_claim(figure: &'static str, d: &ScanData, what: &str) -> Claim {
    let interval = d
        .fit
        .as_ref()
        .map(|f| (f.beta_interval[0], f.beta_interval[1]));
    let measured = match &d.fit {
        Some(f) => Measured::with_interval(f.beta, (f.beta_interval[0], f.beta_interval[1])),
        None => Measured::value(f64::NAN),
    };
    Claim {
        figure,
        claim: format!("{what}: the trained loss scales as a power of n"),
        prediction: "β = -1 (fluctuations O(n^-1/2), CLT) at finite time; β = -2 for RBF once the fluctuations heal (error O(n^-1))".into(),
        quantity: format!(
            "β of {} ({} bootstrap, {:.0} %)",
            d.cfg.quantity.as_str(),
            d.cfg.bootstrap,
            100.0 * d.cfg.level
        ),
        measured,
        settings: settings(d),
        verdict: scaling_verdict(interval),
    }
}
