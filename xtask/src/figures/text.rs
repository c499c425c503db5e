//! Text shared by the figures' claims: numbers as the CSVs print them, a scan's settings, times,
//! fits (exponent, interval, local slopes, sensitivity, power-law test) and their coverage in
//! words, the fit-range rule, distinct end states and escape times.

use super::scaling::LossScaling;
use super::spec::ScanData;
use mf_stats::PowerLawFit;
use mf_stats::coverage::Coverage;
use mf_stats::fit::{INTERVAL_METHOD_TEXT, OFF_CURVE_SE, POWER_LAW_TEST_LEVEL};
use mf_stats::mf_core::Mode;

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
        Mode::Exact => match b.step_rule.as_ref().map(|r| r.as_str()) {
            None | Some("adaptive") => {
                format!("exact population flow (adaptive steps, tol {:e})", b.tol)
            }
            Some(rule) => format!("exact population flow (step rule {rule}, tol {:e})", b.tol),
        },
        Mode::Online => match &d.cfg.batch_scaling {
            Some(s) => format!("online SGD, P = {}·n^{}, Δt = {}", s.p0, s.exponent, b.dt),
            None => format!("online SGD, P = {}, Δt = {}", b.batch, b.dt),
        },
        Mode::Gd => format!("gd, M = {}, Δt = {}", b.train_size, b.dt),
        Mode::Sgd => format!("sgd, M = {}, P = {}, Δt = {}", b.train_size, b.batch, b.dt),
    };
    let units = match b.units.as_str() {
        "rbf" => format!(
            "RBF σ = {:.3} (σ/R = {:.3})",
            b.resolved_sigma(),
            b.resolved_sigma() / (b.dim as f64).sqrt()
        ),
        "relu" => "ReLU".to_string(),
        other => format!("{other} units"),
    };
    let done: usize = d.groups.iter().map(|(_, c)| c.len()).sum();
    let polish = match &b.polish {
        Some(p) => format!(
            ", then a polish to ‖v‖ ≤ {:e} (≤ {} iterations)",
            p.tol, p.max_iterations
        ),
        None => String::new(),
    };
    let target = if b.target.is_default() {
        String::new()
    } else if b.target.as_str() == "teacher" {
        format!(
            ", target: teacher network of k = {} RBF units",
            b.teacher_width
                .unwrap_or(mf_stats::mf_core::target::DEFAULT_TEACHER_WIDTH)
        )
    } else {
        format!(", target {}", b.target.as_str())
    };
    format!(
        "{units}{target}, d = {}, {mode}, widths {:?}, {} replicas ({done} cells done), t = {}{polish}, seed {}",
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

/// How the widths of the fit are chosen, in words (the rules of `off_curve_widths` and
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
