//! Figure 7 (`fit`): the target and the trained network along a great circle of the sphere.

use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::settings;
use crate::configs::exact_d5_long;
use crate::plot::{Figure, Series, Style};
use anyhow::{Context, Result};
use mf_stats::mf_core::Network;
use mf_stats::mf_core::spin_target::SpinModel;
use mf_stats::scan::CellResult;
use mf_stats::verdict::{Measured, fit_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "fit",
    description: "The 3-spin energy and the trained network f_n along a great circle of the sphere, for the smallest and the largest width (exact mode, RBF, d = 5, replica 0, at the end of the long runs of scan exact-d5-long).",
    quick: || vec![exact_d5_long(true)],
    full: || vec![exact_d5_long(false)],
    build,
};

/// Points along the circle.
const CIRCLE_POINTS: usize = 400;

fn build(data: &[ScanData]) -> Result<FigureOutput> {
    let d = first(SPEC.name, data)?;
    let b = &d.cfg.base;
    let model = SpinModel::new(b.dim, b.seed).context("figure fit: the target")?;
    let r = model.radius();
    let unit = b
        .builtin_unit()
        .context("figure fit: its scans must use a shipped unit")?;
    let m = CIRCLE_POINTS;
    let circle: Vec<(f64, Vec<f64>)> = (0..m)
        .map(|k| {
            let th = 2.0 * std::f64::consts::PI * k as f64 / m as f64;
            let mut x = vec![0.0; b.dim];
            x[0] = r * th.cos();
            if b.dim > 1 {
                x[1] = r * th.sin();
            }
            (th, x)
        })
        .collect();
    let target: Vec<(f64, f64)> = circle.iter().map(|(t, x)| (*t, model.energy(x))).collect();
    let rms_f = (target.iter().map(|(_, v)| v * v).sum::<f64>() / m as f64).sqrt();
    let mut series = vec![Series {
        label: "target f (3-spin energy)".into(),
        points: target.clone(),
        errors: None,
        style: Style::Line,
        ..Series::default()
    }];
    let mut errors = Vec::new();
    let nonempty: Vec<&(usize, Vec<CellResult>)> =
        d.groups.iter().filter(|(_, c)| !c.is_empty()).collect();
    let picks: Vec<&(usize, Vec<CellResult>)> = match nonempty.len() {
        0 => vec![],
        1 => vec![nonempty[0]],
        k => vec![nonempty[0], nonempty[k - 1]],
    };
    for (n, cells) in picks {
        let c = &cells[0];
        let q = c.final_z.first().map(|z| z.len()).unwrap_or(0);
        let net = Network {
            c: c.final_c.clone(),
            z: mf_stats::mf_core::faer::Mat::from_fn(*n, q, |i, k| c.final_z[i][k]),
        };
        let pts: Vec<(f64, f64)> = circle
            .iter()
            .map(|(t, x)| (*t, net.eval(unit.as_ref(), x)))
            .collect();
        let rms_e = (pts
            .iter()
            .zip(&target)
            .map(|(a, b)| (a.1 - b.1).powi(2))
            .sum::<f64>()
            / m as f64)
            .sqrt();
        errors.push((*n, rms_e / rms_f));
        series.push(Series {
            label: format!("network f_n, n = {n}"),
            points: pts,
            errors: None,
            style: Style::Dashed,
            ..Series::default()
        });
    }
    let mut claims = Vec::new();
    if let [(n0, e0), (n1, e1)] = errors[..] {
        claims.push(Claim {
            figure: SPEC.name,
            claim: "the network learns the target (illustration)".into(),
            prediction: "f_n approaches f, more closely for larger n".into(),
            quantity: format!(
                "relative RMS error along the circle, n = {n1} (n = {n0}: {})",
                super::num(e0)
            ),
            measured: Measured::value(e1),
            settings: settings(d),
            verdict: fit_verdict(e0, e1),
            note: String::new(),
            basis: Basis::default(),
        });
    }
    Ok(FigureOutput {
        figure: Figure {
            title: format!(
                "Target and trained networks along a great circle (d = {}, t = {})",
                b.dim,
                super::text::time_text(b.steps as f64 * b.dt)
            ),
            x_label: "angle θ on the circle x = R(cos θ e₁ + sin θ e₂)".into(),
            y_label: "f(x), f_n(x)".into(),
            log_x: false,
            log_y: false,
            series,
            ..Figure::default()
        },
        claims,
    })
}
