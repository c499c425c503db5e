//! The end state of a run: stationary, diverging or still running — decided from the trace
//! of the run (its last decade of time) and, in exact mode, the Hessian at the end. Each
//! threshold is a named constant.
//!
//! - **stationary**: the end point is a minimiser by the local tests *and* the trajectory has
//!   stopped moving.
//!   - Local: the RMS velocity component is small, ‖v‖ ≤ [`STATIONARY_GRAD`] · √(N C_f)
//!     (N = n(q + 1) parameters; v = −n∇ℓ in mean-field units), the Hessian H = n∇²ℓ is
//!     positive semi-definite within round-off, λ_min(H) ≥ −[`PSD_ROUNDOFF`] · max|λ(H)|, and
//!     the gradient is small in the Newton norm too: the decrease a Newton step predicts,
//!     δ = ½ gᵀ(∇²ℓ)⁻¹g = (1/2n) Σ_k (q_kᵀv)² / max(λ_k, [`PSD_ROUNDOFF`] max|λ|) (q_k, λ_k the
//!     eigenpairs of H), is at most [`STATIONARY_DECREASE`] · ℓ. Needs the Hessian (exact mode).
//!   - Trajectory: over the last decade of time, t ∈ [t_end/10, t_end] (at least [`MIN_ROWS`]
//!     evaluations), the loss fell by less than [`STATIONARY_DECADE_FALL`] = 1 % (relative) and
//!     max|c_i| did not grow like a power of t (its log–log slope over the decade is below
//!     [`MIN_CHARGE_EXPONENT`]). The local tests alone are not enough: the exact loss is so
//!     flat along some directions that a state with a tiny gradient and a positive Hessian
//!     still falls 53–62 % per decade, its charges growing like t^0.3 (d = 5, n = 16 at
//!     t = 10⁸): a slow, non-local descent that only the trajectory shows.
//! - **diverging**: at a late time, t_end ≥ [`MIN_LATE_TIME`] (before that the flow is in its
//!   relaxation, where growing charges are the transient of learning: at d = 5 every width
//!   leaves the mean-field curve by t ≈ 10⁴), over the last decade of time (at least
//!   [`MIN_ROWS`] evaluations), the loss fell by more than [`FALLING_LOSS`] (relative) while
//!   max|c_i| grew at every evaluation like a power of t: the log–log slope
//!   b = Δ ln max|c| / Δ ln t is at least [`MIN_CHARGE_EXPONENT`] over the decade and its
//!   second half keeps at least [`POWER_LAW_KEEP`] of the first half's slope (a power law, not
//!   a saturation).
//! - **running**: neither.
//!
//! [`reclassify`] applies the rule again to the trace and end diagnostics stored with a run
//! (scan cells computed under an earlier rule read as the current rule classifies them).

use crate::output::trace::TraceRow;
use serde::{Deserialize, Serialize};

/// What the end of a run looks like (the rule: the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndState {
    /// The gradient is below the stationarity tolerance (also in the Newton norm) and the
    /// Hessian is positive semi-definite within round-off (exact mode).
    Stationary,
    /// The loss is still falling while max|c_i| grows like a power of t: the loss approaches
    /// an infimum at infinity (no minimiser at this width).
    Diverging,
    /// Neither: the flow is still on its way.
    Running,
}

impl EndState {
    /// Name as written in `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stationary => "stationary",
            Self::Diverging => "diverging",
            Self::Running => "running",
        }
    }
}

/// The end-state diagnostics of a run (in `summary.json` and in scan cells).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndDiagnostics {
    /// ‖v‖ at the end (see [`TraceRow::grad_norm`]).
    pub grad_norm: f64,
    /// max_i |c_i| at the end.
    pub max_abs_c: f64,
    /// min_{i≠j} |z_i − z_j| at the end.
    pub min_pair_distance: f64,
    /// Smallest eigenvalue of H = n∇²ℓ at the end (exact mode).
    pub hessian_min_eigenvalue: Option<f64>,
    /// Largest |eigenvalue| of H (the scale of the round-off allowance).
    #[serde(default)]
    pub hessian_max_abs_eigenvalue: Option<f64>,
    /// The loss decrease a Newton step predicts, ½ gᵀ(∇²ℓ)⁻¹g (exact mode; see the end-state
    /// rule).
    #[serde(default)]
    pub newton_decrease: Option<f64>,
    /// The end state.
    pub end_state: EndState,
    /// Why that end state, in words (the numbers the rule saw).
    #[serde(default)]
    pub end_state_reason: String,
}

