//! Figure 4 (`relu`): a single-hidden-layer ReLU network, final loss versus n.

use super::claims::{beta_claim, learned_claim};
use super::scaling::{guide, loss_scaling, loss_series};
use super::spec::{FigureOutput, FigureSpec, ScanData, first};
use crate::configs::named;
use crate::plot::Figure;
use anyhow::Result;
use mf_stats::mf_core::{Mode, TrainConfig, UnitKind};
use mf_stats::scan::{BatchScaling, FitQuantity, ScanConfig};
use mf_stats::verdict::HEALED_EXPONENT;

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "relu",
    description: "Single-hidden-layer ReLU network on the d = 25 target (scan relu-d25: online SGD with a batch growing like n², P = n²/32 (α = 1: the SGD noise is then below the GD rate, the paper's guideline), Δt = 0.25, to t = 10⁴; widths 64–512 because narrower widths are still escaping the affine plateau ≈ 0.88 at t = 10⁴): the end-of-run relative loss versus n (markers: mean over the distinct end states, bars min–max) and the power law fitted over the widths that have left the mean-field curve and over which the local slopes agree (the rule of scaling-gd; dashed, drawn across every width); grey dashed: the guide n⁻². Claims: the exponent of the loss against −2 (error O(n⁻¹)), judged only on three or more widths over which the curve is a power law, and that the widest width has learned (relative loss ≤ 0.05).",
    quick: || vec![named("relu-d25", relu_scan(&[64, 128, 256], 3, 20.0))],
    full: || vec![named("relu-d25", relu_scan(&[64, 128, 256, 512], 3, 1e4))],
    build,
};

/// Online SGD of ReLU units at d = 25, P = n²/32 (α = 1), Δt = 0.25 (Δt = 0.5 and larger
/// batches at Δt = 0.25 were seen to spike: the step is near its stability limit once the
/// charges grow).
fn relu_scan(widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.25;
    let mut base = TrainConfig::new(
        UnitKind::named("relu"),
        25,
        widths[0],
        (time / dt) as u64,
        dt,
        1,
    );
    base.mode = Mode::Online;
    base.test_size = 8192;
    base.evals_per_decade = 6;
    let mut s = ScanConfig::new(base, widths.to_vec(), replicas);
    s.batch_scaling = Some(BatchScaling {
        p0: 1.0 / 32.0,
        exponent: 2.0,
    });
    s.quantity = FitQuantity::FinalRelativeTestLoss;
    s.probe_size = 256;
    s.bootstrap = 1000;
    s
}

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
            title: "Single-hidden-layer ReLU network, d = 25, online SGD".into(),
            x_label: "width n".into(),
            y_label: "relative loss ℓ_n/C_f at t_end".into(),
            log_x: true,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims: vec![
            beta_claim(SPEC.name, d, &s, "ReLU units, d = 25"),
            learned_claim(SPEC.name, d, &s, "ReLU units, d = 25, online SGD"),
        ],
    })
}
