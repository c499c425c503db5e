//! Helpers shared by the figures: number formatting, settings text, rows of the loaded scans,
//! and the end-of-run loss against n of the scaling figures (`scaling-gd`, `scaling-dim`,
//! `relu`, `sgd-batch`): per-width summaries (distinct end states counted once), the widths
//! that have left the mean-field curve, the exponent fitted over the power-law range of them
//! with its local slopes, sensitivity and measured coverage, their series and claims.

use super::spec::{Basis, Claim, ScanData};
use crate::plot::{Series, Style};
use mf_stats::PowerLawFit;
use mf_stats::coverage::{Case, Coverage, Statistic, TRIALS, log_spreads, simulate};
use mf_stats::estimators::{first_time_below, mean_se, same_state_groups};
use mf_stats::fit::{
    INTERVAL_METHOD, INTERVAL_METHOD_TEXT, OFF_CURVE_SE, POWER_LAW_TEST_LEVEL, WidthEnd,
    fit_points, mean_points, off_curve_widths, power_law_range,
};
use mf_stats::inference::log_mean_interval;
use mf_stats::mf_core::config::StepRule;
use mf_stats::mf_core::output::{EndState, TraceRow};
use mf_stats::mf_core::{Mode, UnitKind};
use mf_stats::scan::{CellResult, FluctuationRow};
use mf_stats::verdict::{
    ESCAPE_LEVEL, HEALED_EXPONENT, MIN_EXPONENT_WIDTHS, Measured, Verdict, exponent_verdict,
    learned_verdict,
};
use std::hash::Hasher;

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

/// "replicas 0, 5, 6, 7 end in the same state; 3, 4 too" (empty when none coincide).
pub fn same_state_text(groups: &[Vec<u64>]) -> String {
    if groups.is_empty() {
        return String::new();
    }
    let g: Vec<String> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    format!(
        "replicas {} end in the same state (counted once)",
        g.join("; and ")
    )
}

/// The end of one width of a scan: the end-of-run relative losses of its distinct end states
/// and what the scaling figures show of them.
pub struct WidthSummary {
    /// Width n.
    pub n: usize,
    /// Finished replicas.
    pub replicas: usize,
    /// ℓ_n(t_end)/C_f per distinct end state.
    pub values: Vec<f64>,
    /// Groups of replicas that end in the same state.
    pub same: Vec<Vec<u64>>,
    /// Their mean.
    pub mean: f64,
    /// Standard error of the mean (NaN with one value).
    pub se: f64,
    /// Smallest and largest value.
    pub range: (f64, f64),
    /// The polished relative losses of the distinct end states with a polish.
    pub polished_values: Vec<f64>,
    /// Their (mean, smallest, largest).
    pub polished: Option<(f64, f64, f64)>,
    /// Distinct end states that are stationary.
    pub stationary: usize,
    /// The plateau escape time: the first recorded time at which the replica-mean relative loss
    /// is below [`ESCAPE_LEVEL`] (`None`: never by t_end).
    pub escape: Option<f64>,
}

/// The end-of-run relative loss of a scan against n, fitted over the power-law range of the
/// widths that have left the mean-field curve.
pub struct LossScaling {
    /// Per width with a finished replica, in increasing n.
    pub widths: Vec<WidthSummary>,
    /// The widths that have left the mean-field curve ([`off_curve_widths`]).
    pub off_curve: Vec<usize>,
    /// The widths of the fit: the power-law range of `off_curve` (`power_law_range`).
    pub used: Vec<usize>,
    /// The fit over `used` (two widths or more).
    pub fit: Option<PowerLawFit>,
    /// The coverage of its interval, measured by simulation at its widths, replicas and
    /// spreads.
    pub coverage: Option<Coverage>,
    /// The same fit of the polished values, over `used`.
    pub polished_fit: Option<PowerLawFit>,
    /// The t interval of the widest width's mean.
    pub widest_interval: Option<(f64, f64)>,
}

