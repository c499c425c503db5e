//! Figure `long-time`: the exact population flow at finite n followed to long times — the
//! relative loss and max|c_i| against t for every width, the polished minimum of each width
//! beside the curves, and per width whether the flow reached a minimiser.

use super::claims::{beta_measured, fit_basis, fit_verdict};
use super::replicas::{distinct_cells, max, mean, min, replica_stats};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::fit_text;
use super::text::{num, same_state_text, settings};
use crate::configs::exact_d5_long;
use crate::plot::{Figure, Panel, Series, Style};
use anyhow::Result;
use mf_stats::fit_power_law;
use mf_stats::mf_core::output::{EndState, TraceRow};
use mf_stats::scan::CellResult;
use mf_stats::time_limit::{TimeLimit, time_limit};
use mf_stats::verdict::{
    HEALED_EXPONENT, MIN_EXPONENT_WIDTHS, Measured, polish_gap_verdict, stationary_verdict,
};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "long-time",
    description: "The exact population gradient flow at finite n followed to long times (RBF, d = 5, σ = R/2, c(0) = 0, t up to 10⁸ with the stiff W-rule ros34pw2; scan exact-d5-long, shared with lln, scaling-gd, scaling-dim, clt and fit). Top: the relative loss ℓ_n(t)/C_f of every width, the mean over the replicas with a band from the smallest to the largest replica; beside the curves, right of the dotted line, one triangle per width: the mean polished loss, reached by a second-order descent from the flow's final state (bars: smallest to largest replica). It is at or below the flow's final loss and equals lim ℓ_n(t) when the flow ends at the same minimiser; it is not a point of the flow. Bottom: max_i |c_i|(t), replica mean and min–max band, colours as above. Claims: per width, whether the replicas reached a stationary point (or diverge: the loss approaching an infimum at infinity), and how far the flow's final loss lies above the polished one.",
    quick: || vec![exact_d5_long(true)],
    full: || vec![exact_d5_long(false)],
    build,
};

/// Curves start at this time (log x axis).
const T_MIN: f64 = 1.0;
/// The polished values are drawn at x = t_end · this factor, right of the curves.
const EDGE_X_FACTOR: f64 = 2.0;
/// Palette index of the grey legend key of the polished values.
const KEY_COLOR: usize = 7;

/// A replica mean over time with its min–max band, in palette colour `color`.
fn band(label: String, stats: &[(f64, f64, f64, f64)], color: usize, legend: bool) -> Series {
    Series {
        label,
        points: stats.iter().map(|s| (s.0, s.1)).collect(),
        errors: Some(stats.iter().map(|s| (s.2, s.3)).collect()),
        style: Style::Band,
        color: Some(color),
        hide_legend: !legend,
    }
}

/// Per width: the flow's final relative loss and the polished one, replica means over the
/// replicas that have a polish, and the polish stops.
struct PolishSummary {
    n: usize,
    flow: f64,
    polished: f64,
    polished_range: (f64, f64),
    stops: Vec<String>,
}

