//! The end-of-run loss against n of the scaling figures (`scaling-gd`, `scaling-dim`, `relu`,
//! `sgd-batch`): per-width summaries (distinct end states counted once), the widths that have
//! left the mean-field curve, the exponent fitted over their power-law range, and its series.

use super::replicas::{
    coverage_seed, distinct_cells, max, mean, mean_fit_coverage, min, replica_stats,
};
use super::spec::ScanData;
use crate::plot::{Panel, Series, Style};
use mf_stats::PowerLawFit;
use mf_stats::coverage::{Case, Coverage, Statistic, TRIALS, log_spreads, simulate_difference};
use mf_stats::estimators::{first_time_below, mean_se};
use mf_stats::fit::{WidthEnd, fit_points, mean_points, off_curve_widths, power_law_range};
use mf_stats::inference::log_mean_interval;
use mf_stats::mf_core::output::EndState;
use mf_stats::verdict::{ESCAPE_LEVEL, MIN_EXPONENT_WIDTHS};

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
/// The plateau-escape times of one scan (k-th colour) against `x` of each width (n, or any
/// function of it): a series of the escape panel, its key hidden when no width escaped.
pub fn escape_series(s: &LossScaling, label: String, k: usize, x: impl Fn(usize) -> f64) -> Series {
    let points: Vec<(f64, f64)> = s
        .widths
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.escape.map(|t| (x(i), t)))
        .collect();
    Series {
        label,
        hide_legend: points.is_empty(),
        points,
        errors: None,
        style: Style::LineMarkers,
        color: Some(k),
    }
}

/// The panel of plateau-escape times below a figure (none when no width of any scan escaped).
pub fn escape_panel(escapes: Vec<Series>) -> Vec<Panel> {
    if escapes.iter().any(|s| !s.points.is_empty()) {
        vec![Panel {
            y_label: format!("plateau escape time (mean ℓ/C_f < {ESCAPE_LEVEL})"),
            log_y: true,
            series: escapes,
        }]
    } else {
        Vec::new()
    }
}

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

/// The coverage case of the fit of `s` (its widths, replicas and spreads; its β as the truth).
fn mean_case(f: &PowerLawFit, s: &LossScaling) -> Case {
    Case {
        widths: f.widths.clone(),
        replicas: f.replicas.clone(),
        spread: log_spreads(&s.samples(&f.widths, false)),
        beta: f.beta,
        statistic: Statistic::Mean,
    }
}

/// The coverage of the interval of β_a − β_b, two scans' fits of means, by simulation at both
/// scans' widths, replicas and spreads (`name` seeds it).
pub fn difference_coverage(
    a: (&PowerLawFit, &LossScaling),
    b: (&PowerLawFit, &LossScaling),
    level: f64,
    name: &str,
) -> Coverage {
    simulate_difference(
        &mean_case(a.0, a.1),
        &mean_case(b.0, b.1),
        TRIALS,
        level,
        coverage_seed(name),
    )
}
