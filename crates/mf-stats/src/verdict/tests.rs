//! The verdict rules on constructed cases on both sides of each threshold.

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
fn interval_rule_on_both_sides_of_each_end_and_of_the_width() {
    let nr = |v: Verdict| matches!(v, Verdict::NotResolved { .. });
    let agrees = |v: Verdict| matches!(v, Verdict::Agrees { .. });
    let disagrees = |v: Verdict| matches!(v, Verdict::Disagrees { .. });
    // the ends: inside (ends included) and just outside
    assert!(agrees(interval_verdict(-2.0, Some((-2.0, -1.6)))));
    assert!(agrees(interval_verdict(-2.0, Some((-2.4, -2.0)))));
    assert!(agrees(interval_verdict(-2.0, Some((-2.2, -1.9)))));
    assert_eq!(
        text(interval_verdict(-2.0, Some((-1.999, -1.6)))),
        "disagrees: the prediction -2 lies below the 95 % interval [-1.999, -1.6]"
    );
    assert_eq!(
        text(interval_verdict(-2.0, Some((-2.4, -2.001)))),
        "disagrees: the prediction -2 lies above the 95 % interval [-2.4, -2.001]"
    );
    // the width: 0.5 decides an agreement, a hair more does not; a prediction outside
    // disagrees whatever the width
    assert!(agrees(interval_verdict(-1.0, Some((-1.25, -0.75)))));
    assert!(disagrees(interval_verdict(-2.0, Some((-1.5, -1.0)))));
    let wide = text(interval_verdict(-1.0, Some((-1.25, -0.7499))));
    assert_eq!(
        wide,
        "not resolved at this scale: the prediction -1 lies inside the 95 % interval [-1.25, -0.7499], but the interval is 0.5001 wide (> 0.5): more replicas per width (the interval shrinks like 1/√R) or more widths in the fit would resolve it"
    );
    assert!(disagrees(interval_verdict(-2.0, Some((-1.5, -0.99)))));
    assert!(disagrees(interval_verdict(-2.0, Some((-4.62, -3.98)))));
    assert!(nr(interval_verdict(-1.0, Some((-3.0, 1.0)))));
    // no interval, non-finite ends
    assert!(
        text(interval_verdict(-1.0, None)).starts_with("not resolved at this scale: no interval")
    );
    assert!(nr(interval_verdict(-1.0, Some((f64::NAN, -1.0)))));
    assert!(nr(interval_verdict(-1.0, Some((-1.0, f64::INFINITY)))));
    // a difference of exponents against 0: both ends, and the width
    assert!(agrees(equal_exponents_verdict(Some((-0.2, 0.1)))));
    assert!(agrees(equal_exponents_verdict(Some((0.0, 0.3)))));
    assert!(agrees(equal_exponents_verdict(Some((-0.3, 0.0)))));
    assert_eq!(
        text(equal_exponents_verdict(Some((0.01, 0.3)))),
        "disagrees: the prediction 0 lies below the 95 % interval [0.01, 0.3]"
    );
    assert!(disagrees(equal_exponents_verdict(Some((-0.3, -0.01)))));
    assert!(nr(equal_exponents_verdict(Some((-0.3, 0.21)))));
    assert!(disagrees(equal_exponents_verdict(Some((0.1, 0.9)))));
    assert!(nr(equal_exponents_verdict(None)));
}

/// A fit with `k` widths, a given curvature p and interval.
fn fit(k: usize, curvature_p: Option<f64>, interval: (f64, f64)) -> crate::fit::PowerLawFit {
    crate::fit::PowerLawFit {
        beta: 0.5 * (interval.0 + interval.1),
        beta_interval: [interval.0, interval.1],
        beta_se: 0.1,
        prefactor: 1.0,
        fit_range: [8, 8 << (k - 1)],
        points: k,
        level: 0.95,
        dof: 5.0,
        interval_method: crate::fit::INTERVAL_METHOD.into(),
        widths: (0..k).map(|j| 8 << j).collect(),
        replicas: vec![4; k],
        local_slopes: (0..k - 1)
            .map(|j| crate::fit::LocalSlope {
                from: 8 << j,
                to: 16 << j,
                slope: -2.0,
                se: 0.1,
                dof: 3.0,
            })
            .collect(),
        curvature_p,
        beta_without_narrowest: None,
        beta_without_widest: None,
    }
}