impl LossScaling {
    /// The values per width (distinct end states) of the widths in `ns`.
    pub fn samples(&self, ns: &[usize], polished: bool) -> Vec<(usize, Vec<f64>)> {
        self.widths
            .iter()
            .filter(|w| ns.contains(&w.n))
            .map(|w| {
                let v = if polished {
                    w.polished_values.clone()
                } else {
                    w.values.clone()
                };
                (w.n, v)
            })
            .collect()
    }
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

/// The [`Basis`] of a row resting on one fit.
pub fn fit_basis(f: Option<&PowerLawFit>, coverage: Option<Coverage>) -> Basis {
    match f {
        Some(f) => Basis {
            widths: vec![f.widths.clone()],
            replicas: vec![f.replicas.clone()],
            interval_method: INTERVAL_METHOD.into(),
            coverage,
        },
        None => Basis::default(),
    }
}

/// "; interval: …, which covered the true exponent in 95.3 % of 4000 simulated scans of
/// `model` at these widths and replicas" (empty without a coverage).
pub fn coverage_text(c: Option<&Coverage>, model: &str) -> String {
    match c {
        Some(c) => format!(
            "; interval: {INTERVAL_METHOD_TEXT}, which covered the true exponent in {} of {model} with these widths and replicas (mf-stats coverage.rs)",
            c.text()
        ),
        None => String::new(),
    }
}

/// The model of the coverage simulation of a fit of means.
pub const MEAN_MODEL: &str = "lognormal replicas at the observed spreads";

/// The [`LossScaling`] of scan `d`.
pub fn loss_scaling(d: &ScanData) -> LossScaling {
    let level = d.cfg.level;
    let widths: Vec<WidthSummary> = d
        .groups
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trace.is_empty()))
        .map(|(n, cells)| {
            let replicas = cells.iter().filter(|c| !c.trace.is_empty()).count();
            let (kept, same) = distinct_cells(cells);
            let values: Vec<f64> = kept
                .iter()
                .filter_map(|c| c.trace.last().map(|r| r.relative_test_loss))
                .collect();
            let (m, se) = mean_se(&values);
            let pol: Vec<f64> = kept
                .iter()
                .filter_map(|c| c.polish.as_ref().map(|p| p.polished_relative_test_loss))
                .collect();
            let curve: Vec<(f64, f64)> = replica_stats(cells, 1.0, |r| Some(r.relative_test_loss))
                .iter()
                .map(|s| (s.0, s.1))
                .collect();
            WidthSummary {
                n: *n,
                replicas,
                mean: m,
                se,
                range: (min(&values), max(&values)),
                values,
                same,
                polished: (!pol.is_empty()).then(|| (mean(&pol), min(&pol), max(&pol))),
                polished_values: pol,
                stationary: kept
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
    let off_curve = off_curve_widths(&ends);
    let mut s = LossScaling {
        widths,
        off_curve,
        used: Vec::new(),
        fit: None,
        coverage: None,
        polished_fit: None,
        widest_interval: None,
    };
    let points = power_law_range(&mean_points(&s.samples(&s.off_curve, false)), level);
    s.used = points.iter().map(|p| p.n).collect();
    s.fit = fit_points(&points, level);
    s.coverage = s.fit.as_ref().map(|f| {
        mean_fit_coverage(
            f,
            &s.samples(&s.used, false),
            &format!("{}/end-loss", d.label),
        )
    });
    s.polished_fit =
        fit_points(&mean_points(&s.samples(&s.used, true)), level).filter(|f| f.widths == s.used);
    s.widest_interval = s
        .widths
        .last()
        .and_then(|w| log_mean_interval(&w.values, level));
    s
}

/// Palette index of the grey keys and guides.
pub const GREY: usize = 7;

/// The series of one scan's [`LossScaling`] in palette colour `color`: the mean of every width
/// as a marker with bars from the smallest to the largest end state (`label`; no line, so that
/// the fit can be seen), the polished values at their own n (triangles; a legend entry only
/// with `keys`), and the fitted power law (dashed, drawn across every width of the scan, its
/// label naming the widths it was fitted over and prefixed by `fit_prefix`).
pub fn loss_series(
    s: &LossScaling,
    label: &str,
    fit_prefix: &str,
    color: usize,
    keys: bool,
) -> Vec<Series> {
    let name = fit_prefix;
    let mut out = vec![Series {
        label: label.into(),
        points: s.widths.iter().map(|w| (w.n as f64, w.mean)).collect(),
        errors: Some(s.widths.iter().map(|w| w.range).collect()),
        style: Style::Markers,
        color: Some(color),
        hide_legend: false,
    }];
    let pol: Vec<&WidthSummary> = s.widths.iter().filter(|w| w.polished.is_some()).collect();
    if !pol.is_empty() {
        out.push(Series {
            label: format!("{name}polished (at its own n; bar: min–max)"),
            points: pol
                .iter()
                .map(|w| (w.n as f64, w.polished.expect("polished").0))
                .collect(),
            errors: Some(
                pol.iter()
                    .map(|w| {
                        let p = w.polished.expect("polished");
                        (p.1, p.2)
                    })
                    .collect(),
            ),
            style: Style::Triangles,
            color: Some(color),
            hide_legend: !keys,
        });
    }
    if let Some(f) = &s.fit {
        let (lo, hi) = (
            s.widths.first().map_or(1.0, |w| w.n as f64),
            s.widths.last().map_or(1.0, |w| w.n as f64),
        );
        out.push(Series {
            label: format!(
                "{name}fit over n = {}–{}: β = {:.2} [{:.2}, {:.2}]{}",
                f.fit_range[0],
                f.fit_range[1],
                f.beta,
                f.beta_interval[0],
                f.beta_interval[1],
                if f.points < MIN_EXPONENT_WIDTHS {
                    " (two widths: a secant)"
                } else if !f.is_power_law() {
                    " (not a power law)"
                } else {
                    ""
                }
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

/// Per width "n = 8: 1.2e-2 (polished 3.4e-3), 1/8 stationary (5 distinct end states of 8
/// replicas: …)", joined by "; ".
fn per_width_losses(s: &LossScaling) -> String {
    s.widths
        .iter()
        .map(|w| {
            let pol = w
                .polished
                .map(|p| format!(" (polished {})", num(p.0)))
                .unwrap_or_default();
            let distinct = if w.values.len() < w.replicas {
                format!(
                    " ({} distinct end states of {} replicas: {})",
                    w.values.len(),
                    w.replicas,
                    same_state_text(&w.same)
                )
            } else {
                String::new()
            };
            format!(
                "n = {}: {}{pol}, {}/{} stationary{distinct}",
                w.n,
                num(w.mean),
                w.stationary,
                w.values.len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How the widths of the fit are chosen, in words (the rules of [`off_curve_widths`] and
/// `power_law_range`).
pub fn fit_range_rule() -> String {
    format!(
        "widths that have left the mean-field curve ℓ_∞(t): every distinct end state stationary, or a mean end loss above the next wider width's by more than {OFF_CURVE_SE} combined standard errors (the widest width only when stationary; mf-stats fit.rs off_curve_widths); of those, the narrowest is dropped while at least three remain and consecutive local slopes differ beyond their errors (Welch t tests, Bonferroni, family-wise level {POWER_LAW_TEST_LEVEL}; fit.rs power_law_range) — a rule on the data's shape, never on the prediction"
    )
}

/// A fit in words: "β = −4.26 [−4.5, −4.0] (t, ν = 5.1) over n = [16, 32, 64] (replicas
/// [8, 8, 8]); local slopes …; without n = 16: β = …, without n = 64: β = …; power-law test
/// p = …", or "no fit".
pub fn fit_text(f: Option<&PowerLawFit>) -> String {
    let Some(f) = f else {
        return "no fit (fewer than two widths)".into();
    };
    let sens = match (f.beta_without_narrowest, f.beta_without_widest) {
        (Some(a), Some(b)) => format!(
            "; without n = {}: β = {}, without n = {}: β = {}",
            f.fit_range[0],
            num(a),
            f.fit_range[1],
            num(b)
        ),
        _ => String::new(),
    };
    let test = match f.curvature_p {
        Some(p) => format!("; equal local slopes: adjusted p = {p:.3}"),
        None => String::new(),
    };
    format!(
        "β = {} [{}, {}] (ν = {:.1}) over n = {:?} (replicas {:?}); local slopes {}{sens}{test}",
        num(f.beta),
        num(f.beta_interval[0]),
        num(f.beta_interval[1]),
        f.dof,
        f.widths,
        f.replicas,
        f.local_slopes_text()
    )
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

/// The verdict on a fitted exponent against `prediction` (`mf_stats::verdict::exponent_verdict`),
/// or not resolved when there is no fit; `why_none` says why there is none.
pub fn fit_verdict(f: Option<&PowerLawFit>, prediction: f64, why_none: &str) -> Verdict {
    match f {
        Some(f) => exponent_verdict(prediction, f),
        None => Verdict::not_resolved(format!(
            "{why_none}: an exponent needs {MIN_EXPONENT_WIDTHS} widths"
        )),
    }
}

/// The verdict on the exponent of a [`LossScaling`] against `prediction`.
pub fn scaling_verdict(s: &LossScaling, prediction: f64) -> Verdict {
    fit_verdict(
        s.fit.as_ref(),
        prediction,
        &format!(
            "only {} width(s) ({:?}) with two or more distinct end states have left the mean-field curve by t_end; longer runs (to stationary ends) or more widths would resolve it",
            s.used.len(),
            s.used
        ),
    )
}

/// The note of every loss-exponent row: the loss is fitted, not the error.
pub const LOSS_NOTE: &str = "the loss ℓ_n = ½‖f − f_n‖²_ν is fitted, not the error: an L² error ‖f − f_n‖ = O(n^-1) is a loss O(n^-2), so the fitted exponent is predicted to be −2 (−1 would be CLT-level fluctuations, error O(n^-1/2))";

/// The claim that the end-of-run loss of scan `d` decays as n⁻² (error O(n⁻¹)), judged by
/// [`scaling_verdict`] on the exponent fitted over the power-law range of the widths that have
/// left the curve.
pub fn beta_claim(figure: &'static str, d: &ScanData, s: &LossScaling, what: &str) -> Claim {
    let (measured, _) = beta_measured(s.fit.as_ref());
    Claim {
        figure,
        claim: format!("{what}: the trained loss decays as n^-2 (error O(n^-1))"),
        prediction: format!(
            "β = {HEALED_EXPONENT} for the loss at the end of a long run (the paper's error O(n^-1), squared)"
        ),
        quantity: format!(
            "β of the end-of-run relative loss ℓ_n(t_end)/C_f vs n at t_end = {} (means over the distinct end states of each width, least squares on log–log axes) over the {}: {}{}; the polished values over the same widths: {}; per width: {}",
            time_text(t_end(d)),
            fit_range_rule(),
            fit_text(s.fit.as_ref()),
            coverage_text(s.coverage.as_ref(), MEAN_MODEL),
            fit_text(s.polished_fit.as_ref()),
            per_width_losses(s)
        ),
        measured,
        settings: settings(d),
        verdict: scaling_verdict(s, HEALED_EXPONENT),
        note: LOSS_NOTE.into(),
        basis: fit_basis(s.fit.as_ref(), s.coverage),
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
/// [`learned_verdict`] on the t interval of its mean; the quantity gives the plateau escape
/// times of every width.
pub fn learned_claim(figure: &'static str, d: &ScanData, s: &LossScaling, what: &str) -> Claim {
    let widest = s.widths.last();
    let mean = widest.map(|w| w.mean).unwrap_or(f64::NAN);
    let measured = match s.widest_interval {
        Some(i) if mean.is_finite() => Measured::with_interval(mean, i),
        _ => Measured::value(mean),
    };
    let coverage = widest.filter(|w| w.values.len() >= 2).map(|w| {
        mf_stats::coverage::simulate_mean(
            w.values.len(),
            log_spreads(&[(w.n, w.values.clone())])[0],
            TRIALS,
            d.cfg.level,
            coverage_seed(&format!("{}/widest-mean", d.label)),
        )
    });
    Claim {
        figure,
        claim: format!("{what}: the widest width has learned the target"),
        prediction: format!(
            "relative loss ℓ_n(t_end)/C_f ≤ {} at the widest width (the issue's requirement for a width whose exponent is measured)",
            mf_stats::verdict::LEARNED_RELATIVE_LOSS
        ),
        quantity: format!(
            "mean of ℓ_n(t_end)/C_f over the {} distinct end states at n = {} with its 95 % t interval{}; plateau escape time (first recorded t with replica-mean ℓ/C_f < {ESCAPE_LEVEL}) per width: {}",
            widest.map(|w| w.values.len()).unwrap_or(0),
            widest.map(|w| w.n).unwrap_or(0),
            coverage
                .map(|c| format!(
                    " (it covered the true mean in {} of lognormal replicas at this spread)",
                    c.text()
                ))
                .unwrap_or_default(),
            escape_times(s)
        ),
        measured,
        settings: settings(d),
        verdict: learned_verdict(mean, s.widest_interval),
        note: String::new(),
        basis: Basis {
            widths: widest.map(|w| vec![vec![w.n]]).unwrap_or_default(),
            replicas: widest
                .map(|w| vec![vec![w.values.len()]])
                .unwrap_or_default(),
            interval_method: if s.widest_interval.is_some() {
                "jackknife-t (ln mean)".into()
            } else {
                String::new()
            },
            coverage,
        },
    }
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
