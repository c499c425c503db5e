//! Verdicts on the paper's claims and the rules that decide them.
//!
//! A claim is measured ([`Measured`]: a value and, for fitted quantities, an interval) and judged
//! by a named rule that returns a [`Verdict`]: **agrees**, **disagrees** or **not resolved at
//! this scale**, always with the reason. Every threshold of every rule is a named constant here,
//! so that a rule reads in one place and can be changed in one place; each rule is a plain
//! function of numbers and intervals, tested on both sides of each of its thresholds.
//!
//! ```
//! use mf_stats::verdict::{Verdict, scaling_verdict};
//! let v = scaling_verdict(Some((-1.2, -0.8)));
//! assert!(matches!(v, Verdict::Agrees { .. }));
//! assert_eq!(v.to_string(), "agrees with n^-1 (CLT-level fluctuations)");
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
// Scaling of the trained loss with n

/// The loss exponent of CLT-level fluctuations, β = −1 (error O(n^-1/2)).
pub const CLT_EXPONENT: f64 = -1.0;
/// The loss exponent once the fluctuations heal (RBF units), β = −2 (error O(n^-1)).
pub const HEALED_EXPONENT: f64 = -2.0;
/// An exponent whose interval reaches above this is ≈ 0: the n-independent mean-field part of
/// the loss still dominates and the exponent is not resolved.
pub const RESOLVED_EXPONENT_MAX: f64 = -0.3;

/// A fitted loss exponent agrees with n^-1 or n^-2 when its interval (upper end ≤ −0.3)
/// contains −1 or −2, is not resolved when there is no interval, the interval reaches above −0.3
/// or lies within (−1, 0), and disagrees when it lies below −2 or strictly between −2 and −1.
pub fn scaling_verdict(interval: Option<(f64, f64)>) -> Verdict {
    let Some((lo, hi)) = interval else {
        return Verdict::not_resolved("fewer than two finished widths");
    };
    let has = |b: f64| contains((lo, hi), b);
    if !(lo.is_finite() && hi.is_finite()) {
        Verdict::not_resolved("no interval")
    } else if hi > RESOLVED_EXPONENT_MAX {
        Verdict::not_resolved(
            "β ≈ 0, the final loss is still dominated by its n-independent mean-field part ℓ_∞(t) (the floors are reached only at longer times)",
        )
    } else if has(CLT_EXPONENT) && has(HEALED_EXPONENT) {
        Verdict::agrees("(the interval cannot yet tell n^-1 from n^-2)")
    } else if has(HEALED_EXPONENT) {
        Verdict::agrees("with n^-2 (healed fluctuations)")
    } else if has(CLT_EXPONENT) {
        Verdict::agrees("with n^-1 (CLT-level fluctuations)")
    } else if lo > CLT_EXPONENT {
        Verdict::not_resolved("-1 < β < 0, the n-independent part of the loss is still significant")
    } else if hi < HEALED_EXPONENT {
        Verdict::disagrees("the loss falls faster than n^-2")
    } else {
        Verdict::disagrees("β lies strictly between -2 and -1")
    }
}

