//! Figure 3 (`scaling-dim`): the end-of-run loss of long runs against n in d = 5, 10 and 25,
//! the exponent of each, their pairwise differences, and the plateau escape times.

use super::claims::{beta_claim, learned_claim};
use super::scaling::{
    GREY, LossScaling, difference_coverage, escape_panel, escape_series, guide, loss_scaling,
    loss_series,
};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{fit_text, settings};
use crate::configs::exact_d5_long;
use crate::configs::{NamedScan, exact, named, polished, with_rule};
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::fit::{INTERVAL_METHOD, difference_interval};
use mf_stats::mf_core::config::StepRule;
use mf_stats::verdict::{HEALED_EXPONENT, Measured, Verdict, difference_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "scaling-dim",
    description: "The trained loss against n in d = 5, 10 and 25 (RBF, exact gradient flow, stiff W-rule ros34pw2; d = 5: t = 10⁸, scan exact-d5-long; d = 10: t = 10⁸; d = 25: t = 10⁷, tol 10⁻⁴). The RBF width σ is a field of each scan (`sigma`, null: σ = R/2); it is chosen per d from the σ scan of figure rbf-width (the σ/R with the lowest relative loss at a fixed time) and stated in each row's settings. Top, per d: markers = end-of-run relative loss ℓ_n(t_end)/C_f, mean over the distinct end states of each width with bars from the smallest to the largest; triangles at each width = the mean polished loss (a bound, not a point of the flow); dashed line in the same colour = the power law fitted over the widths that have left the mean-field curve and over which the local slopes agree (legend: the widths of the fit), drawn across every width; grey dashed: the guide n⁻². Bottom (when some width escapes): the plateau escape time, the first recorded time at which the replica-mean relative loss falls below 0.5, against n for each d. Claims: per d the exponent of the loss against −2 (judged only on three or more widths over which the curve is a power law) and whether the widest width has learned (relative loss ≤ 0.05); dimension independence as the pairwise differences β_d − β_d′ against 0, with the t interval of the difference (Welch–Satterthwaite over both scans), judged only when both exponents are.",
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
/// stiff W-rule `ros34pw2` (local-error tolerance `tol`, default 10⁻⁵), then the polish.
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
        with_rule(s, Some(StepRule::named("ros34pw2"))),
    )
}

/// The pairwise claim that the exponents of two dimensions are equal.
fn difference_claim(a: (&ScanData, &LossScaling), b: (&ScanData, &LossScaling)) -> Claim {
    let (da, sa) = a;
    let (db, sb) = b;
    let (ka, kb) = (da.cfg.base.dim, db.cfg.base.dim);
    let (measured, verdict, basis) = match (&sa.fit, &sb.fit) {
        (Some(fa), Some(fb)) => {
            let (value, i) = difference_interval(fa, fb, da.cfg.level);
            let coverage = difference_coverage(
                (fa, sa),
                (fb, sb),
                da.cfg.level,
                &format!("{}-{}/difference", da.label, db.label),
            );
            (
                Measured::with_interval(value, i),
                difference_verdict((&format!("d = {ka}"), fa), (&format!("d = {kb}"), fb), i),
                Basis {
                    widths: vec![fa.widths.clone(), fb.widths.clone()],
                    replicas: vec![fa.replicas.clone(), fb.replicas.clone()],
                    interval_method: INTERVAL_METHOD.into(),
                    coverage: Some(coverage),
                },
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
                Basis::default(),
            )
        }
    };
    let coverage = basis
        .coverage
        .map(|c| format!("; the interval covered the true difference in {} of lognormal replicas at the observed spreads with these widths and replicas", c.text()))
        .unwrap_or_default();
    Claim {
        figure: SPEC.name,
        claim: format!("the loss exponent does not depend on the dimension: d = {ka} vs d = {kb}"),
        prediction:
            "β_d − β_d′ = 0 (the paper: the error scaling holds \"universally\", whatever d)".into(),
        quantity: format!(
            "β_{ka} − β_{kb} of the end-of-run relative loss, each fitted over its own power-law range of the widths that have left the mean-field curve (judged only when both are exponents: three widths or more, a power law over them); t interval of the difference with Welch–Satterthwaite degrees of freedom over both scans{coverage}; d = {ka}: {}; d = {kb}: {}",
            fit_text(sa.fit.as_ref()),
            fit_text(sb.fit.as_ref())
        ),
        measured,
        settings: format!("{}; {}", settings(da), settings(db)),
        verdict,
        note: "a difference of loss exponents, so the same for error exponents (halved)".into(),
        basis,
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
        escapes.push(escape_series(s, format!("d = {dim}"), k, |i| {
            s.widths[i].n as f64
        }));
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
    // one grey key for the triangles of every d
    series.push(Series {
        label: "polished, at its own n (bar: min–max)".into(),
        style: Style::Triangles,
        color: Some(GREY),
        ..Series::default()
    });
    series.extend(guide(&scalings[0], HEALED_EXPONENT, "guide n^-2"));
    let below = escape_panel(escapes);
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
        assert_eq!(
            d10.base.polish.as_ref().map(|p| p.max_iterations),
            Some(100)
        );
        assert_eq!(
            (d25.widths.as_slice(), d25.replicas),
            (&[16, 32, 64][..], 2)
        );
        assert_eq!(d25.base.steps as f64 * d25.base.dt, 1e7);
        assert_eq!(
            (
                d25.base.tol,
                d25.base.polish.as_ref().map(|p| p.max_iterations)
            ),
            (1e-4, Some(100))
        );
        for s in [d10, d25] {
            assert_eq!(s.base.step_rule, Some(StepRule::named("ros34pw2")));
            assert_eq!(s.base.sigma, None, "σ = R/2 until the lead sets it");
        }
    }
}
