//! The claims built from a [`LossScaling`]: the loss exponent and
//! whether the widest width has learned, with the basis of each row.

use super::replicas::coverage_seed;
use super::scaling::LossScaling;
use super::spec::{Basis, Claim, ScanData};
use super::text::{
    MEAN_MODEL, coverage_text, escape_times, fit_range_rule, fit_text, num, same_state_text,
    settings, t_end, time_text,
};
use mf_stats::PowerLawFit;
use mf_stats::coverage::{Coverage, TRIALS, log_spreads};
use mf_stats::fit::INTERVAL_METHOD;
use mf_stats::verdict::{
    ESCAPE_LEVEL, HEALED_EXPONENT, MIN_EXPONENT_WIDTHS, Measured, Verdict, exponent_verdict,
    learned_verdict,
};

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
