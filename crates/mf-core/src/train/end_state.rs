//! The end state of a run: stationary, diverging or still running — decided from the last
//! trace rows and, in exact mode, the Hessian. Each threshold is a named constant.
//!
//! - **stationary**: the RMS velocity component is small, ‖v‖ ≤ [`STATIONARY_GRAD`] · √(N C_f)
//!   (N = n(q + 1) parameters; v = −n∇ℓ in mean-field units), and the Hessian H = n∇²ℓ is
//!   positive semi-definite within round-off, λ_min(H) ≥ −[`PSD_ROUNDOFF`] · max|λ(H)|. Needs
//!   the Hessian (exact mode).
//! - **diverging**: at a late time, t_end ≥ [`MIN_LATE_TIME`] (before that the flow is in its
//!   relaxation, where growing charges are the transient of learning: at d = 5 every width
//!   leaves the mean-field curve by t ≈ 10⁴), over the last decade of time, t ∈ [t_end/10,
//!   t_end] (at least [`MIN_ROWS`] evaluations), the loss fell by more than [`FALLING_LOSS`]
//!   (relative) while max|c_i| grew at every evaluation like a power of t: the log–log slope
//!   b = Δ ln max|c| / Δ ln t is at least [`MIN_CHARGE_EXPONENT`] over the decade and its
//!   second half keeps at least [`POWER_LAW_KEEP`] of the first half's slope (a power law, not
//!   a saturation).
//! - **running**: neither.

use crate::output::{EndState, TraceRow};

/// Stationarity tolerance on the RMS velocity component, in units of √C_f.
pub const STATIONARY_GRAD: f64 = 1e-6;
/// Round-off allowance of the positive semi-definiteness test, relative to max|λ(H)|.
pub const PSD_ROUNDOFF: f64 = 1e-9;
/// Earliest end time at which a run can be called diverging.
pub const MIN_LATE_TIME: f64 = 1e4;
/// Fewest evaluations in the last decade of time for the divergence test.
pub const MIN_ROWS: usize = 3;
/// Smallest relative fall of the loss over the last decade for "still falling".
pub const FALLING_LOSS: f64 = 1e-3;
/// Smallest log–log slope of max|c| against t for "grows like a power of t".
pub const MIN_CHARGE_EXPONENT: f64 = 0.05;
/// Fraction of the first half's slope the second half must keep.
pub const POWER_LAW_KEEP: f64 = 0.5;

/// The end-state rule of the module docs: `grad_norm` = ‖v‖ at the end, `params` = N,
/// `cf` = C_f, `hessian` = (λ_min, max|λ|) of H when known. Returns the state and the numbers
/// that decided it, in words.
pub fn end_state(
    trace: &[TraceRow],
    grad_norm: f64,
    params: usize,
    cf: f64,
    hessian: Option<(f64, f64)>,
) -> (EndState, String) {
    let grad_tol = STATIONARY_GRAD * (params as f64 * cf).sqrt();
    if let Some((lmin, lmax)) = hessian
        && grad_norm <= grad_tol
        && lmin >= -PSD_ROUNDOFF * lmax
    {
        return (
            EndState::Stationary,
            format!(
                "‖v‖ = {grad_norm:.3e} ≤ {grad_tol:.3e} and λ_min(H) = {lmin:.3e} ≥ −{PSD_ROUNDOFF:e}·{lmax:.3e}"
            ),
        );
    }
    let stationary_miss = match hessian {
        Some((lmin, lmax)) => format!(
            "not stationary (‖v‖ = {grad_norm:.3e} vs {grad_tol:.3e}, λ_min(H) = {lmin:.3e}, max|λ| = {lmax:.3e})"
        ),
        None => format!("not stationary (no Hessian; ‖v‖ = {grad_norm:.3e})"),
    };
    match diverging(trace) {
        Ok(why) => (EndState::Diverging, format!("{why}; {stationary_miss}")),
        Err(why) => (EndState::Running, format!("{why}; {stationary_miss}")),
    }
}