/// Stationarity tolerance on the RMS velocity component, in units of √C_f.
pub const STATIONARY_GRAD: f64 = 1e-6;
/// Round-off allowance of the positive semi-definiteness test, relative to max|λ(H)|.
pub const PSD_ROUNDOFF: f64 = 1e-9;
/// Largest Newton-predicted relative decrease δ/ℓ of a stationary state.
pub const STATIONARY_DECREASE: f64 = 1e-3;

/// What the Hessian says of the end state: its extreme eigenvalues and the Newton-predicted
/// decrease δ (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curvature {
    /// λ_min(H).
    pub min_eigenvalue: f64,
    /// max|λ(H)|.
    pub max_abs_eigenvalue: f64,
    /// δ = ½ gᵀ(∇²ℓ)⁻¹g with the eigenvalues floored at PSD_ROUNDOFF · max|λ|.
    pub newton_decrease: f64,
}

impl Curvature {
    /// From the eigendecomposition of H = n∇²ℓ (eigenvalues `ev`, eigenvectors the columns of
    /// `q`), the velocity v = −n∇ℓ (flat order) and the width n.
    pub fn from_eigen(ev: &[f64], q: faer::MatRef<'_, f64>, v: &[f64], n: usize) -> Self {
        let max_abs = ev.iter().fold(0.0f64, |m, l| m.max(l.abs()));
        let floor = (PSD_ROUNDOFF * max_abs).max(f64::MIN_POSITIVE);
        let mut sum = 0.0;
        for (k, &l) in ev.iter().enumerate() {
            let proj: f64 = (0..v.len()).map(|j| q[(j, k)] * v[j]).sum();
            sum += proj * proj / l.max(floor);
        }
        Self {
            min_eigenvalue: ev.first().copied().unwrap_or(0.0),
            max_abs_eigenvalue: max_abs,
            newton_decrease: sum / (2.0 * n as f64),
        }
    }
}
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
/// `cf` = C_f, `loss` = ℓ at the end, `curvature` from the Hessian when known. Returns the
/// state and the numbers that decided it, in words.
pub fn end_state(
    trace: &[TraceRow],
    grad_norm: f64,
    params: usize,
    cf: f64,
    loss: f64,
    curvature: Option<Curvature>,
) -> (EndState, String) {
    let grad_tol = STATIONARY_GRAD * (params as f64 * cf).sqrt();
    let local = curvature.is_some_and(|c| {
        grad_norm <= grad_tol
            && c.min_eigenvalue >= -PSD_ROUNDOFF * c.max_abs_eigenvalue
            && c.newton_decrease <= STATIONARY_DECREASE * loss
    });
    let settled = settled(trace);
    if local && settled.holds {
        let trajectory = &settled.saw;
        let c = curvature.expect("local tests need the Hessian");
        return (
            EndState::Stationary,
            format!(
                "‖v‖ = {grad_norm:.3e} ≤ {grad_tol:.3e}, λ_min(H) = {:.3e} ≥ −{PSD_ROUNDOFF:e}·{:.3e}, Newton decrease δ/ℓ = {:.3e} ≤ {STATIONARY_DECREASE:e}; {trajectory}",
                c.min_eigenvalue,
                c.max_abs_eigenvalue,
                c.newton_decrease / loss
            ),
        );
    }
    let local_text = match curvature {
        Some(c) => format!(
            "‖v‖ = {grad_norm:.3e} vs {grad_tol:.3e}, λ_min(H) = {:.3e}, max|λ| = {:.3e}, Newton decrease δ/ℓ = {:.3e} vs {STATIONARY_DECREASE:e}",
            c.min_eigenvalue,
            c.max_abs_eigenvalue,
            c.newton_decrease / loss
        ),
        None => format!("no Hessian; ‖v‖ = {grad_norm:.3e}"),
    };
    let stationary_miss = match (&settled, local) {
        (
            Finding {
                holds: false,
                saw: why,
            },
            true,
        ) => format!(
            "not stationary: the local tests pass ({local_text}) but the trajectory has not settled: {why}"
        ),
        _ => format!("not stationary ({local_text})"),
    };
    let d = diverging(trace);
    match d.holds {
        true => (EndState::Diverging, format!("{}; {stationary_miss}", d.saw)),
        false => (EndState::Running, format!("{}; {stationary_miss}", d.saw)),
    }
}

/// One test of the rule: whether it holds, and what it saw (the numbers, in words).
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    holds: bool,
    saw: String,
}