/// The exponents of several dimensions agree with "β does not depend on d" when every one is
/// resolved (an interval with upper end ≤ −0.3) and their intervals overlap pairwise, disagree
/// when resolved but some pair does not overlap, and are not resolved otherwise.
pub fn dimension_verdict(intervals: &[Option<(f64, f64)>]) -> Verdict {
    let resolved = intervals
        .iter()
        .all(|i| i.is_some_and(|(_, hi)| hi <= RESOLVED_EXPONENT_MAX));
    let fits: Vec<(f64, f64)> = intervals.iter().flatten().copied().collect();
    let overlap = fits
        .iter()
        .all(|a| fits.iter().all(|b| a.0 <= b.1 && b.0 <= a.1));
    if !resolved {
        Verdict::not_resolved("at least one dimension's exponent is not resolved (see its row)")
    } else if overlap {
        Verdict::agrees("the exponents' intervals overlap")
    } else {
        Verdict::disagrees("the exponents' intervals do not overlap")
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
// Batch size of online SGD (figure sgd-batch)

/// How far outside the exponent's interval the prediction may lie (the pre-asymptotic mixture
/// of the n^-1 and n^-2α terms bends the fitted exponent).
pub const SGD_BATCH_ALLOWANCE: f64 = 0.15;
/// The widest exponent interval that still decides the claim.
pub const SGD_BATCH_MAX_INTERVAL_WIDTH: f64 = 1.0;

/// The fluctuation exponent agrees with the prediction `predicted` when its interval, widened by
/// 0.15 on each side, contains it, is not resolved without an interval or when the interval is
/// wider than 1, and disagrees otherwise.
pub fn sgd_batch_verdict(interval: Option<(f64, f64)>, predicted: f64) -> Verdict {
    let Some((lo, hi)) = interval else {
        return Verdict::not_resolved("fewer than two finished widths");
    };
    if hi - lo > SGD_BATCH_MAX_INTERVAL_WIDTH {
        Verdict::not_resolved(format!(
            "interval wider than {SGD_BATCH_MAX_INTERVAL_WIDTH}"
        ))
    } else if contains(
        (lo - SGD_BATCH_ALLOWANCE, hi + SGD_BATCH_ALLOWANCE),
        predicted,
    ) {
        Verdict::agrees("")
    } else {
        Verdict::disagrees(format!(
            "predicted {predicted} is outside the interval (±{SGD_BATCH_ALLOWANCE})"
        ))
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
mod tests {
    use super::*;

    fn text(v: Verdict) -> String {
        v.to_string()
    }

    #[test]
    fn display_joins_label_and_reason() {
        assert_eq!(text(Verdict::agrees("")), "agrees");
        assert_eq!(text(Verdict::agrees("x")), "agrees: x");
        assert_eq!(text(Verdict::agrees("(x)")), "agrees (x)");
        assert_eq!(text(Verdict::agrees("with x")), "agrees with x");
        assert_eq!(text(Verdict::disagrees("x")), "disagrees: x");
        assert_eq!(
            text(Verdict::not_resolved("x")),
            "not resolved at this scale: x"
        );
        assert_eq!(Verdict::not_resolved("x").reason(), "x");
    }

    #[test]
    fn scaling_every_branch() {
        let nr = "not resolved at this scale: ";
        assert_eq!(
            text(scaling_verdict(None)),
            format!("{nr}fewer than two finished widths")
        );
        assert_eq!(
            text(scaling_verdict(Some((f64::NAN, -1.0)))),
            format!("{nr}no interval")
        );
        assert_eq!(
            text(scaling_verdict(Some((-1.0, f64::INFINITY)))),
            format!("{nr}no interval")
        );
        let near_zero = format!(
            "{nr}β ≈ 0, the final loss is still dominated by its n-independent mean-field part ℓ_∞(t) (the floors are reached only at longer times)"
        );
        // the −0.3 threshold: above is ≈ 0, at or below is resolved
        assert_eq!(text(scaling_verdict(Some((-0.5, -0.29)))), near_zero);
        assert_eq!(text(scaling_verdict(Some((-3.0, 0.1)))), near_zero);
        let within =
            format!("{nr}-1 < β < 0, the n-independent part of the loss is still significant");
        assert_eq!(text(scaling_verdict(Some((-0.5, -0.3)))), within);
        assert_eq!(text(scaling_verdict(Some((-0.99, -0.31)))), within);
        // −1 and −2: inside / just outside
        assert_eq!(
            text(scaling_verdict(Some((-2.0, -1.0)))),
            "agrees (the interval cannot yet tell n^-1 from n^-2)"
        );
        assert_eq!(
            text(scaling_verdict(Some((-2.1, -1.01)))),
            "agrees with n^-2 (healed fluctuations)"
        );
        assert_eq!(
            text(scaling_verdict(Some((-1.99, -0.9)))),
            "agrees with n^-1 (CLT-level fluctuations)"
        );
        assert_eq!(
            text(scaling_verdict(Some((-1.0, -0.9)))),
            "agrees with n^-1 (CLT-level fluctuations)"
        );
        assert_eq!(
            text(scaling_verdict(Some((-1.9, -1.1)))),
            "disagrees: β lies strictly between -2 and -1"
        );
        assert_eq!(
            text(scaling_verdict(Some((-2.5, -2.01)))),
            "disagrees: the loss falls faster than n^-2"
        );
    }

    #[test]
    fn dimension_rule() {
        let nr = "not resolved at this scale: at least one dimension's exponent is not resolved (see its row)";
        assert_eq!(text(dimension_verdict(&[Some((-1.2, -0.8)), None])), nr);
        // the −0.3 threshold on every upper end
        assert_eq!(
            text(dimension_verdict(&[
                Some((-1.2, -0.8)),
                Some((-1.0, -0.29))
            ])),
            nr
        );
        assert_eq!(
            text(dimension_verdict(&[Some((-1.2, -0.8)), Some((-1.0, -0.3))])),
            "agrees: the exponents' intervals overlap"
        );
        // overlap: touching ends overlap, a gap does not
        assert_eq!(
            text(dimension_verdict(&[Some((-1.2, -0.8)), Some((-2.0, -1.2))])),
            "agrees: the exponents' intervals overlap"
        );
        assert_eq!(
            text(dimension_verdict(&[
                Some((-1.2, -0.8)),
                Some((-1.0, -0.9)),
                Some((-2.0, -1.21))
            ])),
            "disagrees: the exponents' intervals do not overlap"
        );
        assert_eq!(
            text(dimension_verdict(&[Some((-1.2, f64::NAN))])),
            nr,
            "a NaN upper end is not resolved"
        );
    }

    #[test]
    fn lln_early_gap_rule() {
        let agrees = "agrees: the early decay coincides across widths, the gap shrinking with n";
        assert_eq!(text(lln_early_verdict(0.099, 0.2, 64, 128)), agrees);
        assert_eq!(text(lln_early_verdict(0.05, 0.05, 64, 128)), agrees);
        assert_eq!(
            text(lln_early_verdict(0.1, 0.2, 64, 128)),
            "disagrees: the early decay of n = 64 differs from n = 128 by 10.0 %"
        );
        assert_eq!(
            text(lln_early_verdict(0.05, 0.049, 32, 64)),
            "disagrees: the early decay of n = 32 differs from n = 64 by 5.0 %"
        );
    }

    #[test]
    fn floors_rule() {
        assert_eq!(
            text(floors_verdict(&[
                (2.0, (1.9, 2.1)),
                (1.5, (1.4, 1.6)),
                (1.0, (0.9, 1.1))
            ])),
            "agrees: the final loss falls with n beyond the replica intervals"
        );
        assert_eq!(
            text(floors_verdict(&[(2.0, (1.0, 3.0)), (1.0, (0.5, 1.0))])),
            "not resolved at this scale: the final losses fall with n but the intervals of the extreme widths overlap"
        );
        assert_eq!(
            text(floors_verdict(&[
                (2.0, (1.9, 2.1)),
                (2.0, (1.9, 2.1)),
                (1.0, (0.9, 1.1))
            ])),
            "not resolved at this scale: the final loss is not yet monotone in n (the floors are not reached)"
        );
        assert_eq!(
            text(floors_verdict(&[(1.0, (0.9, 1.1))])),
            "not resolved at this scale: fewer than two widths"
        );
    }

    #[test]
    fn clt_ratio_rule() {
        // R = 8: 1 + 3 √(2/7) = 2.6036…
        let allowed = clt_allowed_ratio(8);
        assert!((allowed - (1.0 + 3.0 * (2.0f64 / 7.0).sqrt())).abs() < 1e-15);
        assert_eq!(
            text(clt_ratio_verdict(allowed, 8)),
            "agrees: n·Var coincides across widths within a factor 2.60"
        );
        assert_eq!(
            text(clt_ratio_verdict(1.0, 8)),
            "agrees: n·Var coincides across widths within a factor 2.60"
        );
        assert_eq!(
            text(clt_ratio_verdict(allowed + 1e-9, 8)),
            "disagrees: n·Var differs by a factor 2.60 across widths"
        );
        assert_eq!(
            text(clt_ratio_verdict(3.0, 8)),
            "disagrees: n·Var differs by a factor 3.00 across widths"
        );
        // more replicas: a tighter allowance
        assert!(matches!(clt_ratio_verdict(2.0, 8), Verdict::Agrees { .. }));
        assert!(matches!(
            clt_ratio_verdict(2.0, 100),
            Verdict::Disagrees { .. }
        ));
        assert!(matches!(
            clt_ratio_verdict(f64::NAN, 8),
            Verdict::Disagrees { .. }
        ));
    }

    #[test]
    fn healing_rule() {
        assert_eq!(
            text(healing_verdict(0.5)),
            "agrees: n·Var has fallen below half its peak"
        );
        assert_eq!(
            text(healing_verdict(0.1)),
            "agrees: n·Var has fallen below half its peak"
        );
        assert_eq!(
            text(healing_verdict(0.51)),
            "not resolved at this scale: healing needs longer times"
        );
    }

    #[test]
    fn sgd_batch_rule() {
        assert_eq!(
            text(sgd_batch_verdict(None, -1.0)),
            "not resolved at this scale: fewer than two finished widths"
        );
        // the width-1 rule
        assert_eq!(
            text(sgd_batch_verdict(Some((-2.0, -0.99)), -1.0)),
            "not resolved at this scale: interval wider than 1"
        );
        assert_eq!(text(sgd_batch_verdict(Some((-2.0, -1.0)), -1.0)), "agrees");
        // the ±0.15 allowance on both sides
        assert_eq!(text(sgd_batch_verdict(Some((-0.86, -0.5)), -1.0)), "agrees");
        assert_eq!(
            text(sgd_batch_verdict(Some((-0.84, -0.5)), -1.0)),
            "disagrees: predicted -1 is outside the interval (±0.15)"
        );
        assert_eq!(text(sgd_batch_verdict(Some((0.5, 0.9)), 1.0)), "agrees");
        assert_eq!(text(sgd_batch_verdict(Some((0.1, 0.86)), 1.0)), "agrees");
        assert_eq!(
            text(sgd_batch_verdict(Some((0.1, 0.84)), 1.0)),
            "disagrees: predicted 1 is outside the interval (±0.15)"
        );
        assert_eq!(
            text(sgd_batch_verdict(Some((0.2, 0.3)), -(0.0f64))),
            "disagrees: predicted -0 is outside the interval (±0.15)"
        );
    }

    #[test]
    fn fit_rule() {
        assert_eq!(
            text(fit_verdict(0.2, 0.1)),
            "agrees: the wider network is closer to the target"
        );
        assert_eq!(
            text(fit_verdict(0.2, 0.2)),
            "not resolved at this scale: the wider network is not yet closer"
        );
        assert_eq!(
            text(fit_verdict(0.1, 0.2)),
            "not resolved at this scale: the wider network is not yet closer"
        );
    }

    #[test]
    fn check_scaling_rule() {
        let ok = |v: Verdict| matches!(v, Verdict::Agrees { .. });
        assert!(ok(check_scaling_verdict(-1.0, (-1.1, -0.9))));
        assert!(ok(check_scaling_verdict(-1.3, (-1.4, -1.1))));
        assert!(ok(check_scaling_verdict(-0.7, (-0.86, -0.6))));
        assert!(!ok(check_scaling_verdict(-1.31, (-1.4, -0.9))));
        assert!(!ok(check_scaling_verdict(-0.69, (-1.4, -0.6))));
        // the ±0.15 allowance around the interval
        assert!(ok(check_scaling_verdict(-0.8, (-0.86, -0.75))));
        assert!(!ok(check_scaling_verdict(-0.8, (-0.84, -0.75))));
        assert!(ok(check_scaling_verdict(-1.2, (-1.3, -1.14))));
        assert!(!ok(check_scaling_verdict(-1.2, (-1.3, -1.16))));
    }
}
