//! Figure 5 (`sgd-batch`): online SGD with batch P = 2 n^(2α): fitted fluctuation exponent
//! versus α beside the prediction.

use super::common::settings;
use super::{Claim, FigureOutput, FigureSpec, ScanData, first};
use crate::configs::NamedScan;
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::mf_core::{Mode, TrainConfig, UnitKind};
use mf_stats::scan::{BatchScaling, FitQuantity, ScanConfig};
use mf_stats::verdict::{Measured, sgd_batch_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "sgd-batch",
    description: "Online SGD with batch P = 2 n^(2 alpha): fitted exponent of the fluctuation part of the final loss versus alpha, beside the prediction.",
    quick: || alpha_scans(8, 25.0),
    full: || alpha_scans(16, 100.0),
    build,
};

/// The batch exponent parameters α of the scans.
const ALPHAS: [f64; 6] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25];

/// One scan per α in [`ALPHAS`], widths 8–64.
fn alpha_scans(replicas: u64, time: f64) -> Vec<NamedScan> {
    ALPHAS
        .iter()
        .map(|&a| NamedScan {
            label: format!("online-alpha{a}"),
            alpha: Some(a),
            scan: online_alpha(a, &[8, 16, 32, 64], replicas, time),
        })
        .collect()
}

/// Online SGD of RBF units at d = 5 with P = P₀ n^{2α}; the fitted quantity is the variance part.
fn online_alpha(alpha: f64, widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.25;
    let mut base = TrainConfig::new(UnitKind::Rbf, 5, widths[0], (time / dt) as u64, dt, 1);
    base.mode = Mode::Online;
    base.test_size = 4096;
    base.evals_per_decade = 6;
    let mut s = ScanConfig::new(base, widths.to_vec(), replicas);
    s.batch_scaling = Some(BatchScaling {
        p0: 2.0,
        exponent: 2.0 * alpha,
    });
    s.quantity = FitQuantity::FinalVariance;
    s.probe_size = 256;
    s.bootstrap = 500;
    s
}

/// The finite-time prediction for the exponent of the fluctuation part of the loss with
/// P ∝ n^{2α}: initial-condition CLT variance ∝ n^-1 plus SGD noise variance ∝ Δt/P ∝ n^{-2α}.
pub fn predicted_variance_exponent(alpha: f64) -> f64 {
    -(2.0 * alpha).min(1.0)
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    first(SPEC.name, ds)?;
    let mut pts = Vec::new();
    let mut errs = Vec::new();
    let mut claims = Vec::new();
    for d in ds {
        let alpha = d.alpha.unwrap_or(f64::NAN);
        let predicted = predicted_variance_exponent(alpha);
        let interval = d
            .fit
            .as_ref()
            .map(|f| (f.beta_interval[0], f.beta_interval[1]));
        let measured = match &d.fit {
            Some(f) => {
                pts.push((alpha, f.beta));
                errs.push((f.beta_interval[0], f.beta_interval[1]));
                Measured::with_interval(f.beta, (f.beta_interval[0], f.beta_interval[1]))
            }
            None => Measured::value(f64::NAN),
        };
        claims.push(Claim {
            figure: SPEC.name,
            claim: format!("α = {alpha}: SGD noise with P ∝ n^(2α) sets the fluctuation scaling"),
            prediction: format!("β = -min(1, 2α) = {predicted} for the fluctuation part of the loss at finite time (the paper's long-time accuracy O(n^-α) for α < 1, GD rate for α ≥ 1, needs longer runs)"),
            quantity: "β of ½ mean_k Var_R[f_n(x_k)] at the final time".into(),
            measured,
            settings: settings(d),
            verdict: sgd_batch_verdict(interval, predicted),
        });
    }
    let theory: Vec<(f64, f64)> = (0..=50)
        .map(|k| {
            let a = 1.25 * k as f64 / 50.0;
            (a, predicted_variance_exponent(a))
        })
        .collect();
    Ok(FigureOutput {
        figure: Figure {
            title: "Online SGD with P = 2 n^(2α): fluctuation exponent vs α (RBF, d = 5)".into(),
            x_label: "α".into(),
            y_label: "fitted exponent β".into(),
            log_x: false,
            log_y: false,
            series: vec![
                Series {
                    label: "measured β (bootstrap interval)".into(),
                    points: pts,
                    errors: Some(errs),
                    style: Style::Markers,
                    ..Series::default()
                },
                Series {
                    label: "prediction -min(1, 2α)".into(),
                    points: theory,
                    errors: None,
                    style: Style::Dashed,
                    ..Series::default()
                },
            ],
            ..Figure::default()
        },
        claims,
    })
}
