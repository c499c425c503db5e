//! Figure 3 (`scaling-dim`): the end-of-run loss of long runs against n in d = 5, 10 and 25,
//! the exponent of each, their pairwise differences, and the plateau escape times.

use super::common::{
    GREY, LossScaling, beta_claim, guide, learned_claim, loss_scaling, loss_series, num,
    replica_caveat, settings,
};
use super::long_time::exact_d5_long;
use super::{Claim, FigureOutput, FigureSpec, ScanData, first};
use crate::configs::{NamedScan, exact, named, polished, with_rule};
use crate::plot::{Figure, Panel, Series, Style};
use anyhow::Result;
use mf_stats::fit::difference_interval;
use mf_stats::mf_core::config::StepRule;
use mf_stats::verdict::{
    ESCAPE_LEVEL, HEALED_EXPONENT, Measured, Verdict, equal_exponents_verdict,
};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "scaling-dim",
    description: "The trained loss against n in d = 5, 10 and 25 (RBF, exact gradient flow, implicit rule; d = 5: t = 10⁸, scan exact-d5-long; d = 10: t = 10⁸; d = 25: t = 10⁷, tol 10⁻⁴). The RBF width σ is a field of each scan (`sigma`, null: σ = R/2); it is chosen per d from the σ scan of figure rbf-width (the σ/R with the lowest relative loss at a fixed time) and stated in each row's settings. Top, per d: band = end-of-run relative loss ℓ_n(t_end)/C_f, replica mean and min–max range; circles = the widths that have left the mean-field curve and enter the fit (every replica stationary, or a mean end loss above the next wider width's by more than 2 combined standard errors); triangles beside each width = the mean polished loss (a bound, not a point of the flow); dashed line in the same colour = the power law fitted over the circles; grey dashed: the guide n⁻². Bottom (when some width escapes): the plateau escape time, the first recorded time at which the replica-mean relative loss falls below 0.5, against n for each d. Claims: per d the exponent of the loss against −2 and whether the widest width has learned (relative loss ≤ 0.05); dimension independence as the pairwise differences β_d − β_d′, each with the interval of independent bootstraps, against 0.",
    quick: || {
        vec![
            exact_d5_long(true),
            long_scan(10, &[8, 16], 2, 300.0, 30, None),
            long_scan(25, &[8, 16], 2, 300.0, 10, Some(1e-4)),
        ]
    },
    full: || {
        vec![
            exact_d5_long(false),
            long_scan(10, &[8, 16, 32, 64, 128], 4, 1e8, 100, None),
            long_scan(25, &[16, 32, 64], 2, 1e7, 100, Some(1e-4)),
        ]
    },
    build,
};

/// `exact-d{dim}-long`: the exact flow of RBF units (σ = R/2 until set in the config) with the
/// implicit rule (local-error tolerance `tol`, default 10⁻⁵), then the polish.
fn long_scan(
    dim: usize,
    widths: &[usize],
    replicas: u64,
    time: f64,
    polish: u64,
    tol: Option<f64>,
) -> NamedScan {
    let mut s = polished(exact(dim, widths, replicas, time), polish);
    if let Some(t) = tol {
        s.base.tol = t;
    }
    named(
        &format!("exact-d{dim}-long"),
        with_rule(s, Some(StepRule::Implicit)),
    )
}