impl Finding {
    fn yes(saw: String) -> Self {
        Self { holds: true, saw }
    }

    fn no(saw: impl Into<String>) -> Self {
        Self {
            holds: false,
            saw: saw.into(),
        }
    }
}

/// Largest relative fall of the loss over the last decade of time of a stationary run.
pub const STATIONARY_DECADE_FALL: f64 = 0.01;

/// The rows of the last decade of time, [t_end/10, t_end], with a recorded max|c|: (t, ℓ,
/// max|c|); Err when fewer than [`MIN_ROWS`].
fn last_decade(trace: &[TraceRow]) -> Result<Vec<(f64, f64, f64)>, String> {
    let Some(last) = trace.last() else {
        return Err("no evaluations".into());
    };
    let t_end = last.time;
    let rows: Vec<(f64, f64, f64)> = trace
        .iter()
        .filter(|r| r.time >= t_end / 10.0 && r.time > 0.0)
        .filter_map(|r| r.max_abs_c.map(|c| (r.time, r.test_loss, c)))
        .collect();
    if rows.len() < MIN_ROWS {
        return Err(format!(
            "{} evaluations in the last decade of time (need {MIN_ROWS})",
            rows.len()
        ));
    }
    Ok(rows)
}

/// The log–log slope of max|c| against t between two rows (0 when max|c| is 0 at both).
fn charge_slope(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
    if a.2 <= 0.0 && b.2 <= 0.0 {
        return 0.0;
    }
    (b.2 / a.2).ln() / (b.0 / a.0).ln()
}

/// The trajectory test of a stationary end (module docs): it holds when over the last decade
/// the loss fell by less than [`STATIONARY_DECADE_FALL`] and max|c| grew slower than
/// t^[`MIN_CHARGE_EXPONENT`].
fn settled(trace: &[TraceRow]) -> Finding {
    let rows = match last_decade(trace) {
        Ok(rows) => rows,
        Err(why) => return Finding::no(why),
    };
    let (first, end) = (rows[0], rows[rows.len() - 1]);
    let fall = (first.1 - end.1) / first.1;
    let b = charge_slope(first, end);
    if fall.is_nan() || fall >= STATIONARY_DECADE_FALL {
        return Finding::no(format!(
            "the loss fell by {:.1} % over t ∈ [{:.3e}, {:.3e}] (≥ {} %)",
            100.0 * fall,
            first.0,
            end.0,
            100.0 * STATIONARY_DECADE_FALL
        ));
    }
    if b.is_nan() || b >= MIN_CHARGE_EXPONENT {
        return Finding::no(format!(
            "max|c| grew like t^{b:.3} over the last decade (≥ t^{MIN_CHARGE_EXPONENT})"
        ));
    }
    Finding::yes(format!(
        "over the last decade the loss fell by {:.2} % and max|c| grew like t^{b:.3}",
        100.0 * fall
    ))
}

/// The end state of a stored run by the current rule: its trace, the end diagnostics written
/// with it (‖v‖ and the Hessian's numbers), its parameter count N and C_f. The end loss is the
/// trace's last test loss (the diagnostics are computed right after the last evaluation).
pub fn reclassify(
    trace: &[TraceRow],
    end: &EndDiagnostics,
    params: usize,
    cf: f64,
) -> (EndState, String) {
    let loss = trace.last().map_or(f64::NAN, |r| r.test_loss);
    let curvature = match (
        end.hessian_min_eigenvalue,
        end.hessian_max_abs_eigenvalue,
        end.newton_decrease,
    ) {
        (Some(min_eigenvalue), Some(max_abs_eigenvalue), Some(newton_decrease)) => {
            Some(Curvature {
                min_eigenvalue,
                max_abs_eigenvalue,
                newton_decrease,
            })
        }
        _ => None,
    };
    end_state(trace, end.grad_norm, params, cf, loss, curvature)
}

