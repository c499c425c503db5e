//! Figure `rbf-width` (supplementary): the relative loss at a fixed time against the RBF width
//! σ/R in d = 5, 10 and 25 — the small scan from which σ is chosen per d for the long runs.

use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{num, settings, time_text};
use crate::configs::{NamedScan, exact, named, with_rule};
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::mf_core::config::StepRule;
use mf_stats::verdict::{ESCAPE_LEVEL, Measured, sigma_scan_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "rbf-width",
    description: "Supplementary: how the RBF width σ is chosen. The relative loss ℓ_n(t)/C_f at a fixed time (full scale: t = 10⁴, n = 32, one replica, exact gradient flow with the implicit rule) against σ/R ∈ {0.3, 0.4, 0.5, 0.75, 1} (R = √d, the radius of the data sphere; random pairs of sphere points are ≈ √2 R apart, so σ must scale with R) for d = 5, 10 and 25. The paper does not state σ. The long runs (scaling-gd, scaling-dim, long-time and the figures sharing their scans) take σ from their scans' field `sigma` (null: σ = R/2), to be set per d to the σ/R with the lowest loss here — the one that learns fastest at this time; every row's settings state the σ/R a scan used. Claims: per d the best σ/R, and whether it has left the plateau (relative loss < 0.5) by t.",
    quick: || width_scans(8, 50.0),
    full: || width_scans(32, 1e4),
    build,
};

/// The dimensions of the scan.
const DIMS: [usize; 3] = [5, 10, 25];
/// The RBF widths σ/R of the scan.
const SIGMA_OVER_R: [f64; 5] = [0.3, 0.4, 0.5, 0.75, 1.0];

/// One scan (one width, one replica) per d and σ/R: `rbf-width-d{d}-s{σ/R}`.
fn width_scans(n: usize, time: f64) -> Vec<NamedScan> {
    DIMS.iter()
        .flat_map(|&d| {
            SIGMA_OVER_R.iter().map(move |&s| {
                let mut scan =
                    with_rule(exact(d, &[n], 1, time), Some(StepRule::named("implicit")));
                scan.base.sigma = Some(s * (d as f64).sqrt());
                named(&format!("rbf-width-d{d}-s{s}"), scan)
            })
        })
        .collect()
}

/// σ/R as the config spells it (σ/R is σ over √d, so 0.4 comes back as 0.4000000000000001).
fn short_ratio(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// σ/R of a scan.
fn sigma_over_r(d: &ScanData) -> f64 {
    d.cfg.base.resolved_sigma() / (d.cfg.base.dim as f64).sqrt()
}

/// The mean relative loss at the last recorded time over the scan's finished cells (NaN
/// without one).
fn final_loss(d: &ScanData) -> f64 {
    let v: Vec<f64> = d
        .groups
        .iter()
        .flat_map(|(_, cells)| cells)
        .filter_map(|c| c.trace.last().map(|r| r.relative_test_loss))
        .collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    first(SPEC.name, ds)?;
    let mut dims: Vec<usize> = ds.iter().map(|d| d.cfg.base.dim).collect();
    dims.sort_unstable();
    dims.dedup();
    let mut series = Vec::new();
    let mut claims = Vec::new();
    for (k, &dim) in dims.iter().enumerate() {
        let mut pts: Vec<(f64, f64, &ScanData)> = ds
            .iter()
            .filter(|d| d.cfg.base.dim == dim)
            .map(|d| (sigma_over_r(d), final_loss(d), d))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        series.push(Series {
            label: format!("d = {dim}"),
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            errors: None,
            style: Style::LineMarkers,
            color: Some(k),
            hide_legend: false,
        });
        let best = pts
            .iter()
            .filter(|p| p.1.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let (best_s, best_l) = best.map(|p| (p.0, p.1)).unwrap_or((f64::NAN, f64::NAN));
        let listing = pts
            .iter()
            .map(|p| format!("{}: {}", short_ratio(p.0), num(p.1)))
            .collect::<Vec<_>>()
            .join(", ");
        let d0 = best.map(|p| p.2).unwrap_or(pts[0].2);
        let n = d0.cfg.widths.first().copied().unwrap_or(0);
        let t = d0.cfg.base.steps as f64 * d0.cfg.base.dt;
        claims.push(Claim {
            figure: SPEC.name,
            claim: format!("d = {dim}: the RBF width that learns fastest (the σ of the long runs)"),
            prediction: format!(
                "none from the paper (σ is a choice, scaling with R); a σ that leaves the plateau (relative loss < {ESCAPE_LEVEL}) by t"
            ),
            quantity: format!(
                "σ/R with the lowest relative loss ℓ_n(t)/C_f at t = {}, n = {n}, {} replica(s) (its loss {}; per σ/R: {listing})",
                time_text(t),
                d0.cfg.replicas,
                num(best_l)
            ),
            measured: Measured::value(best_s),
            settings: settings(d0),
            verdict: sigma_scan_verdict(best_l),
            note: String::new(),
            basis: Basis::default(),
        });
    }
    Ok(FigureOutput {
        figure: Figure {
            title: "RBF width: relative loss at a fixed time vs σ/R".into(),
            x_label: "σ/R (R = √d)".into(),
            y_label: "relative loss ℓ_n(t)/C_f".into(),
            log_x: false,
            log_y: true,
            series,
            ..Figure::default()
        },
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scans_cover_every_d_and_sigma() {
        let full = (SPEC.full)();
        assert_eq!(full.len(), 15);
        assert_eq!(full[0].label, "rbf-width-d5-s0.3");
        assert_eq!(full[14].label, "rbf-width-d25-s1");
        for s in &full {
            let b = &s.scan.base;
            assert_eq!((s.scan.widths.as_slice(), s.scan.replicas), (&[32][..], 1));
            assert_eq!(b.steps as f64 * b.dt, 1e4);
            assert_eq!(b.step_rule, Some(StepRule::named("implicit")));
            let r = b.resolved_sigma() / (b.dim as f64).sqrt();
            assert!(SIGMA_OVER_R.iter().any(|x| (x - r).abs() < 1e-12), "{r}");
        }
    }

    #[test]
    fn ratios_print_as_the_config_spells_them() {
        let spelled: Vec<String> = SIGMA_OVER_R.iter().map(|x| format!("{x}")).collect();
        for s in (SPEC.full)() {
            let b = &s.scan.base;
            let r = b.resolved_sigma() / (b.dim as f64).sqrt();
            let shown = format!("{}", short_ratio(r));
            assert!(spelled.contains(&shown), "{r} shown as {shown}");
        }
        assert_eq!(format!("{}", short_ratio(0.4000000000000001)), "0.4");
    }
}
