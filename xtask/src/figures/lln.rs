//! Figure 1 (`lln`): relative test loss versus mean-field time for several widths.

use super::replicas::{rows_of, widths_with_rows};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{num, settings};
use crate::configs::exact_d5_long;
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::scan::FluctuationRow;
use mf_stats::verdict::{Measured, floors_verdict, lln_early_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "lln",
    description: "Relative test loss versus mean-field time for several widths (RBF, d = 5, exact population gradient flow, scan exact-d5-long: to t = 10⁸): the early decay does not depend on n, the floors fall with n.",
    quick: || vec![exact_d5_long(true)],
    full: || vec![exact_d5_long(false)],
    build,
};

/// "Early times" last until the widest network's loss has fallen to this fraction of its
/// initial value.
const EARLY_LOSS_FRACTION: f64 = 0.9;

/// The mean relative loss of width n over time, with its replica interval.
fn loss_series(d: &ScanData, n: usize) -> Series {
    let rows = rows_of(d, n);
    let scale = |r: &FluctuationRow| r.mean_relative_test_loss / r.mean_test_loss;
    Series {
        label: format!("n = {n}"),
        points: rows
            .iter()
            .filter(|r| r.time > 0.0)
            .map(|r| (r.time, r.mean_relative_test_loss))
            .collect(),
        errors: Some(
            rows.iter()
                .filter(|r| r.time > 0.0)
                .map(|r| (r.test_loss_ci[0] * scale(r), r.test_loss_ci[1] * scale(r)))
                .collect(),
        ),
        style: Style::LineMarkers,
        ..Series::default()
    }
}

fn build(data: &[ScanData]) -> Result<FigureOutput> {
    let d = first(SPEC.name, data)?;
    let widths = widths_with_rows(d);
    let series: Vec<Series> = widths.iter().map(|&n| loss_series(d, n)).collect();
    let mut claims = Vec::new();
    if widths.len() >= 2 {
        let big = *widths.last().expect("two widths");
        let big_rows = rows_of(d, big);
        let l0 = big_rows[0].mean_relative_test_loss;
        let t_early = big_rows
            .iter()
            .find(|r| r.mean_relative_test_loss <= EARLY_LOSS_FRACTION * l0)
            .map(|r| r.time)
            .unwrap_or(big_rows.last().map(|r| r.time).unwrap_or(0.0));
        // the largest relative gap between the loss decreases of widths n and `big`, t ≤ t_early
        let gap = |n: usize| -> f64 {
            let rn = rows_of(d, n);
            rn.iter()
                .zip(&big_rows)
                .filter(|(a, b)| a.time > 0.0 && a.time <= t_early && a.time == b.time)
                .map(|(a, b)| {
                    let (da, db) = (
                        l0 - a.mean_relative_test_loss,
                        l0 - b.mean_relative_test_loss,
                    );
                    ((da - db) / db).abs()
                })
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let (small, second) = (widths[0], widths[widths.len() - 2]);
        let (g_small, g_second) = (gap(small), gap(second));
        claims.push(Claim {
            figure: SPEC.name,
            claim: "the relaxation rate in mean-field time does not depend on n (law of large numbers)".into(),
            prediction: format!("the loss decrease of width n differs from the widest (n = {big}) by O(n^-1/2) at early times"),
            quantity: format!("max relative gap of the loss decrease for t ≤ {t_early}, n = {second} vs {big} (n = {small}: {})", num(g_small)),
            measured: Measured::value(g_second),
            settings: settings(d),
            verdict: lln_early_verdict(g_second, g_small, second, big),
            note: String::new(),
            basis: Basis::default(),
        });
        let finals: Vec<(usize, &FluctuationRow)> = widths
            .iter()
            .map(|&n| (n, *rows_of(d, n).last().expect("rows")))
            .collect();
        let (narrow, wide) = (finals[0], finals[finals.len() - 1]);
        let ratio = narrow.1.mean_relative_test_loss / wide.1.mean_relative_test_loss;
        // ordered by the relative mean, separated by the test-loss interval: the two differ by
        // the one factor C_f of the target, so the rule sees the same order either way
        let floors: Vec<(f64, (f64, f64))> = finals
            .iter()
            .map(|(_, r)| {
                (
                    r.mean_relative_test_loss,
                    (r.test_loss_ci[0], r.test_loss_ci[1]),
                )
            })
            .collect();
        claims.push(Claim {
            figure: SPEC.name,
            claim: "the curves stop at floors that fall with n".into(),
            prediction: "final loss decreasing in n".into(),
            quantity: format!(
                "final relative loss ratio n = {} / n = {} at t = {}",
                narrow.0, wide.0, wide.1.time
            ),
            measured: Measured::value(ratio),
            settings: settings(d),
            verdict: floors_verdict(&floors),
            note: String::new(),
            basis: Basis::default(),
        });
    }
    Ok(FigureOutput {
        figure: Figure {
            title: "LLN: relative test loss vs mean-field time (RBF, d = 5, exact)".into(),
            x_label: "mean-field time t".into(),
            y_label: "relative test loss ℓ/C_f".into(),
            log_x: true,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims,
    })
}