/// The divergence test of the module docs: it holds when the run diverges.
fn diverging(trace: &[TraceRow]) -> Finding {
    let t_end = trace.last().map_or(0.0, |r| r.time);
    if t_end < MIN_LATE_TIME {
        return Finding::no(format!(
            "t = {t_end} < {MIN_LATE_TIME:e}: still relaxing, too early to tell"
        ));
    }
    let rows = match last_decade(trace) {
        Ok(rows) => rows,
        Err(why) => return Finding::no(why),
    };
    let (first, end) = (rows[0], rows[rows.len() - 1]);
    let fall = (first.1 - end.1) / first.1;
    if fall.is_nan() || fall <= FALLING_LOSS {
        return Finding::no(format!(
            "the loss fell by {fall:.2e} over t ∈ [{:.3e}, {:.3e}] (≤ {FALLING_LOSS:e})",
            first.0, end.0
        ));
    }
    if rows.windows(2).any(|w| w[1].2 < w[0].2) || first.2 <= 0.0 {
        return Finding::no("max|c| did not grow at every evaluation of the last decade");
    }
    let b = charge_slope(first, end);
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
        (charge_slope(first, mid), charge_slope(mid, end))
    } else {
        (b, b)
    };
    if b < MIN_CHARGE_EXPONENT {
        return Finding::no(format!(
            "max|c| grows like t^{b:.3} (< t^{MIN_CHARGE_EXPONENT})"
        ));
    }
    if b2 < POWER_LAW_KEEP * b1 {
        return Finding::no(format!("max|c| is saturating (slope {b1:.3} then {b2:.3})"));
    }
    Finding::yes(format!(
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

    /// ℓ = t^-a, max|c| = b(t) on log-spaced times 1 … 10^6.
    fn trace(a: f64, b: impl Fn(f64) -> f64) -> Vec<TraceRow> {
        (0..=24)
            .map(|k| {
                let t = 10f64.powf(k as f64 / 4.0);
                row(t, t.powf(-a), b(t))
            })
            .collect()
    }

    fn curv(lmin: f64, lmax: f64, delta: f64) -> Option<Curvature> {
        Some(Curvature {
            min_eigenvalue: lmin,
            max_abs_eigenvalue: lmax,
            newton_decrease: delta,
        })
    }

    #[test]
    fn stationary_needs_a_small_gradient_a_psd_hessian_and_a_small_newton_decrease() {
        let tr = trace(0.0, |_| 1.0);
        let (n, cf, loss) = (100, 4.0, 0.5);
        let tol = STATIONARY_GRAD * (n as f64 * cf).sqrt();
        let psd = curv(0.0, 1.0, 0.0);
        let st = |g: f64, c: Option<Curvature>| end_state(&tr, g, n, cf, loss, c).0;
        assert_eq!(st(0.99 * tol, psd), EndState::Stationary);
        assert_eq!(st(1.01 * tol, psd), EndState::Running);
        let edge = -PSD_ROUNDOFF * 2.0;
        assert_eq!(
            st(0.5 * tol, curv(0.99 * edge, 2.0, 0.0)),
            EndState::Stationary
        );
        assert_eq!(
            st(0.5 * tol, curv(1.01 * edge, 2.0, 0.0)),
            EndState::Running
        );
        let d = STATIONARY_DECREASE * loss;
        assert_eq!(
            st(0.5 * tol, curv(0.0, 1.0, 0.99 * d)),
            EndState::Stationary
        );
        assert_eq!(st(0.5 * tol, curv(0.0, 1.0, 1.01 * d)), EndState::Running);
        // no Hessian: never stationary
        assert_ne!(st(0.0, None), EndState::Stationary);
    }

    #[test]
    fn stationary_also_needs_a_settled_trajectory_on_both_sides_of_each_threshold() {
        // every local test passes; the trajectory decides
        let (n, cf, loss) = (100, 4.0, 0.5);
        let psd = curv(0.0, 1.0, 0.0);
        let st = |tr: &[TraceRow]| end_state(tr, 0.0, n, cf, loss, psd);
        // loss ∝ t^-a falls by 1 − 10^-a over a decade: the 1 % threshold at a = −log10(0.99)
        let a_edge = -(1.0 - STATIONARY_DECADE_FALL).log10();
        assert_eq!(st(&trace(0.98 * a_edge, |_| 1.0)).0, EndState::Stationary);
        let (state, why) = st(&trace(1.02 * a_edge, |_| 1.0));
        assert_eq!(state, EndState::Running);
        assert!(
            why.contains("local tests pass") && why.contains("the loss fell"),
            "{why}"
        );
        // charges growing like t^b: the threshold MIN_CHARGE_EXPONENT
        let c = |b: f64| move |t: f64| t.powf(b);
        assert_eq!(
            st(&trace(0.0, c(0.98 * MIN_CHARGE_EXPONENT))).0,
            EndState::Stationary
        );
        let (state, why) = st(&trace(0.0, c(1.02 * MIN_CHARGE_EXPONENT)));
        assert_eq!(state, EndState::Running);
        assert!(why.contains("max|c| grew like t^0.051"), "{why}");
        // the d = 5, n = 16 picture: a 55 % fall per decade and |c| ∝ t^0.33 at t = 10⁸ with
        // every local test passing is diverging, not stationary
        let tr: Vec<TraceRow> = (0..=32)
            .map(|k| {
                let t = 10f64.powf(k as f64 / 4.0);
                row(t, 0.05 * t.powf(-0.35), 3.0 * t.powf(0.33))
            })
            .collect();
        assert_eq!(st(&tr).0, EndState::Diverging);
        // too few evaluations in the last decade: not stationary
        let sparse = vec![row(1.0, 1.0, 1.0), row(1e3, 1.0, 1.0), row(1e6, 1.0, 1.0)];
        let (state, why) = st(&sparse);
        assert_eq!(state, EndState::Running);
        assert!(why.contains("1 evaluations in the last decade"), "{why}");
        // a network with all charges zero has slope 0, not NaN
        assert_eq!(st(&trace(0.0, |_| 0.0)).0, EndState::Stationary);
    }

    #[test]
    fn reclassify_is_the_rule_on_the_stored_numbers() {
        let tr = trace(0.7, |t| t.powf(0.3));
        let end = EndDiagnostics {
            grad_norm: 1e-9,
            max_abs_c: 1.0,
            min_pair_distance: 1.0,
            hessian_min_eigenvalue: Some(0.0),
            hessian_max_abs_eigenvalue: Some(1.0),
            newton_decrease: Some(0.0),
            end_state: EndState::Stationary,
            end_state_reason: "an earlier rule".into(),
        };
        let loss = tr.last().unwrap().test_loss;
        let want = end_state(&tr, 1e-9, 10, 1.0, loss, curv(0.0, 1.0, 0.0));
        assert_eq!(reclassify(&tr, &end, 10, 1.0), want);
        assert_eq!(want.0, EndState::Diverging);
        // no Hessian stored (sampled modes): never stationary
        let flat = trace(0.0, |_| 1.0);
        let sampled = EndDiagnostics {
            hessian_min_eigenvalue: None,
            hessian_max_abs_eigenvalue: None,
            newton_decrease: None,
            ..end
        };
        assert_eq!(reclassify(&flat, &sampled, 10, 1.0).0, EndState::Running);
    }

    #[test]
    fn the_newton_decrease_of_a_known_quadratic() {
        // ℓ = ½ Σ a_k θ_k² in the eigenbasis (q = I): v = −n a θ, H = n a:
        // δ = (1/2n) Σ (n a_k θ_k)² / (n a_k) = ½ Σ a_k θ_k² = ℓ (Newton lands on the minimum)
        let n = 4;
        let a = [1e-3, 0.5, 2.0, 10.0];
        let th = [0.3, -1.0, 0.25, 0.1];
        let ev: Vec<f64> = a.iter().map(|x| n as f64 * x).collect();
        let q = faer::Mat::<f64>::identity(4, 4);
        let v: Vec<f64> = a
            .iter()
            .zip(&th)
            .map(|(x, t)| -(n as f64) * x * t)
            .collect();
        let c = Curvature::from_eigen(&ev, q.as_ref(), &v, n);
        let loss: f64 = a.iter().zip(&th).map(|(x, t)| 0.5 * x * t * t).sum();
        assert!(
            (c.newton_decrease - loss).abs() < 1e-15 * loss.max(1.0),
            "{c:?}"
        );
        assert_eq!(c.min_eigenvalue, ev[0]);
        assert_eq!(c.max_abs_eigenvalue, ev[3]);
    }

    #[test]
    fn diverging_needs_a_late_falling_loss_and_a_power_law_in_the_charges() {
        let big = 1.0;
        let d = |a: f64, b: f64| end_state(&trace(a, |t| t.powf(b)), big, 10, 1.0, 1.0, None).0;
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
        let at = |b2: f64| end_state(&trace(0.7, bent(0.3, b2)), big, 10, 1.0, 1.0, None).0;
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
            end_state(&trace(0.7, wobble), big, 10, 1.0, 1.0, None).0,
            EndState::Running
        );
        // too early a run: running, on both sides of the late-time threshold
        let upto = |t_end: f64| {
            let tr: Vec<TraceRow> = trace(0.7, |t| t.powf(0.3))
                .into_iter()
                .filter(|r| r.time <= t_end)
                .collect();
            end_state(&tr, big, 10, 1.0, 1.0, None).0
        };
        assert_eq!(upto(MIN_LATE_TIME), EndState::Diverging);
        assert_eq!(upto(0.99 * MIN_LATE_TIME), EndState::Running);
    }
}
