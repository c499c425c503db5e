//! Figure `scaling-teacher`: the trained loss against n on a target that is itself a mean-field
//! network (the `teacher` target: k RBF units with the student's σ), in d = 5 and d = 25 — the
//! setting in which the paper's analysis holds exactly, beside the 3-spin rows of `scaling-gd`
//! and `scaling-dim`.

use super::claims::{beta_claim, learned_claim};
use super::scaling::{GREY, LossScaling, guide, loss_scaling, loss_series};
use super::spec::{FigureOutput, FigureSpec, ScanData, first};
use crate::configs::{NamedScan, exact, named, polished, with_rule};
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::mf_core::config::StepRule;
use mf_stats::mf_core::target::TargetName;
use mf_stats::verdict::HEALED_EXPONENT;

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "scaling-teacher",
    description: "The trained loss against n on a teacher target (RBF students, exact gradient flow with the stiff W-rule ros34pw2): f(x) = (1/k) Σ_a c*_a exp(−|x − z*_a|²/(2σ²)) with the students' σ = R/2, k = 16 × the widest student, centres uniform on the data sphere, charges N(0, 1) scaled to E f² = 1 (target `teacher`). For this target the paper's setting holds exactly (f is a mean-field network with a bounded measure; a minimiser of loss zero exists once n ≥ k), so it tests the predicted rate without the question whether the 3-spin model, a degree-3 polynomial, is in the theory's regime. Markers: the end-of-run relative loss ℓ_n(t_end)/C_f, mean over the distinct end states of each width (bars: min–max); triangles: the mean polished loss (a bound at or below lim ℓ_n(t), not a point of the flow); dashed: the power law fitted over the widths that have left the mean-field curve and over which the local slopes agree (legend: its widths); grey dashed: the guide n⁻². Claims: per d the exponent of the loss against −2 (judged only on three or more widths over which the curve is a power law) and whether the widest width has learned (relative loss ≤ 0.05).",
    quick: || {
        vec![
            teacher_scan(5, &[8, 16], 2, 300.0, 10, None, None),
            teacher_scan(25, &[8, 16], 2, 100.0, 10, None, None),
        ]
    },
    full: || {
        vec![
            teacher_scan(5, &[8, 16, 32, 64, 128], 4, 1e6, 200, Some(1e-5), RULE),
            teacher_scan(25, &[8, 16, 32, 64], 3, 1e5, 100, Some(1e-4), RULE),
        ]
    },
    build,
};

/// The stiff rule of the full scale.
const RULE: Option<StepRule> = Some(StepRule::named("ros34pw2"));

/// `exact-teacher-d{dim}`: the exact flow of RBF units (σ = R/2) on the teacher target of
/// k = 16 × the widest width, then the polish; `rule` `None` is exact mode's adaptive default.
fn teacher_scan(
    dim: usize,
    widths: &[usize],
    replicas: u64,
    time: f64,
    polish: u64,
    tol: Option<f64>,
    rule: Option<StepRule>,
) -> NamedScan {
    let mut s = polished(exact(dim, widths, replicas, time), polish);
    s.base.target = TargetName::named("teacher");
    s.base.teacher_width = Some(16 * widths.iter().copied().max().unwrap_or(1));
    if let Some(t) = tol {
        s.base.tol = t;
    }
    named(&format!("exact-teacher-d{dim}"), with_rule(s, rule))
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    first(SPEC.name, ds)?;
    let scalings: Vec<LossScaling> = ds.iter().map(loss_scaling).collect();
    let mut series = Vec::new();
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
        let what = format!("d = {dim}, teacher target, exact gradient flow");
        claims.push(beta_claim(SPEC.name, d, s, &what));
        claims.push(learned_claim(SPEC.name, d, s, &what));
    }
    series.push(Series {
        label: "polished, at its own n (bar: min–max)".into(),
        style: Style::Triangles,
        color: Some(GREY),
        ..Series::default()
    });
    series.extend(guide(&scalings[0], HEALED_EXPONENT, "guide n^-2"));
    Ok(FigureOutput {
        figure: Figure {
            title: "Trained loss vs n on a teacher network (RBF, exact gradient flow)".into(),
            x_label: "width n".into(),
            y_label: "relative loss ℓ_n/C_f at t_end".into(),
            log_x: true,
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
    fn the_teacher_is_sixteen_times_the_widest_student_at_both_scales() {
        for scans in [(SPEC.quick)(), (SPEC.full)()] {
            let labels: Vec<&str> = scans.iter().map(|s| s.label.as_str()).collect();
            assert_eq!(labels, ["exact-teacher-d5", "exact-teacher-d25"]);
            for s in &scans {
                let widest = *s.scan.widths.iter().max().unwrap();
                assert_eq!(s.scan.base.target.as_str(), "teacher");
                assert_eq!(s.scan.base.teacher_width, Some(16 * widest));
                assert!(s.scan.widths.len() >= 2);
                s.scan.validate().unwrap();
            }
        }
        let full = (SPEC.full)();
        assert!(full.iter().all(|s| s.scan.widths.len() >= 4));
        assert!(full.iter().all(|s| s.scan.base.step_rule == RULE));
    }
}
