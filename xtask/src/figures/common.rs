//! Helpers shared by the figures: number formatting, settings text, rows of the loaded scans,
//! and the end-of-run loss against n of the scaling figures (`scaling-gd`, `scaling-dim`,
//! `relu`, `sgd-batch`): per-width summaries, the widths that have left the mean-field curve,
//! the exponent fitted over them, their series and claims.

use super::long_time::{max, mean, min, replica_stats};
use super::{Claim, ScanData};
use crate::plot::{Series, Style};
use mf_stats::PowerLawFit;
use mf_stats::estimators::{bootstrap_mean_interval, bootstrap_rng, first_time_below, mean_se};
use mf_stats::fit::{
    OFF_CURVE_SE, POWER_LAW_CHI2, WidthEnd, fit_power_law, fit_power_law_draws, off_curve_widths,
    power_law_range,
};
use mf_stats::mf_core::config::StepRule;
use mf_stats::mf_core::output::EndState;
use mf_stats::mf_core::{Mode, UnitKind};
use mf_stats::scan::FluctuationRow;
use mf_stats::verdict::{
    ESCAPE_LEVEL, HEALED_EXPONENT, Measured, Verdict, interval_verdict, learned_verdict,
};

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
        UnitKind::Rbf => format!(
            "RBF σ = {:.3} (σ/R = {:.3})",
            b.resolved_sigma(),
            b.resolved_sigma() / (b.dim as f64).sqrt()
        ),
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
        time_text(t_end(d)),
        b.seed
    )
}

/// The final time of a scan's runs, steps · Δt.
pub fn t_end(d: &ScanData) -> f64 {
    d.cfg.base.steps as f64 * d.cfg.base.dt
}

/// A time as the report writes it: plain below 10⁵ (`2000`, `0.5`), else `1e8`, `2.5e6`.
pub fn time_text(t: f64) -> String {
    if t.abs() >= 1e5 {
        format!("{t:e}")
    } else {
        format!("{t}")
    }
}

