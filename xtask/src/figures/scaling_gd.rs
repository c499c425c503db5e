//! Figure 2 (`scaling-gd`): the end-of-run loss of long runs of the exact gradient flow against
//! n (RBF, d = 5), the polished values beside it, and its exponent over the widths that have
//! left the mean-field curve.

use super::claims::{beta_claim, learned_claim};
use super::scaling::{guide, loss_scaling, loss_series};
use super::spec::{FigureOutput, FigureSpec, ScanData, first};
use crate::configs::exact_d5_long;
use crate::plot::Figure;
use anyhow::Result;
use mf_stats::verdict::HEALED_EXPONENT;

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "scaling-gd",
    description: "The trained loss against n for long runs of the exact population gradient flow (RBF, d = 5, scan exact-d5-long, shared with long-time: t = 10⁸ with the stiff W-rule ros34pw2). Markers: the end-of-run relative loss ℓ_n(t_end)/C_f, mean over the distinct end states of each width (replicas that end in the same state counted once), bars from the smallest to the largest; triangles at each width: the mean polished loss (a second-order descent from the flow's final state; a bound at or below lim ℓ_n(t), not a point of the flow; bars min–max); dashed line: the power law fitted over the widths that have left the mean-field curve ℓ_∞(t) (every end state stationary, or a mean end loss above the next wider width's by more than 2 combined standard errors) and over which the local slopes agree (the narrowest dropped while at least three remain and they do not), drawn across every width, its legend naming the widths of the fit (least squares on log–log axes; 95 % t interval from the jackknife over replicas, Welch–Satterthwaite degrees of freedom); grey dashed: the guide n⁻² (error O(n⁻¹)). Claims: the exponent of the loss against −2 — judged only on three or more widths over which the curve is a power law — and that the widest width has learned (relative loss ≤ 0.05).",
    quick: || vec![exact_d5_long(true)],
    full: || vec![exact_d5_long(false)],
    build,
};

fn build(data: &[ScanData]) -> Result<FigureOutput> {
    let d = first(SPEC.name, data)?;
    let s = loss_scaling(d);
    let mut series = loss_series(
        &s,
        "mean over the distinct end states (bars: min–max)",
        "",
        0,
        true,
    );
    series.extend(guide(&s, HEALED_EXPONENT, "guide n^-2"));
    Ok(FigureOutput {
        figure: Figure {
            title: "Trained loss vs n (RBF, d = 5, exact gradient flow, long runs)".into(),
            x_label: "width n".into(),
            y_label: "relative loss ℓ_n/C_f at t_end".into(),
            log_x: true,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims: vec![
            beta_claim(SPEC.name, d, &s, "d = 5, exact gradient flow"),
            learned_claim(SPEC.name, d, &s, "d = 5, exact gradient flow"),
        ],
    })
}
