//! Verdicts on the paper's claims and the rules that decide them.
//!
//! A claim is measured ([`Measured`]: a value and, for fitted quantities, an interval) and judged
//! by a named rule that returns a [`Verdict`]: **agrees**, **disagrees** or **not resolved at
//! this scale**, always with the reason. Every threshold of every rule is a named constant here,
//! so that a rule reads in one place and can be changed in one place; each rule is a plain
//! function of numbers and intervals, tested on both sides of each of its thresholds.
//!
//! The exponents of the paper's scaling claims are judged by one rule, [`interval_verdict`]:
//! the prediction against the 95 % interval alone — after [`exponent_verdict`] has checked that
//! the fit is an exponent at all (three widths or more, a power law over them).
//!
//! ```
//! use mf_stats::verdict::{Verdict, interval_verdict};
//! let v = interval_verdict(-2.0, Some((-2.2, -1.9)));
//! assert!(matches!(v, Verdict::Agrees { .. }));
//! assert_eq!(v.to_string(), "agrees: the prediction -2 lies inside the 95 % interval [-2.2, -1.9]");
//! ```

use std::fmt;

/// The verdict on one claim, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The measurement agrees with the prediction.
    Agrees {
        /// Why (may be empty).
        reason: String,
    },
    /// The measurement contradicts the prediction.
    Disagrees {
        /// Why.
        reason: String,
    },
    /// The measurement cannot decide the claim with these widths, replicas and times.
    NotResolved {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// An agreeing verdict.
    pub fn agrees(reason: impl Into<String>) -> Self {
        Self::Agrees {
            reason: reason.into(),
        }
    }

    /// A disagreeing verdict.
    pub fn disagrees(reason: impl Into<String>) -> Self {
        Self::Disagrees {
            reason: reason.into(),
        }
    }

    /// A verdict that this scale cannot decide.
    pub fn not_resolved(reason: impl Into<String>) -> Self {
        Self::NotResolved {
            reason: reason.into(),
        }
    }

    /// The verdict's words: `agrees`, `disagrees` or `not resolved at this scale`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Agrees { .. } => "agrees",
            Self::Disagrees { .. } => "disagrees",
            Self::NotResolved { .. } => "not resolved at this scale",
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        match self {
            Self::Agrees { reason } | Self::Disagrees { reason } | Self::NotResolved { reason } => {
                reason
            }
        }
    }
}

/// The label, then the reason: after a space when the reason qualifies the label directly (it
/// starts with `(` or `with `, as in "agrees with n^-2 (healed fluctuations)"), after `: `
/// otherwise; an empty reason prints the label alone.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (label, reason) = (self.label(), self.reason());
        if reason.is_empty() {
            f.write_str(label)
        } else if reason.starts_with('(') || reason.starts_with("with ") {
            write!(f, "{label} {reason}")
        } else {
            write!(f, "{label}: {reason}")
        }
    }
}

/// A measured quantity: its value and, when it has one, its interval (low, high).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// The value (NaN when it could not be measured).
    pub value: f64,
    /// The interval, if any.
    pub interval: Option<(f64, f64)>,
}

impl Measured {
    /// A value without an interval.
    pub fn value(value: f64) -> Self {
        Self {
            value,
            interval: None,
        }
    }

    /// A value with its interval.
    pub fn with_interval(value: f64, interval: (f64, f64)) -> Self {
        Self {
            value,
            interval: Some(interval),
        }
    }
}

fn contains((lo, hi): (f64, f64), v: f64) -> bool {
    lo <= v && v <= hi
}

// ---------------------------------------------------------------------------------------------
// Exponents: the prediction against the interval (claims 1–6)

/// The loss exponent of CLT-level fluctuations, β = −1 (error O(n^-1/2)); also the predicted
/// exponent of E[ℓ_n(t)] − ℓ_∞(t) and of Var_R[ℓ_n(t)] at finite time.
pub const CLT_EXPONENT: f64 = -1.0;
/// The loss exponent once the fluctuations heal (RBF units), β = −2 (error O(n^-1)); also the
/// predicted exponent of Var_R\[f_n\] at long times.
pub const HEALED_EXPONENT: f64 = -2.0;
/// The widest interval (high − low) that can confirm a prediction; a prediction inside a wider
/// one is not resolved (outside any interval, it disagrees).
pub const MAX_RESOLVED_WIDTH: f64 = 0.5;