#[test]
fn exponent_rule_needs_three_widths_and_a_power_law() {
    let p = crate::fit::POWER_LAW_TEST_LEVEL;
    // widths: 2 → not resolved (a secant), 3 → judged
    let v = exponent_verdict(-2.0, &fit(2, None, (-2.1, -1.9)));
    assert!(matches!(v, Verdict::NotResolved { .. }), "{v}");
    assert!(v.reason().contains("only 2 widths") && v.reason().contains("-2.00 (8→16)"));
    let v = exponent_verdict(-2.0, &fit(3, Some(1.0), (-2.1, -1.9)));
    assert!(matches!(v, Verdict::Agrees { .. }), "{v}");
    // the power-law test on both sides of its level
    let v = exponent_verdict(-2.0, &fit(4, Some(0.99 * p), (-2.1, -1.9)));
    assert!(matches!(v, Verdict::NotResolved { .. }), "{v}");
    assert!(
        v.reason()
            .starts_with("not a power law over n = [8, 16, 32, 64]"),
        "{v}"
    );
    let v = exponent_verdict(-2.0, &fit(4, Some(p), (-2.3, -2.1)));
    assert!(matches!(v, Verdict::Disagrees { .. }), "{v}");
    // differences: either side unresolved → not resolved; else the interval decides
    let good = fit(3, Some(0.5), (-2.1, -1.9));
    let v = difference_verdict(
        ("d = 5", &good),
        ("d = 10", &fit(2, None, (-2.0, -1.8))),
        (-0.1, 0.1),
    );
    assert!(
        v.reason()
            .starts_with("the exponent of d = 10 is not resolved"),
        "{v}"
    );
    let v = difference_verdict(("a", &good), ("b", &good), (-0.1, 0.1));
    assert!(matches!(v, Verdict::Agrees { .. }), "{v}");
    let v = difference_verdict(("a", &good), ("b", &good), (0.05, 0.3));
    assert!(matches!(v, Verdict::Disagrees { .. }), "{v}");
}

#[test]
fn extrapolation_rule_on_both_sides_of_its_thresholds() {
    let i = Some((-1.2, -0.9));
    assert!(matches!(
        extrapolation_verdict(-1.0, i, CURVE_FIT_P, false),
        Verdict::Agrees { .. }
    ));
    let v = extrapolation_verdict(-1.0, i, 0.99 * CURVE_FIT_P, false);
    assert!(
        v.reason()
            .starts_with("the curve ℓ_∞ + A n^β does not describe"),
        "{v}"
    );
    let v = extrapolation_verdict(-1.0, i, 0.5, true);
    assert!(v.reason().contains("end of the grid"), "{v}");
    let v = extrapolation_verdict(-1.0, Some((f64::NAN, f64::NAN)), 0.5, false);
    assert!(matches!(v, Verdict::NotResolved { .. }));
    assert!(matches!(
        extrapolation_verdict(-1.0, Some((-1.4, -1.1)), 0.5, false),
        Verdict::Disagrees { .. }
    ));
}

#[test]
fn short_numbers_keep_four_significant_digits() {
    assert_eq!(short(-2.0), "-2");
    assert_eq!(short(-1.23456), "-1.235");
    assert_eq!(short(0.000123456), "0.0001235");
    assert_eq!(short(123.456), "123.5");
    assert_eq!(short(0.0), "0");
    assert_eq!(short(-0.00001), "-0.00001");
}

#[test]
fn learned_rule_on_both_sides_of_the_threshold() {
    assert_eq!(
        text(learned_verdict(0.04, Some((0.03, 0.05)))),
        "agrees: learned: relative loss ≤ 0.05 over its whole interval"
    );
    assert_eq!(
        text(learned_verdict(0.04, Some((0.03, 0.0501)))),
        "not resolved at this scale: the interval [0.03, 0.0501] straddles 0.05: more replicas (or a longer run) would decide it"
    );
    assert_eq!(
        text(learned_verdict(0.06, Some((0.0501, 0.07)))),
        "disagrees: the widest width has left the plateau but not learned: relative loss above 0.05 over its whole interval"
    );
    assert!(matches!(
        learned_verdict(0.06, Some((0.05, 0.07))),
        Verdict::NotResolved { .. }
    ));
    // without an interval the mean decides
    assert!(matches!(
        learned_verdict(0.05, None),
        Verdict::Agrees { .. }
    ));
    assert!(matches!(
        learned_verdict(0.0501, None),
        Verdict::Disagrees { .. }
    ));
    assert!(matches!(
        learned_verdict(0.01, Some((f64::NAN, 0.2))),
        Verdict::Agrees { .. }
    ));
    // the plateau: the mean at or above 0.5
    let plateau = text(learned_verdict(0.5, Some((0.49, 0.51))));
    assert!(plateau.starts_with("disagrees: finding: the widest width has not left the plateau by t_end (replica-mean relative loss 0.5 ≥ 0.5)"), "{plateau}");
    assert!(
        text(learned_verdict(0.4999, Some((0.49, 0.51))))
            .starts_with("disagrees: the widest width has left the plateau but not learned")
    );
    assert_eq!(
        text(learned_verdict(f64::NAN, None)),
        "not resolved at this scale: no finished replica"
    );
}