/// The divergence test of the module docs: Ok(reason) when diverging, Err(reason) otherwise.
fn diverging(trace: &[TraceRow]) -> Result<String, String> {
    let Some(last) = trace.last() else {
        return Err("no evaluations".into());
    };
    let t_end = last.time;
    if t_end < MIN_LATE_TIME {
        return Err(format!(
            "t = {t_end} < {MIN_LATE_TIME:e}: still relaxing, too early to tell"
        ));
    }
    let rows: Vec<(f64, f64, f64)> = trace
        .iter()
        .filter(|r| r.time >= t_end / 10.0 && r.time > 0.0)
        .filter_map(|r| r.max_abs_c.map(|c| (r.time, r.test_loss, c)))
        .collect();
    if rows.len() < MIN_ROWS {
        return Err(format!(
            "{} evaluations in the last decade (need {MIN_ROWS})",
            rows.len()
        ));
    }
    let (first, end) = (rows[0], rows[rows.len() - 1]);
    let fall = (first.1 - end.1) / first.1;
    if fall.is_nan() || fall <= FALLING_LOSS {
        return Err(format!(
            "the loss fell by {fall:.2e} over t ∈ [{:.3e}, {:.3e}] (≤ {FALLING_LOSS:e})",
            first.0, end.0
        ));
    }
    if rows.windows(2).any(|w| w[1].2 < w[0].2) || first.2 <= 0.0 {
        return Err("max|c| did not grow at every evaluation of the last decade".into());
    }
    let slope = |a: (f64, f64, f64), b: (f64, f64, f64)| (b.2 / a.2).ln() / (b.0 / a.0).ln();
    let b = slope(first, end);
    let mid_t = (first.0 * end.0).sqrt();
    let mid = rows
        .iter()
        .copied()
        .min_by(|x, y| {
            (x.0 / mid_t)
                .ln()
                .abs()
                .total_cmp(&(y.0 / mid_t).ln().abs())
        })
        .expect("rows");
    let (b1, b2) = if mid.0 > first.0 && mid.0 < end.0 {
        (slope(first, mid), slope(mid, end))
    } else {
        (b, b)
    };
    if b < MIN_CHARGE_EXPONENT {
        return Err(format!(
            "max|c| grows like t^{b:.3} (< t^{MIN_CHARGE_EXPONENT})"
        ));
    }
    if b2 < POWER_LAW_KEEP * b1 {
        return Err(format!("max|c| is saturating (slope {b1:.3} then {b2:.3})"));
    }
    Ok(format!(
        "the loss fell by {:.1} % over the last decade while max|c| grew like t^{b:.3} (halves {b1:.3}, {b2:.3})",
        100.0 * fall
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time: f64, loss: f64, c: f64) -> TraceRow {
        TraceRow {
            step: time as u64,
            time,
            test_loss: loss,
            relative_test_loss: loss,
            train_loss: None,
            batch_loss: None,
            dt: None,
            rejected: None,
            mc_test_loss: None,
            grad_norm: None,
            max_abs_c: Some(c),
            min_pair_distance: None,
        }
    }

    /// ℓ = t^-a, max|c| = t^b on log-spaced times 1 … 10^6.
    fn trace(a: f64, b: impl Fn(f64) -> f64) -> Vec<TraceRow> {
        (0..=24)
            .map(|k| {
                let t = 10f64.powf(k as f64 / 4.0);
                row(t, t.powf(-a), b(t))
            })
            .collect()
    }

    #[test]
    fn stationary_needs_a_small_gradient_and_a_psd_hessian() {
        let tr = trace(0.0, |_| 1.0);
        let (n, cf) = (100, 4.0);
        let tol = STATIONARY_GRAD * (n as f64 * cf).sqrt();
        let psd = Some((0.0, 1.0));
        assert_eq!(
            end_state(&tr, 0.99 * tol, n, cf, psd).0,
            EndState::Stationary
        );
        assert_eq!(end_state(&tr, 1.01 * tol, n, cf, psd).0, EndState::Running);
        let edge = -PSD_ROUNDOFF * 2.0;
        assert_eq!(
            end_state(&tr, 0.5 * tol, n, cf, Some((0.99 * edge, 2.0))).0,
            EndState::Stationary
        );
        assert_eq!(
            end_state(&tr, 0.5 * tol, n, cf, Some((1.01 * edge, 2.0))).0,
            EndState::Running
        );
        // no Hessian: never stationary
        assert_ne!(end_state(&tr, 0.0, n, cf, None).0, EndState::Stationary);
    }

    #[test]
    fn diverging_needs_a_falling_loss_and_a_power_law_in_the_charges() {
        let big = 1.0;
        let d = |a: f64, b: f64| end_state(&trace(a, |t| t.powf(b)), big, 10, 1.0, None).0;
        // ℓ ∝ t^-0.7, |c| ∝ t^0.3: diverging
        assert_eq!(d(0.7, 0.3), EndState::Diverging);
        // charge exponent on both sides of the threshold
        assert_eq!(d(0.7, 1.01 * MIN_CHARGE_EXPONENT), EndState::Diverging);
        assert_eq!(d(0.7, 0.99 * MIN_CHARGE_EXPONENT), EndState::Running);
        // loss fall on both sides of the threshold: ℓ ∝ t^-a falls by 1 − 10^-a over a decade
        let a_edge = -(1.0 - FALLING_LOSS).log10();
        assert_eq!(d(1.05 * a_edge, 0.3), EndState::Diverging);
        assert_eq!(d(0.95 * a_edge, 0.3), EndState::Running);
        // a saturating |c|: slope b1 up to t_m = 10^5.5, then b2 — both sides of the keep rule
        let tm = 10f64.powf(5.5);
        let bent = |b1: f64, b2: f64| {
            move |t: f64| {
                if t <= tm {
                    t.powf(b1)
                } else {
                    tm.powf(b1) * (t / tm).powf(b2)
                }
            }
        };
        let k = POWER_LAW_KEEP;
        let at = |b2: f64| end_state(&trace(0.7, bent(0.3, b2)), big, 10, 1.0, None).0;
        assert_eq!(at(1.02 * k * 0.3), EndState::Diverging);
        assert_eq!(at(0.98 * k * 0.3), EndState::Running);
        // a |c| that shrinks somewhere in the last decade: running
        let wobble = |t: f64| {
            t.powf(0.3)
                * if (t - 1e5 * 3.16).abs() < 1e4 {
                    0.5
                } else {
                    1.0
                }
        };
        assert_eq!(
            end_state(&trace(0.7, wobble), big, 10, 1.0, None).0,
            EndState::Running
        );
        // too short a run: running
        assert_eq!(
            end_state(&trace(0.7, |t| t)[..4], big, 10, 1.0, None).0,
            EndState::Running
        );
    }
}