/// A measured quantity (an exponent, a difference of exponents) against its `prediction`,
/// from its interval alone:
///
/// - **not resolved** without an interval or with a non-finite end;
/// - **disagrees** when the prediction lies outside the interval, whatever its width (a 95 %
///   interval that excludes the prediction rejects it at the 5 % level; a wide one only
///   says the measured value is uncertain, not that the prediction may hold);
/// - **agrees** when the prediction lies inside (ends included) and the interval is at most
///   [`MAX_RESOLVED_WIDTH`] = 0.5 wide;
/// - **not resolved** when it lies inside a wider interval (the reason says what would
///   resolve it): a vague interval cannot confirm a prediction.
///
/// No allowance is added to the interval.
pub fn interval_verdict(prediction: f64, interval: Option<(f64, f64)>) -> Verdict {
    let Some((lo, hi)) = interval else {
        return Verdict::not_resolved(
            "no interval (fewer than two usable widths): more widths that have left the mean-field curve would resolve it",
        );
    };
    if !(lo.is_finite() && hi.is_finite()) {
        return Verdict::not_resolved(
            "the interval has a non-finite end: more replicas would resolve it",
        );
    }
    let width = hi - lo;
    let shown = format!("[{}, {}]", short(lo), short(hi));
    if !contains((lo, hi), prediction) {
        let side = if prediction < lo { "below" } else { "above" };
        Verdict::disagrees(format!(
            "the prediction {} lies {side} the 95 % interval {shown}",
            short(prediction)
        ))
    } else if width > MAX_RESOLVED_WIDTH {
        Verdict::not_resolved(format!(
            "the prediction {} lies inside the 95 % interval {shown}, but the interval is {} wide (> {MAX_RESOLVED_WIDTH}): more replicas per width (the interval shrinks like 1/√R) or more widths in the fit would resolve it",
            short(prediction),
            short(width)
        ))
    } else {
        Verdict::agrees(format!(
            "the prediction {} lies inside the 95 % interval {shown}",
            short(prediction)
        ))
    }
}

/// The fewest widths an exponent rests on: two widths give a secant, not a power law.
pub const MIN_EXPONENT_WIDTHS: usize = 3;

/// Why a fit cannot give an exponent to judge, or `None` when it can: fewer than
/// [`MIN_EXPONENT_WIDTHS`] widths, or a range that is not a power law
/// ([`crate::fit::PowerLawFit::is_power_law`]: consecutive local slopes differ beyond their
/// errors).
pub fn exponent_unresolved(fit: &crate::fit::PowerLawFit) -> Option<String> {
    let slopes = fit.local_slopes_text();
    if fit.points < MIN_EXPONENT_WIDTHS {
        Some(format!(
            "only {} widths ({:?}) in the fit, and an exponent needs {MIN_EXPONENT_WIDTHS} (two widths give a secant, local slope {slopes}): more widths in the regime of the fit would resolve it",
            fit.points, fit.widths
        ))
    } else if !fit.is_power_law() {
        Some(format!(
            "not a power law over n = {:?}: the local slopes {slopes} differ beyond their errors (smallest adjusted p = {:.2e} < {}), so no single exponent describes this range",
            fit.widths,
            fit.curvature_p.unwrap_or(f64::NAN),
            crate::fit::POWER_LAW_TEST_LEVEL
        ))
    } else {
        None
    }
}

/// A fitted exponent against its `prediction`: **not resolved** when the fit has fewer than
/// three widths or is not a power law over them ([`exponent_unresolved`], the reason saying
/// which and giving the local slopes), else [`interval_verdict`] on its interval.
pub fn exponent_verdict(prediction: f64, fit: &crate::fit::PowerLawFit) -> Verdict {
    match exponent_unresolved(fit) {
        Some(why) => Verdict::not_resolved(why),
        None => interval_verdict(
            prediction,
            Some((fit.beta_interval[0], fit.beta_interval[1])),
        ),
    }
}

/// Two fitted exponents against equality (β_a − β_b = 0): **not resolved** when either cannot
/// be judged ([`exponent_unresolved`]; a difference of secants or of curved ranges would agree
/// or disagree by the choice of window), else [`equal_exponents_verdict`] on the interval of
/// the difference.
pub fn difference_verdict(
    a: (&str, &crate::fit::PowerLawFit),
    b: (&str, &crate::fit::PowerLawFit),
    interval: (f64, f64),
) -> Verdict {
    for (name, f) in [a, b] {
        if let Some(why) = exponent_unresolved(f) {
            return Verdict::not_resolved(format!("the exponent of {name} is not resolved: {why}"));
        }
    }
    equal_exponents_verdict(Some(interval))
}

