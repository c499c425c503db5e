//! Figure 6 (`clt`): n · Var_replicas[f_n(x)] versus time for several n, and its healing at
//! long times.

use super::claims::{beta_measured, fit_basis, fit_verdict};
use super::replicas::{distinct_cells, rows_of, variance_fit_coverage, widths_with_rows};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{coverage_text, fit_text, same_state_text, settings, time_text};
use crate::configs::exact_d5_long;
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::fit::{fit_points, power_law_range};
use mf_stats::scan::final_variance_points;
use mf_stats::verdict::{
    HEALED_EXPONENT, Measured, clt_allowed_ratio, clt_ratio_verdict, healing_verdict,
};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "clt",
    description: "n · Var_replicas[f_n(x)] averaged over 256 probe points versus time for several n (exact gradient flow, RBF, d = 5, scan exact-d5-long, to t = 10⁸): at finite times the curves coincide (fluctuations O(n^-1/2), CLT); at long times they decay (healing), and the variance itself falls like n⁻² (fluctuations O(n⁻¹)). Claims: the CLT ratio at finite times (t ≤ 1000), the fall of n·Var below its peak, and the exponent of Var_R[f_n] at the final time against −2.",
    quick: || vec![exact_d5_long(true)],
    full: || vec![exact_d5_long(false)],
    build,
};

/// The narrowest width compared (narrower ones are far from the CLT regime).
const MIN_WIDTH: usize = 16;
/// The earliest time compared (n·Var starts at its initial value).
const MIN_TIME: f64 = 1.0;
/// The latest time of the finite-time CLT comparison: before any width from 16 on has left the
/// mean-field curve (n = 8 leaves it near t ≈ 10³, n = 32 near 10⁴), where healing has not
/// begun.
const MAX_CLT_TIME: f64 = 1000.0;

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
            .filter(|r| r.time >= MIN_TIME && r.time <= MAX_CLT_TIME)
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
                "median over recorded times {MIN_TIME} ≤ t ≤ {MAX_CLT_TIME} of max/min over n ∈ {used:?} of n·Var"
            ),
            measured: Measured::value(ratio),
            settings: settings(d),
            verdict: clt_ratio_verdict(ratio, d.cfg.replicas),
            note: String::new(),
            basis: Basis::default(),
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
            quantity: format!(
                "n·Var at t = {} over its peak, n = {widest}",
                time_text(last.time)
            ),
            measured: Measured::value(heal),
            settings: settings(d),
            verdict: healing_verdict(heal),
            note: String::new(),
            basis: Basis::default(),
        });
    }
    if let Some(c) = healing_exponent_claim(d) {
        claims.push(c);
    }
    Ok(FigureOutput {
        figure: Figure {
            title: "CLT and healing: n · Var_replicas[f_n(x)] vs time (RBF, d = 5, exact)".into(),
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

/// The healing exponent: ½ mean_k Var_R[f_n(x_k)] at the final time against n, predicted n⁻²,
/// over the power-law range of the widths with three replicas or more (`None` without any).
fn healing_exponent_claim(d: &ScanData) -> Option<Claim> {
    let points = final_variance_points(&d.cfg, &d.groups, &d.probe);
    if points.is_empty() {
        return None;
    }
    let all: Vec<usize> = points.iter().map(|p| p.n).collect();
    let fit = fit_points(&power_law_range(&points, d.cfg.level), d.cfg.level);
    let coverage = fit
        .as_ref()
        .map(|f| variance_fit_coverage(f, &format!("{}/healing", d.label)));
    let (measured, _) = beta_measured(fit.as_ref());
    let same: Vec<String> = d
        .groups
        .iter()
        .filter_map(|(n, cells)| {
            let (_, groups) = distinct_cells(cells);
            (!groups.is_empty()).then(|| format!("n = {n}: {}", same_state_text(&groups)))
        })
        .collect();
    let same = if same.is_empty() {
        String::new()
    } else {
        format!(
            "; every replica enters the variance, also those ending in the same state ({})",
            same.join("; ")
        )
    };
    Some(Claim {
        figure: SPEC.name,
        claim: "the fluctuations heal at long times: Var_R[f_n] = O(n^-2)".into(),
        prediction: format!(
            "β = {HEALED_EXPONENT} for the replica variance of f_n at the end of a long run (fluctuations O(n^-1) once healed, so n·Var ∝ n^-1)"
        ),
        quantity: format!(
            "β of ½ mean_k Var_R[f_n(x_k)] over the {} probe points at t_end = {} (n_var/(2n) of the last row of fluctuations.csv) vs n, least squares on log–log axes over the power-law range of n ∈ {all:?} (the narrowest dropped while at least three remain and consecutive local slopes differ beyond their errors): {}{}{same}",
            d.cfg.probe_size,
            time_text(d.cfg.base.steps as f64 * d.cfg.base.dt),
            fit_text(fit.as_ref()),
            coverage_text(coverage.as_ref(), "normal replicas"),
        ),
        measured,
        settings: settings(d),
        verdict: fit_verdict(
            fit.as_ref(),
            HEALED_EXPONENT,
            "fewer than two widths with three replicas",
        ),
        note: "the variance of f_n itself (not n·Var, not the loss): healed fluctuations of size n^-1 give Var ∝ n^-2".into(),
        basis: fit_basis(fit.as_ref(), coverage),
    })
}