#[test]
fn sigma_scan_rule_on_both_sides_of_the_escape_level() {
    assert!(matches!(sigma_scan_verdict(0.4999), Verdict::Agrees { .. }));
    assert_eq!(
        text(sigma_scan_verdict(0.5)),
        "not resolved at this scale: no σ of the scan has left the plateau (relative loss ≥ 0.5) by this time: longer runs are needed"
    );
    assert!(matches!(
        sigma_scan_verdict(f64::NAN),
        Verdict::NotResolved { .. }
    ));
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
fn stationary_rule() {
    let agrees = "agrees: a minimiser is reached: 4/4 end states stationary (‖v‖ below tolerance, Hessian positive semi-definite)";
    assert_eq!(text(stationary_verdict(4, 0, 0, 4, f64::NAN)), agrees);
    // all stationary: one short is not resolved
    assert_eq!(
        text(stationary_verdict(3, 0, 1, 4, f64::NAN)),
        "not resolved at this scale: 3/4 end states stationary, 1 still running: neither a minimiser nor a divergence is established by t_end (longer times needed)"
    );
    assert_eq!(
        text(stationary_verdict(3, 0, 0, 4, f64::NAN)),
        "not resolved at this scale: 3/4 end states stationary, 0 still running, 1 without an end state: neither a minimiser nor a divergence is established by t_end (longer times needed)"
    );
    // one diverging replica with a settled loss decides, whatever the others
    let diverging = text(stationary_verdict(3, 1, 0, 4, 0.02));
    assert!(
        diverging.starts_with(
            "disagrees: finding: 1/4 end states diverge (3 stationary, 0 running): the loss approaches an infimum at infinity (it fell by 2.0 % over the last decade)"
        ),
        "{diverging}"
    );
    assert!(
        diverging.contains("no minimiser at this width"),
        "{diverging}"
    );
    assert!(matches!(
        stationary_verdict(0, 4, 0, 4, 0.0),
        Verdict::Disagrees { .. }
    ));
    assert!(matches!(
        stationary_verdict(0, 1, 1, 4, 0.05),
        Verdict::Disagrees { .. }
    ));
    // the 10 % threshold on the fall over the last decade
    assert!(matches!(
        stationary_verdict(0, 2, 0, 2, 0.1),
        Verdict::Disagrees { .. }
    ));
    let relaxing = text(stationary_verdict(0, 2, 0, 2, 0.101));
    assert!(
        relaxing.starts_with(
            "not resolved at this scale: 2/2 end states end with growing charges (0 stationary, 0 running), but their loss still fell by 10.1 % over the last decade (> 10 %)"
        ),
        "{relaxing}"
    );
    assert!(matches!(
        stationary_verdict(0, 2, 0, 2, f64::NAN),
        Verdict::NotResolved { .. }
    ));
    assert!(matches!(
        stationary_verdict(4, 0, 0, 4, 0.5),
        Verdict::Agrees { .. }
    ));
    assert!(matches!(
        stationary_verdict(0, 0, 4, 4, 0.0),
        Verdict::NotResolved { .. }
    ));
    assert_eq!(
        text(stationary_verdict(0, 0, 0, 4, 0.0)),
        "not resolved at this scale: no end state"
    );
}

#[test]
fn polish_gap_rule() {
    let agrees = "agrees: the flow's final loss is within 1 % of the polished minimum at every width: by t_end the flow is at its limit";
    // the 1 % threshold
    assert_eq!(text(polish_gap_verdict(&[(8, 0.01), (16, 0.0)], 0)), agrees);
    let open = text(polish_gap_verdict(&[(8, 0.0101), (16, 0.0)], 0));
    assert!(
        open.starts_with(
            "not resolved at this scale: the flow at t_end is still 1.0 % above the polished loss at n = 8"
        ),
        "{open}"
    );
    assert!(!open.contains("stopped before converging"), "{open}");
    assert!(matches!(
        polish_gap_verdict(&[(8, 0.001), (16, 0.5)], 0),
        Verdict::NotResolved { .. }
    ));
    // every polish converged: one that did not keeps it open
    assert_eq!(
        text(polish_gap_verdict(&[(8, 0.001)], 1)),
        "not resolved at this scale: the flow's final loss is within 1 % of the polished loss at every width, but not every polish reached a minimiser; 1 polishes stopped before converging (their value is a loss the descent reached, not a minimum)"
    );
    assert!(
        text(polish_gap_verdict(&[(8, 0.2)], 2))
            .ends_with("; 2 polishes stopped before converging (their value is a loss the descent reached, not a minimum)")
    );
    // the round-off allowance below zero
    assert_eq!(text(polish_gap_verdict(&[(8, -1e-9)], 0)), agrees);
    assert!(
        text(polish_gap_verdict(&[(8, 0.0), (32, -1.1e-9)], 0))
            .starts_with("disagrees: the polished loss of n = 32 lies 1.10e-9 (relative) above")
    );
    assert_eq!(
        text(polish_gap_verdict(&[], 0)),
        "not resolved at this scale: no polished replicas"
    );
    assert_eq!(
        text(polish_gap_verdict(&[(8, 0.0), (16, f64::NAN)], 0)),
        "not resolved at this scale: the gap of n = 16 could not be measured"
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