/// The smallest goodness-of-fit probability P(χ²_{K−3} ≥ χ²_min) at which the curve
/// ℓ_∞ + A n^β describes the replica means of an extrapolation ([`crate::extrapolate`]).
pub const CURVE_FIT_P: f64 = 0.05;

/// The exponent of an extrapolation ℓ_∞ + A n^β against `prediction`: **not resolved** when
/// there is no interval, when the interval reaches an end of the β grid (`open`: the data do
/// not bound β there), or when the curve does not describe the means (`chi2_p` <
/// [`CURVE_FIT_P`]: no single exponent does); else [`interval_verdict`].
pub fn extrapolation_verdict(
    prediction: f64,
    interval: Option<(f64, f64)>,
    chi2_p: f64,
    open: bool,
) -> Verdict {
    if interval.is_none_or(|(a, b)| !(a.is_finite() && b.is_finite())) {
        Verdict::not_resolved("no interval (replica errors are needed for the weights)")
    } else if open {
        Verdict::not_resolved(
            "the interval of β reaches an end of the grid: the data do not bound β there (more widths or replicas would)",
        )
    } else if chi2_p < CURVE_FIT_P {
        Verdict::not_resolved(format!(
            "the curve ℓ_∞ + A n^β does not describe the replica means (P(χ² ≥ χ²_min) = {} < {CURVE_FIT_P}): no single exponent describes this range",
            short(chi2_p)
        ))
    } else {
        interval_verdict(prediction, interval)
    }
}

/// Two exponents are equal (the loss exponent does not depend on d; online SGD with α ≥ 1 has
/// the GD rate) when the interval of their difference β_a − β_b — the t interval over both
/// scans, [`crate::fit::difference_interval`] — contains 0: [`interval_verdict`] with
/// prediction 0.
pub fn equal_exponents_verdict(difference_interval: Option<(f64, f64)>) -> Verdict {
    interval_verdict(0.0, difference_interval)
}

/// A number in at most 4 significant digits, without trailing zeros (`-2`, `-1.234`, `0.0001234`).
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// The relative loss at or below which a width has **learned** the target.
pub const LEARNED_RELATIVE_LOSS: f64 = 0.05;
/// The relative loss below which a run has **left the plateau** (the escape time is the first
/// recorded time below it): at d = 25 the plateau sits near 0.88 (the degree-1 part of the
/// target learned, the degree-3 part not).
pub const ESCAPE_LEVEL: f64 = 0.5;

/// Whether the widest width has learned, from its replica-mean end relative loss `mean` and the
/// 95 % interval of that mean (without one, the mean stands for both ends):
///
/// - **agrees** when the whole interval is at or below [`LEARNED_RELATIVE_LOSS`] = 0.05;
/// - **disagrees** when the whole interval is above 0.05 — a finding of the plateau when the
///   mean is at or above [`ESCAPE_LEVEL`] = 0.5 (it has not left the plateau by t_end), else
///   "left the plateau but not learned";
/// - **not resolved** when the interval straddles 0.05 or the mean is not a number.
pub fn learned_verdict(mean: f64, interval: Option<(f64, f64)>) -> Verdict {
    if !mean.is_finite() {
        return Verdict::not_resolved("no finished replica");
    }
    let (lo, hi) = interval
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .unwrap_or((mean, mean));
    if hi <= LEARNED_RELATIVE_LOSS {
        Verdict::agrees(format!(
            "learned: relative loss ≤ {LEARNED_RELATIVE_LOSS} over its whole interval"
        ))
    } else if lo > LEARNED_RELATIVE_LOSS && mean >= ESCAPE_LEVEL {
        Verdict::disagrees(format!(
            "finding: the widest width has not left the plateau by t_end (replica-mean relative loss {} ≥ {ESCAPE_LEVEL}); see the escape times against n and d",
            short(mean)
        ))
    } else if lo > LEARNED_RELATIVE_LOSS {
        Verdict::disagrees(format!(
            "the widest width has left the plateau but not learned: relative loss above {LEARNED_RELATIVE_LOSS} over its whole interval"
        ))
    } else {
        Verdict::not_resolved(format!(
            "the interval [{}, {}] straddles {LEARNED_RELATIVE_LOSS}: more replicas (or a longer run) would decide it",
            short(lo),
            short(hi)
        ))
    }
}