/// " (only R replicas per width: …)" when a bootstrap over replicas has so few to draw from
/// that its interval understates the uncertainty (R < 4), else empty.
pub fn replica_caveat(replicas: u64) -> String {
    if replicas < 4 {
        format!(
            " (only {replicas} replica{} per width: a bootstrap over so few understates the uncertainty)",
            if replicas == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    }
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

/// The end of one width of a scan: its replicas' end-of-run relative losses and what the
/// scaling figures show of them.
pub struct WidthSummary {
    /// Width n.
    pub n: usize,
    /// ℓ_n(t_end)/C_f per finished replica.
    pub values: Vec<f64>,
    /// Their mean and standard error.
    pub mean: f64,
    /// Standard error of the mean (NaN with one replica).
    pub se: f64,
    /// Smallest and largest replica.
    pub range: (f64, f64),
    /// The polished relative loss (mean, smallest, largest) over the replicas with a polish.
    pub polished: Option<(f64, f64, f64)>,
    /// Replicas that ended stationary.
    pub stationary: usize,
    /// The plateau escape time: the first recorded time at which the replica-mean relative loss
    /// is below [`ESCAPE_LEVEL`] (`None`: never by t_end).
    pub escape: Option<f64>,
}

/// The end-of-run relative loss of a scan against n, fitted over the widths that have left the
/// mean-field curve ([`off_curve_widths`]).
pub struct LossScaling {
    /// Per width with a finished replica, in increasing n.
    pub widths: Vec<WidthSummary>,
    /// The widths of the fit.
    pub used: Vec<usize>,
    /// The fit of the replica values over `used`, and its bootstrap draws of β (from the
    /// scan's own stream, so that two scans' draws are independent).
    pub fit: Option<(PowerLawFit, Vec<f64>)>,
    /// The same fit of the polished values (replicas with a polish), over `used`.
    pub polished_fit: Option<PowerLawFit>,
    /// The 95 % bootstrap interval of the widest width's mean.
    pub widest_interval: Option<(f64, f64)>,
}

/// The [`LossScaling`] of scan `d`.
pub fn loss_scaling(d: &ScanData) -> LossScaling {
    let widths: Vec<WidthSummary> = d
        .groups
        .iter()
        .filter(|(_, cells)| !cells.is_empty())
        .map(|(n, cells)| {
            let values: Vec<f64> = cells
                .iter()
                .filter_map(|c| c.trace.last().map(|r| r.relative_test_loss))
                .collect();
            let (m, se) = mean_se(&values);
            let pol: Vec<f64> = cells
                .iter()
                .filter_map(|c| c.polish.as_ref().map(|p| p.polished_relative_test_loss))
                .collect();
            let curve: Vec<(f64, f64)> = replica_stats(cells, |r| Some(r.relative_test_loss))
                .iter()
                .map(|s| (s.0, s.1))
                .collect();
            WidthSummary {
                n: *n,
                mean: m,
                se,
                range: (min(&values), max(&values)),
                values,
                polished: (!pol.is_empty()).then(|| (mean(&pol), min(&pol), max(&pol))),
                stationary: cells
                    .iter()
                    .filter(|c| {
                        c.end
                            .as_ref()
                            .is_some_and(|e| e.end_state == EndState::Stationary)
                    })
                    .count(),
                escape: first_time_below(&curve, ESCAPE_LEVEL),
            }
        })
        .collect();
    let ends: Vec<WidthEnd> = widths
        .iter()
        .map(|w| WidthEnd {
            n: w.n,
            mean: w.mean,
            se: w.se,
            stationary: w.stationary > 0 && w.stationary == w.values.len(),
        })
        .collect();
    let off = off_curve_widths(&ends);
    let end_samples: Vec<(usize, Vec<f64>)> = widths
        .iter()
        .filter(|w| off.contains(&w.n))
        .map(|w| (w.n, w.values.clone()))
        .collect();
    let used = power_law_range(&end_samples);
    let samples = |polished: bool| -> Vec<(usize, Vec<f64>)> {
        d.groups
            .iter()
            .filter(|(n, _)| used.contains(n))
            .map(|(n, cells)| {
                let v = cells
                    .iter()
                    .filter_map(|c| {
                        if polished {
                            c.polish.as_ref().map(|p| p.polished_relative_test_loss)
                        } else {
                            c.trace.last().map(|r| r.relative_test_loss)
                        }
                    })
                    .collect();
                (*n, v)
            })
            .collect()
    };
    let (b, level) = (d.cfg.bootstrap, d.cfg.level);
    let seed = d.cfg.base.seed;
    let fit = fit_power_law_draws(
        &samples(false),
        None,
        b,
        level,
        &mut bootstrap_rng(seed, &format!("{}/end-loss-beta", d.label)),
    );
    let polished_fit = fit_power_law(
        &samples(true),
        None,
        b,
        level,
        &mut bootstrap_rng(seed, &format!("{}/polished-loss-beta", d.label)),
    );
    let widest_interval = widths.last().map(|w| {
        bootstrap_mean_interval(
            &w.values,
            b,
            level,
            &mut bootstrap_rng(seed, &format!("{}/widest-mean", d.label)),
        )
    });
    LossScaling {
        widths,
        used,
        fit,
        polished_fit,
        widest_interval,
    }
}

/// The polished values are drawn at x = n · this factor, beside the width's end-of-run value.
pub const POLISH_X_FACTOR: f64 = 1.12;
/// Palette index of the grey keys and guides.
pub const GREY: usize = 7;

/// The series of one scan's [`LossScaling`] in palette colour `color`: the replica mean with
/// its min–max band (`label`), the widths of the fit (circles), the polished values beside each
/// width (triangles) — these two with a legend entry only with `keys` — and the fit (dashed,
/// over the widths of the fit; its label prefixed by `fit_prefix`).
pub fn loss_series(
    s: &LossScaling,
    label: &str,
    fit_prefix: &str,
    color: usize,
    keys: bool,
) -> Vec<Series> {
    let name = fit_prefix;
    let polished_key = keys;
    let mut out = vec![Series {
        label: label.into(),
        points: s.widths.iter().map(|w| (w.n as f64, w.mean)).collect(),
        errors: Some(s.widths.iter().map(|w| w.range).collect()),
        style: Style::Band,
        color: Some(color),
        hide_legend: false,
    }];
    out.push(Series {
        label: format!("{name}widths in the fit (left the mean-field curve)"),
        points: s
            .widths
            .iter()
            .filter(|w| s.used.contains(&w.n))
            .map(|w| (w.n as f64, w.mean))
            .collect(),
        errors: None,
        style: Style::Markers,
        color: Some(color),
        hide_legend: !polished_key,
    });
    let pol: Vec<&WidthSummary> = s.widths.iter().filter(|w| w.polished.is_some()).collect();
    if !pol.is_empty() {
        out.push(Series {
            label: format!("{name}polished (beside each width; bar: min–max)"),
            points: pol
                .iter()
                .map(|w| {
                    (
                        w.n as f64 * POLISH_X_FACTOR,
                        w.polished.expect("polished").0,
                    )
                })
                .collect(),
            errors: Some(
                pol.iter()
                    .map(|w| {
                        let p = w.polished.expect("polished");
                        (p.1, p.2)
                    })
                    .collect(),
            ),
            style: Style::EdgeMarkers,
            color: Some(color),
            hide_legend: !polished_key,
        });
    }
    if let Some((f, _)) = &s.fit {
        let (lo, hi) = (f.fit_range[0] as f64, f.fit_range[1] as f64);
        out.push(Series {
            label: format!(
                "{name}fit: β = {:.2} [{:.2}, {:.2}]",
                f.beta, f.beta_interval[0], f.beta_interval[1]
            ),
            points: vec![
                (lo, f.prefactor * lo.powf(f.beta)),
                (hi, f.prefactor * hi.powf(f.beta)),
            ],
            errors: None,
            style: Style::Dashed,
            color: Some(color),
            hide_legend: false,
        });
    }
    out
}

/// A dashed guide n^`beta` over the widths of `s`, through its first fitted width (or its first
/// width).
pub fn guide(s: &LossScaling, beta: f64, label: &str) -> Option<Series> {
    let first = s
        .widths
        .iter()
        .find(|w| s.used.contains(&w.n))
        .or(s.widths.first())?;
    let last = s.widths.last()?;
    let (n0, n1) = (first.n as f64, last.n as f64);
    Some(Series {
        label: label.into(),
        points: vec![(n0, first.mean), (n1, first.mean * (n1 / n0).powf(beta))],
        errors: None,
        style: Style::Dashed,
        color: Some(GREY),
        hide_legend: false,
    })
}

/// Per width "n = 8: 1.2e-2 (polished 3.4e-3)", joined by "; ".
fn per_width_losses(s: &LossScaling) -> String {
    s.widths
        .iter()
        .map(|w| {
            let pol = w
                .polished
                .map(|p| format!(" (polished {})", num(p.0)))
                .unwrap_or_default();
            format!(
                "n = {}: {}{pol}, {}/{} stationary",
                w.n,
                num(w.mean),
                w.stationary,
                w.values.len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How the widths of the fit are chosen, in words (the rule of [`off_curve_widths`]).
pub fn fit_range_rule() -> String {
    format!(
        "widths that have left the mean-field curve ℓ_∞(t): every replica stationary, or a mean end loss above the next wider width's by more than {OFF_CURVE_SE} combined standard errors (the widest width only when stationary; mf-stats fit.rs off_curve_widths); of those, the narrowest is dropped while at least three remain and the reduced χ² of the weighted log–log line exceeds {POWER_LAW_CHI2} (a width below the regime of the power law, e.g. too few units to represent the target; fit.rs power_law_range)"
    )
}

/// The text of a fit's exponent: "β = x [lo, hi]" or "no fit".
pub fn beta_text(f: Option<&PowerLawFit>) -> String {
    match f {
        Some(f) => format!(
            "β = {} [{}, {}]",
            num(f.beta),
            num(f.beta_interval[0]),
            num(f.beta_interval[1])
        ),
        None => "no fit".into(),
    }
}

/// The measurement and interval of a fit's exponent.
pub fn beta_measured(f: Option<&PowerLawFit>) -> (Measured, Option<(f64, f64)>) {
    match f {
        Some(f) => {
            let i = (f.beta_interval[0], f.beta_interval[1]);
            (Measured::with_interval(f.beta, i), Some(i))
        }
        None => (Measured::value(f64::NAN), None),
    }
}

/// The verdict on an exponent fitted over `s.used`: [`interval_verdict`] against `prediction`,
/// or not resolved, saying so, when fewer than two widths have left the mean-field curve.
pub fn exponent_verdict(s: &LossScaling, prediction: f64) -> Verdict {
    match &s.fit {
        Some((f, _)) => {
            interval_verdict(prediction, Some((f.beta_interval[0], f.beta_interval[1])))
        }
        None => Verdict::not_resolved(format!(
            "only {} width(s) ({:?}) have left the mean-field curve by t_end, and a fit needs two: longer runs (to stationary ends) or more widths would resolve it",
            s.used.len(),
            s.used
        )),
    }
}

/// The note of every loss-exponent row: the loss is fitted, not the error.
pub const LOSS_NOTE: &str = "the loss ℓ_n = ½‖f − f_n‖²_ν is fitted, not the error: an L² error ‖f − f_n‖ = O(n^-1) is a loss O(n^-2), so the fitted exponent is predicted to be −2 (−1 would be CLT-level fluctuations, error O(n^-1/2))";

/// The claim that the end-of-run loss of scan `d` decays as n⁻² (error O(n⁻¹)), judged by
/// [`interval_verdict`] on the exponent fitted over the widths that have left the curve.
pub fn beta_claim(figure: &'static str, d: &ScanData, s: &LossScaling, what: &str) -> Claim {
    let (measured, _) = beta_measured(s.fit.as_ref().map(|f| &f.0));
    Claim {
        figure,
        claim: format!("{what}: the trained loss decays as n^-2 (error O(n^-1))"),
        prediction: format!(
            "β = {HEALED_EXPONENT} for the loss at the end of a long run (the paper's error O(n^-1), squared)"
        ),
        quantity: format!(
            "β of the end-of-run relative loss ℓ_n(t_end)/C_f vs n at t_end = {} (replica means, weighted log–log least squares) over n ∈ {:?}, the {}; 95 % percentile bootstrap over replicas ({} resamples){}; the polished values over the same widths: {}; per width (replica mean): {}",
            time_text(t_end(d)),
            s.used,
            fit_range_rule(),
            d.cfg.bootstrap,
            replica_caveat(d.cfg.replicas),
            beta_text(s.polished_fit.as_ref()),
            per_width_losses(s)
        ),
        measured,
        settings: settings(d),
        verdict: exponent_verdict(s, HEALED_EXPONENT),
        note: LOSS_NOTE.into(),
    }
}

/// Per width "n = 8: 1.2e3" (or "never") of the plateau escape times, joined by ", ".
pub fn escape_times(s: &LossScaling) -> String {
    s.widths
        .iter()
        .map(|w| {
            format!(
                "n = {}: {}",
                w.n,
                w.escape.map(num).unwrap_or_else(|| "not by t_end".into())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The claim that the widest width of scan `d` has learned (relative loss ≤ 0.05), judged by
/// [`learned_verdict`]; the quantity gives the plateau escape times of every width.
pub fn learned_claim(figure: &'static str, d: &ScanData, s: &LossScaling, what: &str) -> Claim {
    let widest = s.widths.last();
    let mean = widest.map(|w| w.mean).unwrap_or(f64::NAN);
    let measured = match s.widest_interval {
        Some(i) if mean.is_finite() => Measured::with_interval(mean, i),
        _ => Measured::value(mean),
    };
    Claim {
        figure,
        claim: format!("{what}: the widest width has learned the target"),
        prediction: format!(
            "relative loss ℓ_n(t_end)/C_f ≤ {} at the widest width (the issue's requirement for a width whose exponent is measured)",
            mf_stats::verdict::LEARNED_RELATIVE_LOSS
        ),
        quantity: format!(
            "replica mean of ℓ_n(t_end)/C_f at n = {} with its 95 % bootstrap interval ({} replicas){}; plateau escape time (first recorded t with replica-mean ℓ/C_f < {ESCAPE_LEVEL}) per width: {}",
            widest.map(|w| w.n).unwrap_or(0),
            widest.map(|w| w.values.len()).unwrap_or(0),
            replica_caveat(d.cfg.replicas),
            escape_times(s)
        ),
        measured,
        settings: settings(d),
        verdict: learned_verdict(mean, s.widest_interval),
        note: String::new(),
    }
}