/// The pairwise claim that the exponents of two dimensions are equal.
fn difference_claim(a: (&ScanData, &LossScaling), b: (&ScanData, &LossScaling)) -> Claim {
    let (da, sa) = a;
    let (db, sb) = b;
    let (ka, kb) = (da.cfg.base.dim, db.cfg.base.dim);
    let (measured, verdict, widths) = match (&sa.fit, &sb.fit) {
        (Some((fa, xa)), Some((fb, xb))) => {
            let i = difference_interval(xa, xb, da.cfg.level);
            let m = match i {
                Some(i) => Measured::with_interval(fa.beta - fb.beta, i),
                None => Measured::value(fa.beta - fb.beta),
            };
            (
                m,
                equal_exponents_verdict(i),
                format!(
                    "β_{ka} = {} [{}, {}] over n ∈ {:?}, β_{kb} = {} [{}, {}] over n ∈ {:?}",
                    num(fa.beta),
                    num(fa.beta_interval[0]),
                    num(fa.beta_interval[1]),
                    sa.used,
                    num(fb.beta),
                    num(fb.beta_interval[0]),
                    num(fb.beta_interval[1]),
                    sb.used
                ),
            )
        }
        _ => {
            let missing: Vec<usize> = [(ka, &sa.fit), (kb, &sb.fit)]
                .iter()
                .filter(|(_, f)| f.is_none())
                .map(|(k, _)| *k)
                .collect();
            (
                Measured::value(f64::NAN),
                Verdict::not_resolved(format!(
                    "the exponent of d = {missing:?} is not measured (see its row): fewer than two widths have left the mean-field curve"
                )),
                "at least one exponent not measured".into(),
            )
        }
    };
    Claim {
        figure: SPEC.name,
        claim: format!("the loss exponent does not depend on the dimension: d = {ka} vs d = {kb}"),
        prediction:
            "β_d − β_d′ = 0 (the paper: the error scaling holds \"universally\", whatever d)".into(),
        quantity: format!(
            "β_{ka} − β_{kb} of the end-of-run relative loss (each fitted over its own widths that have left the mean-field curve); 95 % percentile interval of the difference of the two scans' independent bootstrap draws (paired by index){}{}; {widths}",
            replica_caveat(da.cfg.replicas),
            replica_caveat(db.cfg.replicas)
        ),
        measured,
        settings: format!("{}; {}", settings(da), settings(db)),
        verdict,
        note: "a difference of loss exponents, so the same for error exponents (halved)".into(),
    }
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    first(SPEC.name, ds)?;
    let scalings: Vec<LossScaling> = ds.iter().map(loss_scaling).collect();
    let mut series = Vec::new();
    let mut escapes = Vec::new();
    let mut claims = Vec::new();
    for (k, (d, s)) in ds.iter().zip(&scalings).enumerate() {
        let dim = d.cfg.base.dim;
        series.extend(loss_series(
            s,
            &format!("d = {dim}"),
            &format!("d = {dim}: "),
            k,
            false,
        ));
        let points: Vec<(f64, f64)> = s
            .widths
            .iter()
            .filter_map(|w| w.escape.map(|t| (w.n as f64, t)))
            .collect();
        escapes.push(Series {
            label: format!("d = {dim}"),
            hide_legend: points.is_empty(),
            points,
            errors: None,
            style: Style::LineMarkers,
            color: Some(k),
        });
        let what = format!("d = {dim}, exact gradient flow");
        claims.push(beta_claim(SPEC.name, d, s, &what));
        claims.push(learned_claim(SPEC.name, d, s, &what));
    }
    for i in 0..ds.len() {
        for j in i + 1..ds.len() {
            claims.push(difference_claim(
                (&ds[i], &scalings[i]),
                (&ds[j], &scalings[j]),
            ));
        }
    }
    // one grey key for the circles and the triangles of every d
    series.push(Series {
        label: "widths in the fit (left the mean-field curve)".into(),
        style: Style::Markers,
        color: Some(GREY),
        ..Series::default()
    });
    series.push(Series {
        label: "polished, beside each width (bar: min–max)".into(),
        style: Style::EdgeMarkers,
        color: Some(GREY),
        ..Series::default()
    });
    series.extend(guide(&scalings[0], HEALED_EXPONENT, "guide n^-2"));
    let below = if escapes.iter().any(|s| !s.points.is_empty()) {
        vec![Panel {
            y_label: format!("plateau escape time (mean ℓ/C_f < {ESCAPE_LEVEL})"),
            log_y: true,
            series: escapes,
        }]
    } else {
        Vec::new()
    };
    Ok(FigureOutput {
        figure: Figure {
            title: "Trained loss vs n in d = 5, 10, 25 (RBF, exact gradient flow, long runs)"
                .into(),
            x_label: "width n".into(),
            y_label: "relative loss ℓ_n/C_f at t_end".into(),
            log_x: true,
            log_y: true,
            series,
            below,
        },
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scales_are_the_briefs() {
        let full = (SPEC.full)();
        let labels: Vec<&str> = full.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["exact-d5-long", "exact-d10-long", "exact-d25-long"]
        );
        let (d10, d25) = (&full[1].scan, &full[2].scan);
        assert_eq!(
            (d10.widths.as_slice(), d10.replicas),
            (&[8, 16, 32, 64, 128][..], 4)
        );
        assert_eq!(d10.base.steps as f64 * d10.base.dt, 1e8);
        assert_eq!(d10.base.polish.map(|p| p.max_iterations), Some(100));
        assert_eq!(
            (d25.widths.as_slice(), d25.replicas),
            (&[16, 32, 64][..], 2)
        );
        assert_eq!(d25.base.steps as f64 * d25.base.dt, 1e7);
        assert_eq!(
            (d25.base.tol, d25.base.polish.map(|p| p.max_iterations)),
            (1e-4, Some(100))
        );
        for s in [d10, d25] {
            assert_eq!(s.base.step_rule, Some(StepRule::Implicit));
            assert_eq!(s.base.sigma, None, "σ = R/2 until the lead sets it");
        }
    }
}