fn polish_summary(n: usize, cells: &[CellResult]) -> Option<PolishSummary> {
    let pairs: Vec<(f64, f64, String)> = cells
        .iter()
        .filter_map(|c| {
            let p = c.polish.as_ref()?;
            let flow = c.trace.last()?.relative_test_loss;
            Some((flow, p.polished_relative_test_loss, p.polish_stop.clone()))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let flows: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let pol: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    Some(PolishSummary {
        n,
        flow: mean(&flows),
        polished: mean(&pol),
        polished_range: (min(&pol), max(&pol)),
        stops: pairs.into_iter().map(|p| p.2).collect(),
    })
}

/// "2 converged, 1 budget": how the polishes of a width stopped.
fn stop_counts(stops: &[String]) -> String {
    let mut kinds: Vec<&str> = stops.iter().map(String::as_str).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .iter()
        .map(|k| format!("{} {k}", stops.iter().filter(|s| s == k).count()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The relative fall of the loss over the last decade of time, (ℓ(t_end/10) − ℓ(t_end)) /
/// ℓ(t_end/10), from the first evaluation at t ≥ t_end/10 (NaN without one).
fn last_decade_fall(trace: &[TraceRow]) -> f64 {
    let Some(last) = trace.last() else {
        return f64::NAN;
    };
    match trace.iter().find(|r| r.time >= last.time / 10.0) {
        Some(first) if first.time < last.time => {
            (first.test_loss - last.test_loss) / first.test_loss
        }
        _ => f64::NAN,
    }
}

/// The claim on width n: did its replicas reach a stationary point? Replicas that end in the
/// same state are one end state, counted once.
fn stationary_claim(d: &ScanData, n: usize, cells: &[CellResult], t_end: f64) -> Claim {
    let (kept, same) = distinct_cells(cells);
    let count = |s: EndState| {
        kept.iter()
            .filter(|c| c.end.as_ref().is_some_and(|e| e.end_state == s))
            .count()
    };
    let (s, dv, r) = (
        count(EndState::Stationary),
        count(EndState::Diverging),
        count(EndState::Running),
    );
    let finished = cells.iter().filter(|c| !c.trace.is_empty()).count();
    let missing = (d.cfg.replicas as usize).saturating_sub(finished);
    let states = kept.len() + missing;
    let diverging_fall = kept
        .iter()
        .filter(|c| {
            c.end
                .as_ref()
                .is_some_and(|e| e.end_state == EndState::Diverging)
        })
        .map(|c| last_decade_fall(&c.trace))
        .reduce(|a, b| if b.is_nan() || b > a { b } else { a })
        .unwrap_or(f64::NAN);
    let ends: Vec<_> = kept.iter().filter_map(|c| c.end.as_ref()).collect();
    let charge = if ends.is_empty() {
        f64::NAN
    } else {
        mean(&ends.iter().map(|e| e.max_abs_c).collect::<Vec<_>>())
    };
    // the reason of the first end state that is not stationary (else of the first)
    let example = kept
        .iter()
        .filter_map(|c| c.end.as_ref().map(|e| (c.replica, e)))
        .find(|(_, e)| e.end_state != EndState::Stationary)
        .or_else(|| {
            kept.iter()
                .find_map(|c| c.end.as_ref().map(|e| (c.replica, e)))
        })
        .map(|(r, e)| {
            format!(
                "; replica {r} is {}: {}",
                e.end_state.as_str(),
                e.end_state_reason
            )
        })
        .unwrap_or_default();
    let distinct = if same.is_empty() {
        format!("{finished} replicas, each its own end state")
    } else {
        format!(
            "{finished} replicas, {} distinct end states: {}",
            kept.len(),
            same_state_text(&same)
        )
    };
    Claim {
        figure: SPEC.name,
        claim: format!("n = {n}: the flow reaches a minimiser of the finite-n loss (a stationary point)"),
        prediction: "the paper's picture at finite n: the flow settles at a minimiser near the mean-field minimum (its convergence theorem is for n → ∞). Stationary: ‖v‖ ≤ 10⁻⁶·√(N C_f), H = n∇²ℓ positive semi-definite and a Newton step predicting a decrease ≤ 10⁻³ ℓ, and over the last decade of time the loss fell by < 1 % while max|c| grew slower than t^0.05; diverging: over the last decade the loss still falls while max|c| grows like a power of t (mf-core train/end_state.rs)".into(),
        quantity: format!(
            "fraction of the {states} distinct end states stationary at t = {t_end} (n = {n}: {distinct}; {s} stationary, {dv} diverging, {r} running; mean max|c| at t_end {}{example})",
            num(charge)
        ),
        measured: Measured::value(s as f64 / states.max(1) as f64),
        settings: settings(d),
        verdict: stationary_verdict(s, dv, r, states, diverging_fall),
        note: String::new(),
        basis: Basis::default(),
    }
}

/// Decades of the trace the t → ∞ limit is extrapolated from.
const LIMIT_DECADES: f64 = 3.0;

/// Per width: the extrapolated limits lim ℓ_n(t)/C_f of its distinct end states, and how many
/// of them the model ℓ ≈ L + A t^−γ described (mf_stats::time_limit).
struct WidthLimit {
    n: usize,
    limits: Vec<TimeLimit>,
    states: usize,
}

fn width_limit(n: usize, cells: &[CellResult]) -> WidthLimit {
    let (kept, _) = distinct_cells(cells);
    let limits = kept
        .iter()
        .filter_map(|c| {
            let t: Vec<f64> = c.trace.iter().map(|r| r.time).collect();
            let l: Vec<f64> = c.trace.iter().map(|r| r.relative_test_loss).collect();
            time_limit(&t, &l, LIMIT_DECADES)
        })
        .collect();
    WidthLimit {
        n,
        limits,
        states: kept.len(),
    }
}

/// The claim on t → ∞: per width lim ℓ_n(t) from the last decades of each end state's trace,
/// and the exponent of these limits over the widths where every end state extrapolates.
fn limit_claim(d: &ScanData, widths: &[WidthLimit]) -> Claim {
    let complete: Vec<&WidthLimit> = widths
        .iter()
        .filter(|w| {
            w.states >= 2 && w.limits.len() == w.states && w.limits.iter().all(|l| l.extrapolated)
        })
        .collect();
    let samples: Vec<(usize, Vec<f64>)> = complete
        .iter()
        .map(|w| (w.n, w.limits.iter().map(|l| l.limit).collect()))
        .collect();
    let positive = samples.iter().all(|(_, v)| v.iter().all(|x| *x > 0.0));
    let fit = if samples.len() >= MIN_EXPONENT_WIDTHS && positive {
        fit_power_law(&samples, None, d.cfg.level)
    } else {
        None
    };
    let per_width = widths
        .iter()
        .map(|w| {
            let ok = w.limits.iter().filter(|l| l.extrapolated).count();
            let ls: Vec<f64> = w.limits.iter().map(|l| l.limit).collect();
            let lo = w.limits.iter().map(|l| l.band.0).fold(f64::INFINITY, f64::min);
            let hi = w.limits.iter().map(|l| l.band.1).fold(0.0, f64::max);
            let gamma: Vec<f64> = w.limits.iter().filter_map(|l| l.windows.first().map(|f| f.gamma)).collect();
            format!(
                "n = {}: {ok}/{} end states extrapolated, mean L/C_f = {} (window bands {}–{}), mean γ = {}",
                w.n,
                w.states,
                num(if ls.is_empty() { f64::NAN } else { mean(&ls) }),
                num(lo),
                num(hi),
                num(if gamma.is_empty() { f64::NAN } else { mean(&gamma) })
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let why_none = format!(
        "every end state extrapolates at only {} width(s) ({:?}) with two or more distinct end states and a positive limit",
        complete.len(),
        complete.iter().map(|w| w.n).collect::<Vec<_>>()
    );
    let (measured, _) = beta_measured(fit.as_ref());
    Claim {
        figure: SPEC.name,
        claim: "t → ∞: the long-time limits lim ℓ_n(t) decay as n^-2".into(),
        prediction: format!(
            "β = {HEALED_EXPONENT} for lim_{{t→∞}} ℓ_n(t) (fluctuations heal at long times, error O(n^-1))"
        ),
        quantity: format!(
            "β of lim ℓ_n(t)/C_f vs n, each end state's limit L from ℓ(t) ≈ L + A t^−γ fitted to the last {LIMIT_DECADES} decades of its trace (profile least squares in relative error; extrapolated only when the fits on the windows of {LIMIT_DECADES}, {}, …, 1 decades all have a relative RMS residual ≤ {} and their limits agree within {} of their centre — mf_stats::time_limit, tested on synthetic curves with a known limit), over the widths where every distinct end state extrapolates: {}; per width: {per_width}",
            LIMIT_DECADES - 0.5,
            mf_stats::time_limit::MAX_RMS,
            mf_stats::time_limit::MAX_BAND,
            fit_text(fit.as_ref()),
        ),
        measured,
        settings: settings(d),
        verdict: fit_verdict(fit.as_ref(), HEALED_EXPONENT, &why_none),
        note: "an extrapolation of each trajectory beyond t_end, not a measured loss; the polished values are bounds from below on the same limits".into(),
        basis: fit_basis(fit.as_ref(), None),
    }
}

/// The claim comparing the polished loss with the flow's final loss, over the widths.
fn polish_claim(d: &ScanData, summaries: &[PolishSummary], t_end: f64) -> Claim {
    let gaps: Vec<(usize, f64)> = summaries
        .iter()
        .map(|p| (p.n, (p.flow - p.polished) / p.flow))
        .collect();
    let worst = gaps
        .iter()
        .map(|g| g.1)
        .reduce(|a, b| if b.is_nan() || b > a { b } else { a })
        .unwrap_or(f64::NAN);
    let unconverged = summaries
        .iter()
        .flat_map(|p| &p.stops)
        .filter(|s| s.as_str() != "converged")
        .count();
    let per_width = summaries
        .iter()
        .zip(&gaps)
        .map(|(p, g)| {
            format!(
                "n = {}: ℓ_n(t_end)/C_f = {}, polished {}, gap {} (polish: {})",
                p.n,
                num(p.flow),
                num(p.polished),
                num(g.1),
                stop_counts(&p.stops)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Claim {
        figure: SPEC.name,
        claim: "by t_end the flow has reached its limit: its final loss equals the polished minimum".into(),
        prediction: "ℓ_polish ≤ ℓ_n(t_end) always (a descent from the flow's final state), and equal to lim ℓ_n(t) when the flow ends at the polish's minimiser; the gap (ℓ_n(t_end) − ℓ_polish)/ℓ_n(t_end) ≤ 1 % once the flow is at its limit. The polished value is a bound, never reported as the flow at t".into(),
        quantity: format!(
            "largest relative gap (ℓ_n(t_end) − ℓ_polish)/ℓ_n(t_end) over the widths at t_end = {t_end}, replica means ({per_width})"
        ),
        measured: Measured::value(worst),
        settings: settings(d),
        verdict: polish_gap_verdict(&gaps, unconverged),
        note: String::new(),
        basis: Basis::default(),
    }
}

fn build(data: &[ScanData]) -> Result<FigureOutput> {
    let d = first(SPEC.name, data)?;
    let t_end = d.cfg.base.steps as f64 * d.cfg.base.dt;
    let mut loss = Vec::new();
    let mut charges = Vec::new();
    let mut polished = Vec::new();
    let mut summaries = Vec::new();
    let mut claims = Vec::new();
    let mut limits = Vec::new();
    for (k, (n, cells)) in d.groups.iter().enumerate() {
        if cells.is_empty() {
            continue;
        }
        let l = replica_stats(cells, T_MIN, |r| Some(r.relative_test_loss));
        loss.push(band(format!("n = {n}"), &l, k, true));
        let c = replica_stats(cells, T_MIN, |r| r.max_abs_c);
        charges.push(band(format!("n = {n}"), &c, k, false));
        if let Some(p) = polish_summary(*n, cells) {
            polished.push(Series {
                label: format!("polished n = {n}"),
                points: vec![(t_end * EDGE_X_FACTOR, p.polished)],
                errors: Some(vec![p.polished_range]),
                style: Style::EdgeMarkers,
                color: Some(k),
                hide_legend: true,
            });
            summaries.push(p);
        }
        claims.push(stationary_claim(d, *n, cells, t_end));
        limits.push(width_limit(*n, cells));
    }
    if !polished.is_empty() {
        // one grey legend key for the triangles of every width
        polished.push(Series {
            label: "after the polish (beside t_end)".into(),
            style: Style::EdgeMarkers,
            color: Some(KEY_COLOR),
            ..Series::default()
        });
    }
    loss.extend(polished);
    if !d.groups.iter().all(|(_, c)| c.is_empty()) {
        claims.push(polish_claim(d, &summaries, t_end));
        claims.push(limit_claim(d, &limits));
    }
    Ok(FigureOutput {
        figure: Figure {
            title: format!(
                "Exact flow to long times (RBF, d = 5, {} replicas)",
                d.cfg.replicas
            ),
            x_label: "mean-field time t".into(),
            y_label: "relative loss ℓ_n(t)/C_f (band: replica min–max)".into(),
            log_x: true,
            log_y: true,
            series: loss,
            below: vec![Panel {
                y_label: "max_i |c_i|(t)".into(),
                log_y: true,
                series: charges,
            }],
        },
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scales_are_the_briefs() {
        use mf_stats::mf_core::config::Polish;
        let q = exact_d5_long(true).scan;
        assert_eq!(q.widths, [8, 16, 32]);
        assert_eq!((q.replicas, q.base.steps as f64 * q.base.dt), (3, 2000.0));
        let f = exact_d5_long(false).scan;
        assert_eq!(f.widths, [8, 16, 32, 64, 128]);
        assert_eq!((f.replicas, f.base.steps as f64 * f.base.dt), (8, 1e8));
        for (s, iterations) in [(&q, 30), (&f, 200)] {
            assert_eq!(s.base.dim, 5);
            assert_eq!(s.base.mode, mf_stats::mf_core::Mode::Exact);
            assert_eq!(s.base.evals_per_decade, 8);
            assert_eq!(s.base.init_c, mf_stats::mf_core::InitC::Zero);
            assert_eq!(s.base.sigma, None, "σ = R/2");
            assert_eq!(s.base.polish, Some(Polish::new(1e-10, iterations)));
        }
        assert_eq!(
            f.base.step_rule,
            Some(mf_stats::mf_core::config::StepRule::named("ros34pw2"))
        );
        assert_eq!(q.base.step_rule, None);
    }

    fn row(time: f64, loss: f64, c: Option<f64>) -> TraceRow {
        TraceRow {
            step: (2.0 * time) as u64,
            time,
            test_loss: loss,
            relative_test_loss: loss,
            train_loss: None,
            batch_loss: None,
            dt: None,
            rejected: None,
            mc_test_loss: None,
            grad_norm: None,
            max_abs_c: c,
            min_pair_distance: None,
        }
    }

    fn cell(replica: u64, trace: Vec<TraceRow>) -> CellResult {
        CellResult {
            n: 8,
            replica,
            batch: 1,
            trace,
            probe: vec![],
            final_c: vec![],
            final_z: vec![],
            end: None,
            polish: None,
            polished_c: None,
            polished_z: None,
        }
    }

    #[test]
    fn replica_stats_are_mean_min_max_from_t_min_on_common_times() {
        let a = cell(
            0,
            vec![
                row(0.0, 1.0, Some(0.0)),
                row(1.0, 0.5, Some(1.0)),
                row(10.0, 0.2, None),
                row(100.0, 0.1, Some(4.0)),
                row(200.0, 0.1, Some(4.0)),
            ],
        );
        let b = cell(
            1,
            vec![
                row(0.0, 1.0, Some(0.0)),
                row(1.0, 0.7, Some(3.0)),
                row(10.0, 0.4, Some(2.0)),
                row(100.0, 0.3, Some(2.0)),
                row(300.0, 0.1, Some(2.0)),
            ],
        );
        let cells = [a, b];
        let l = replica_stats(&cells, T_MIN, |r| Some(r.relative_test_loss));
        let times: Vec<f64> = l.iter().map(|s| s.0).collect();
        assert_eq!(times, [1.0, 10.0, 100.0], "t ≥ 1, stops where times differ");
        assert!((l[0].1 - 0.6).abs() < 1e-15 && l[0].2 == 0.5 && l[0].3 == 0.7);
        let c = replica_stats(&cells, T_MIN, |r| r.max_abs_c);
        let times: Vec<f64> = c.iter().map(|s| s.0).collect();
        assert_eq!(
            times,
            [1.0, 100.0],
            "a time where a replica has no value is left out"
        );
        assert_eq!((c[1].1, c[1].2, c[1].3), (3.0, 2.0, 4.0));
    }

    #[test]
    fn last_decade_fall_is_relative_from_t_end_over_10() {
        let t = vec![
            row(0.0, 1.0, None),
            row(5.0, 0.9, None),
            row(10.0, 0.8, None),
            row(50.0, 0.5, None),
            row(100.0, 0.4, None),
        ];
        assert!((last_decade_fall(&t) - 0.5).abs() < 1e-15);
        assert!(last_decade_fall(&t[..1]).is_nan());
        assert!(last_decade_fall(&[]).is_nan());
    }

    /// The committed d = 5 long scan, read as the current end-state rule classifies it: at
    /// n = 16 every replica's loss fell by more than half over the last decade while its
    /// charges grew like t^0.3, and at n = 8 the replica the local tests called stationary has
    /// charges growing like t^0.22 — none of them is stationary.
    #[test]
    fn the_committed_narrow_cells_are_not_stationary() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .join("data");
        let scan = exact_d5_long(false);
        let groups = super::super::cells(&data, &scan);
        for n in [8usize, 16] {
            let cells = &groups.iter().find(|(m, _)| *m == n).expect("width").1;
            assert_eq!(cells.len(), 8, "n = {n}: every committed replica");
            for c in cells {
                let e = c.end.as_ref().expect("end diagnostics");
                assert_ne!(
                    e.end_state,
                    EndState::Stationary,
                    "n = {n}, replica {}: {}",
                    c.replica,
                    e.end_state_reason
                );
                assert!(last_decade_fall(&c.trace) > 0.01 || e.end_state_reason.contains("max|c|"));
            }
        }
        // and n = 8 has four distinct end states: replicas 0, 5, 6, 7 and 3, 4 coincide
        let n8 = &groups.iter().find(|(m, _)| *m == 8).expect("n = 8").1;
        let (kept, same) = distinct_cells(n8);
        assert_eq!(kept.len(), 4);
        assert_eq!(same, vec![vec![0, 5, 6, 7], vec![3, 4]]);
    }

    #[test]
    fn stop_counts_name_every_kind() {
        let s = |v: &[&str]| stop_counts(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            s(&["converged", "budget", "converged"]),
            "1 budget, 2 converged"
        );
        assert_eq!(s(&[]), "");
    }
}