/// Whether some RBF width σ of a σ scan leaves the plateau by the scan's time, from the lowest
/// relative loss over the scan: **agrees** when it is below [`ESCAPE_LEVEL`], **not resolved**
/// otherwise (no σ of the scan has left the plateau by then: longer runs are needed).
pub fn sigma_scan_verdict(best_relative_loss: f64) -> Verdict {
    if best_relative_loss < ESCAPE_LEVEL {
        Verdict::agrees(format!(
            "the best σ of the scan has left the plateau (relative loss < {ESCAPE_LEVEL})"
        ))
    } else {
        Verdict::not_resolved(format!(
            "no σ of the scan has left the plateau (relative loss ≥ {ESCAPE_LEVEL}) by this time: longer runs are needed"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Law of large numbers (figure lln)

/// The largest relative gap between the early loss decrease of the second-widest width and of
/// the widest one for which the decay still counts as width-independent.
pub const LLN_EARLY_GAP_MAX: f64 = 0.1;

/// The early decay agrees with the law of large numbers when the gap of the second-widest width
/// `second` to the widest `widest` is below 10 % and no larger than the narrowest width's gap;
/// it disagrees otherwise.
pub fn lln_early_verdict(
    gap_second: f64,
    gap_narrowest: f64,
    second: usize,
    widest: usize,
) -> Verdict {
    if gap_second < LLN_EARLY_GAP_MAX && gap_second <= gap_narrowest {
        Verdict::agrees("the early decay coincides across widths, the gap shrinking with n")
    } else {
        Verdict::disagrees(format!(
            "the early decay of n = {second} differs from n = {widest} by {:.1} %",
            100.0 * gap_second
        ))
    }
}

/// The floors agree with "falling with n" when the final mean losses `(mean, (low, high))`, in
/// order of width, strictly decrease and the widest width's interval lies entirely below the
/// narrowest's; falling but overlapping, or not monotone, is not resolved.
pub fn floors_verdict(finals: &[(f64, (f64, f64))]) -> Verdict {
    let [first, .., last] = finals else {
        return Verdict::not_resolved("fewer than two widths");
    };
    let decreasing = finals.windows(2).all(|w| w[1].0 < w[0].0);
    let separated = last.1.1 < first.1.0;
    if decreasing && separated {
        Verdict::agrees("the final loss falls with n beyond the replica intervals")
    } else if decreasing {
        Verdict::not_resolved(
            "the final losses fall with n but the intervals of the extreme widths overlap",
        )
    } else {
        Verdict::not_resolved(
            "the final loss is not yet monotone in n (the floors are not reached)",
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Central limit theorem and healing (figure clt)

/// How many relative standard deviations of a replica variance the max/min ratio of n·Var may
/// exceed 1 by.
pub const CLT_NOISE_SDS: f64 = 3.0;

/// The largest max/min ratio of n·Var over the widths compatible with equal values, for a
/// variance estimated from `replicas` replicas: 1 + 3 √(2/(R−1)) (the relative standard
/// deviation of a variance from R samples is ≈ √(2/(R−1))).
pub fn clt_allowed_ratio(replicas: u64) -> f64 {
    1.0 + CLT_NOISE_SDS * (2.0 / (replicas as f64 - 1.0)).sqrt()
}

/// n·Var agrees with O(1) fluctuations (equal across widths) when its max/min ratio over the
/// widths is at most [`clt_allowed_ratio`] of the replicas, and disagrees otherwise.
pub fn clt_ratio_verdict(ratio: f64, replicas: u64) -> Verdict {
    let allowed = clt_allowed_ratio(replicas);
    if ratio <= allowed {
        Verdict::agrees(format!(
            "n·Var coincides across widths within a factor {allowed:.2}"
        ))
    } else {
        Verdict::disagrees(format!(
            "n·Var differs by a factor {ratio:.2} across widths"
        ))
    }
}

/// The fraction of its peak below which the final n·Var counts as healed.
pub const HEALED_FRACTION: f64 = 0.5;

/// The fluctuations agree with healing when the final n·Var is at most half its peak
/// (`last_over_peak` ≤ 0.5), and are not resolved otherwise.
pub fn healing_verdict(last_over_peak: f64) -> Verdict {
    if last_over_peak <= HEALED_FRACTION {
        Verdict::agrees("n·Var has fallen below half its peak")
    } else {
        Verdict::not_resolved("healing needs longer times")
    }
}

// ---------------------------------------------------------------------------------------------
// The network learns the target (figure fit)

/// The fit agrees with "closer for larger n" when the widest network's relative error is
/// strictly below the narrowest one's, and is not resolved otherwise.
pub fn fit_verdict(error_narrowest: f64, error_widest: f64) -> Verdict {
    if error_widest < error_narrowest {
        Verdict::agrees("the wider network is closer to the target")
    } else {
        Verdict::not_resolved("the wider network is not yet closer")
    }
}

// ---------------------------------------------------------------------------------------------
// Long times at finite n (figure long-time)

/// The largest relative fall of the loss over the last decade of time, (ℓ(t_end/10) − ℓ(t_end))
/// / ℓ(t_end/10), at which a replica classified diverging counts as approaching an infimum at
/// infinity: a loss still falling faster is in its relaxation, and the growth of its charges
/// may be the transient of that relaxation.
pub const SETTLED_DECADE_FALL: f64 = 0.1;

/// Whether the flow of one width reached a minimiser, from the end states of its replicas
/// (`mf_core::train::end_state`; replicas that end in the same state counted once):
/// `stationary`, `diverging` and `running` end states out of `replicas` (the rest did not
/// finish or have no end state), and `diverging_fall`, the largest relative fall of the loss
/// over the last decade of time among the diverging ones.
///
/// - **agrees** when every replica is stationary: a minimiser is reached;
/// - **disagrees** when a replica diverges and the loss of the diverging replicas has settled
///   (fell by at most 10 % over the last decade, [`SETTLED_DECADE_FALL`]): the loss approaches
///   an infimum at infinity while max|c| grows like a power of t, so there is no minimiser at
///   this width — a finding about finite n (the paper's convergence theorem is for n → ∞ and is
///   not contradicted by it), and a decided one, so not "not resolved";
/// - **not resolved** otherwise: replicas still running or unfinished, or classified diverging
///   while their loss still falls fast (or by an unknown amount).
pub fn stationary_verdict(
    stationary: usize,
    diverging: usize,
    running: usize,
    replicas: usize,
    diverging_fall: f64,
) -> Verdict {
    let finished = stationary + diverging + running;
    let missing = replicas.saturating_sub(finished);
    let unfinished = if missing > 0 {
        format!(", {missing} without an end state")
    } else {
        String::new()
    };
    let counts = format!("{stationary} stationary, {running} running{unfinished}");
    if finished == 0 {
        Verdict::not_resolved("no end state")
    } else if diverging > 0 && diverging_fall <= SETTLED_DECADE_FALL {
        Verdict::disagrees(format!(
            "finding: {diverging}/{replicas} end states diverge ({counts}): the loss approaches an infimum at infinity (it fell by {:.1} % over the last decade) while max|c| grows like a power of t, so there is no minimiser at this width, as the long runs suggested (a statement about finite n; the paper's convergence is for n → ∞)",
            100.0 * diverging_fall
        ))
    } else if diverging > 0 {
        Verdict::not_resolved(format!(
            "{diverging}/{replicas} end states end with growing charges ({counts}), but their loss still fell by {:.1} % over the last decade (> {:.0} %): still relaxing, so whether it approaches an infimum at infinity (no minimiser) needs longer times",
            100.0 * diverging_fall,
            100.0 * SETTLED_DECADE_FALL
        ))
    } else if stationary == replicas {
        Verdict::agrees(format!(
            "a minimiser is reached: {stationary}/{replicas} end states stationary (‖v‖ below tolerance, Hessian positive semi-definite)"
        ))
    } else {
        Verdict::not_resolved(format!(
            "{stationary}/{replicas} end states stationary, {running} still running{unfinished}: neither a minimiser nor a divergence is established by t_end (longer times needed)"
        ))
    }
}

/// The largest relative gap (ℓ_n(t_end) − ℓ_polish)/ℓ_n(t_end) between the flow's final loss
/// and the polished one for which the flow counts as having reached its limit.
pub const POLISH_GAP_CONVERGED: f64 = 1e-2;
/// How far (relative) a polished loss may lie above the flow's final loss by round-off: a
/// descent-only polish starts at the flow's final state and cannot end above it.
pub const POLISH_ROUNDOFF: f64 = 1e-9;

/// The flow's final loss against the polished one, from the relative gaps
/// (ℓ_n(t_end) − ℓ_polish)/ℓ_n(t_end) of the widths `(n, gap)` (replica means). The polish is
/// a descent from the flow's final state, so ℓ_polish ≤ ℓ_n(t_end); it equals lim ℓ_n(t) when
/// the flow converges to the minimiser the polish reaches, and is never the flow at t.
///
/// `unconverged` counts the polishes that stopped before ‖v‖ reached their tolerance (budget,
/// stalled): their polished loss is a loss the descent reached, not a minimum.
///
/// - **agrees** (the flow is at its limit by t_end) when every gap is at most 1 %
///   ([`POLISH_GAP_CONVERGED`]), none is below −[`POLISH_ROUNDOFF`] and every polish
///   converged;
/// - **disagrees** when a polished loss lies above the flow's beyond round-off (the polish is
///   then not a bound: a defect of the polish, not of the flow);
/// - **not resolved** without gaps, with a gap that is not a number, when some gap exceeds 1 %
///   (the flow is still on its way at t_end), or when a polish did not converge.
pub fn polish_gap_verdict(gaps: &[(usize, f64)], unconverged: usize) -> Verdict {
    if gaps.is_empty() {
        return Verdict::not_resolved("no polished replicas");
    }
    if let Some((n, _)) = gaps.iter().find(|(_, g)| g.is_nan()) {
        return Verdict::not_resolved(format!("the gap of n = {n} could not be measured"));
    }
    if let Some((n, g)) = gaps.iter().find(|(_, g)| *g < -POLISH_ROUNDOFF) {
        return Verdict::disagrees(format!(
            "the polished loss of n = {n} lies {:.2e} (relative) above the flow's final loss, which a descent-only polish cannot: it is no bound there",
            -g
        ));
    }
    let (n, worst) = gaps
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("gaps");
    let polish = if unconverged > 0 {
        format!(
            "; {unconverged} polishes stopped before converging (their value is a loss the descent reached, not a minimum)"
        )
    } else {
        String::new()
    };
    if worst <= POLISH_GAP_CONVERGED && unconverged == 0 {
        Verdict::agrees(format!(
            "the flow's final loss is within {:.0} % of the polished minimum at every width: by t_end the flow is at its limit",
            100.0 * POLISH_GAP_CONVERGED
        ))
    } else if worst <= POLISH_GAP_CONVERGED {
        Verdict::not_resolved(format!(
            "the flow's final loss is within {:.0} % of the polished loss at every width, but not every polish reached a minimiser{polish}",
            100.0 * POLISH_GAP_CONVERGED
        ))
    } else {
        Verdict::not_resolved(format!(
            "the flow at t_end is still {:.1} % above the polished loss at n = {n}: lim ℓ_n(t) lies at or below the flow's final loss, and at or above the polished one if the flow ends at the polish's minimiser (the polish is a bound, not the flow at t_end){polish}",
            100.0 * worst
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask check-scaling`

/// The band the fitted variance exponent of online SGD with P ∝ n² must lie in.
pub const CHECK_SCALING_BAND: (f64, f64) = (-1.3, -0.7);
/// How far outside its interval the exponent −1 may lie in `check-scaling`.
pub const CHECK_SCALING_ALLOWANCE: f64 = 0.15;

/// The check of the variance exponent under online SGD with P ∝ n² agrees with the CLT
/// exponent −1 when `beta` lies in [−1.3, −0.7] and its interval, widened by 0.15 on each side,
/// contains −1; it disagrees otherwise.
pub fn check_scaling_verdict(beta: f64, interval: (f64, f64)) -> Verdict {
    let in_band = contains(CHECK_SCALING_BAND, beta);
    let (lo, hi) = interval;
    let covers = contains(
        (lo - CHECK_SCALING_ALLOWANCE, hi + CHECK_SCALING_ALLOWANCE),
        CLT_EXPONENT,
    );
    match (in_band, covers) {
        (true, true) => Verdict::agrees("the exponent is in its band and reaches −1"),
        (false, _) => Verdict::disagrees("the exponent is outside [−1.3, −0.7]"),
        (true, false) => Verdict::disagrees("the interval misses −1 by more than 0.15"),
    }
}

#[cfg(test)]
mod tests;
