//! Figure 3 (`scaling-dim`): the scaling of the final loss with n in several dimensions.

use super::common::{fit_claim, guides, scaling_series, settings};
use super::{Claim, FigureOutput, FigureSpec, ScanData, first};
use crate::configs::{exact, exact_d5, named};
use crate::plot::Figure;
use anyhow::Result;
use mf_stats::verdict::{Measured, dimension_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "scaling-dim",
    description: "The scaling of the final loss with n in d = 5, 10 and 25 (exact mode, RBF): the exponent should not depend on the dimension.",
    quick: || {
        vec![
            exact_d5(true),
            named("exact-d10", exact(10, &[8, 16, 32, 64], 3, 300.0)),
            named("exact-d25", exact(25, &[8, 16, 32, 64], 3, 300.0)),
        ]
    },
    full: || {
        vec![
            exact_d5(false),
            named("exact-d10", exact(10, &[8, 16, 32, 64, 128], 4, 10_000.0)),
            named("exact-d25", exact(25, &[8, 16, 32, 64, 128], 4, 10_000.0)),
        ]
    },
    build,
};

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    let d0 = first(SPEC.name, ds)?;
    let mut series = Vec::new();
    let mut claims = Vec::new();
    for d in ds {
        series.extend(scaling_series(d, &format!("d = {}", d.cfg.base.dim), true));
        claims.push(fit_claim(SPEC.name, d, &format!("d = {}", d.cfg.base.dim)));
    }
    series.extend(guides(d0));
    let intervals: Vec<Option<(f64, f64)>> = ds
        .iter()
        .map(|d| {
            d.fit
                .as_ref()
                .map(|f| (f.beta_interval[0], f.beta_interval[1]))
        })
        .collect();
    let betas = ds.iter().filter_map(|d| d.fit.as_ref()).map(|f| f.beta);
    let spread =
        betas.clone().fold(f64::NEG_INFINITY, f64::max) - betas.fold(f64::INFINITY, f64::min);
    claims.push(Claim {
        figure: SPEC.name,
        claim: "the scaling exponent does not depend on the dimension (up to d = 25)".into(),
        prediction: "equal β for every d".into(),
        quantity: "max β − min β over the dimensions".into(),
        measured: Measured::value(spread),
        settings: ds.iter().map(settings).collect::<Vec<_>>().join("; "),
        verdict: dimension_verdict(&intervals),
    });
    Ok(FigureOutput {
        figure: Figure {
            title: "Scaling with n in d = 5, 10, 25 (RBF, exact GD)".into(),
            x_label: "width n".into(),
            y_label: "final relative test loss".into(),
            log_x: true,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims,
    })
}
