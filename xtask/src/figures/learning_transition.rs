//! Figure `learning-transition`: the end-of-run loss of the long scans of d = 5, 10 and 25
//! against the number of parameters n(d + 1) over the dimension D(d) of the space the 3-spin
//! target lives in (harmonics of degree 1 and 3), with the plateau escape times, and whether
//! the transition to a learned network sits at a fixed ratio across d.

use super::replicas::coverage_seed;
use super::scaling::{LossScaling, escape_panel, escape_series, loss_scaling};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{num, settings};
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::coverage::{TRIALS, log_spreads};
use mf_stats::inference::log_mean_interval;
use mf_stats::transition::{
    Crossing, RatioPoint, SimWidth, crossing, cubic_target_dim, log_ratio_interval,
    simulate_crossing_coverage,
};
use mf_stats::verdict::{LEARNED_RELATIVE_LOSS, Measured, Verdict, interval_verdict};

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "learning-transition",
    description: "The learning transition against the size of the target's space (RBF, exact gradient flow, the long scans of scaling-dim: d = 5 and 10 to t = 10⁸, d = 25 to t = 10⁷). x: the ratio r = n(d + 1)/D(d) of the network's parameters to the dimension D(d) = C(d + 2, 3) of the space of the 3-spin target (spherical harmonics of degree 1 and 3: 35, 220, 2925 at d = 5, 10, 25; mf-stats transition.rs). Top: the end-of-run relative loss, mean over the distinct end states of each width with its 95 % t interval (jackknife of ln ȳ), one line per d; dotted: the level 0.05 (learned). Bottom: the plateau escape time (first recorded t with replica-mean ℓ/C_f < 0.5) against r. Claims: per d the transition ratio r* where the mean first falls to 0.05 (log–log interpolation between the bracketing widths; its interval from their means' intervals, coverage measured by simulation), and whether r* is the same across d (ln(r*_d′/r*_d) against 0; d = 25 gives a bound when its widths have not crossed).",
    // the same scans, hence the same cells, as scaling-dim
    quick: || (super::scaling_dim::SPEC.quick)(),
    full: || (super::scaling_dim::SPEC.full)(),
    build,
};

/// Per width: r, the mean and its interval (the mean itself when there is no interval).
fn ratio_points(d: &ScanData, s: &LossScaling) -> Vec<RatioPoint> {
    let dim = d.cfg.base.dim;
    let big_d = cubic_target_dim(dim as u64);
    s.widths
        .iter()
        .map(|w| RatioPoint {
            ratio: (w.n * (dim + 1)) as f64 / big_d,
            mean: w.mean,
            interval: log_mean_interval(&w.values, d.cfg.level).unwrap_or((w.mean, w.mean)),
        })
        .collect()
}

/// The two bracketing widths of a crossing as simulated widths (true means = the observed
/// ones, the observed spreads and distinct end states).
fn bracket(s: &LossScaling, pts: &[RatioPoint]) -> Option<[SimWidth; 2]> {
    let k = pts.iter().position(|p| p.mean <= LEARNED_RELATIVE_LOSS)?;
    if k == 0 {
        return None;
    }
    let w = |i: usize| {
        let spread = log_spreads(&[(s.widths[i].n, s.widths[i].values.clone())])[0];
        SimWidth {
            ratio: pts[i].ratio,
            mean: pts[i].mean,
            replicas: s.widths[i].values.len(),
            spread,
        }
    };
    Some([w(k - 1), w(k)])
}

fn crossing_text(dim: usize, c: Option<&Crossing>) -> String {
    match c {
        Some(Crossing::At { ratio, interval }) => format!(
            "d = {dim}: r* = {}{}",
            num(*ratio),
            interval
                .map(|(lo, hi)| format!(" [{}, {}]", num(lo), num(hi)))
                .unwrap_or_else(|| " (no interval)".into())
        ),
        Some(Crossing::Above(r)) => {
            format!(
                "d = {dim}: no width has learned: r* > {} (the widest ratio)",
                num(*r)
            )
        }
        Some(Crossing::Below(r)) => format!("d = {dim}: every width has learned: r* < {}", num(*r)),
        None => format!("d = {dim}: no widths"),
    }
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    first(SPEC.name, ds)?;
    let scalings: Vec<LossScaling> = ds.iter().map(loss_scaling).collect();
    let mut series = Vec::new();
    let mut escapes = Vec::new();
    let mut per_d = Vec::new();
    for (k, (d, s)) in ds.iter().zip(&scalings).enumerate() {
        let dim = d.cfg.base.dim;
        let pts = ratio_points(d, s);
        series.push(Series {
            label: format!("d = {dim} (D = {})", cubic_target_dim(dim as u64)),
            points: pts.iter().map(|p| (p.ratio, p.mean)).collect(),
            errors: Some(pts.iter().map(|p| p.interval).collect()),
            style: Style::LineMarkers,
            color: Some(k),
            hide_legend: false,
        });
        escapes.push(escape_series(s, format!("d = {dim}"), k, |i| pts[i].ratio));
        per_d.push((dim, crossing(&pts, LEARNED_RELATIVE_LOSS), bracket(s, &pts)));
    }
    if let (Some(lo), Some(hi)) = (
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .reduce(f64::min),
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .reduce(f64::max),
    ) {
        series.push(Series {
            label: format!("learned: ℓ/C_f = {LEARNED_RELATIVE_LOSS}"),
            points: vec![(lo, LEARNED_RELATIVE_LOSS), (hi, LEARNED_RELATIVE_LOSS)],
            style: Style::Dashed,
            color: Some(super::scaling::GREY),
            ..Series::default()
        });
    }
    let mut claims = Vec::new();
    let all = per_d
        .iter()
        .map(|(dim, c, _)| crossing_text(*dim, c.as_ref()))
        .collect::<Vec<_>>()
        .join("; ");
    for i in 0..per_d.len() {
        for j in i + 1..per_d.len() {
            claims.push(pair_claim(ds, (i, j), &per_d, &all));
        }
    }
    let below = escape_panel(escapes);
    Ok(FigureOutput {
        figure: Figure {
            title: "Learning transition vs parameters per target dimension (RBF, exact flow)"
                .into(),
            x_label: "n(d + 1)/D(d), D = dim of degree-1 and -3 harmonics".into(),
            y_label: "relative loss ℓ_n/C_f at t_end (bars: 95 % t interval)".into(),
            log_x: true,
            log_y: true,
            series,
            below,
        },
        claims,
    })
}

type PerD = (usize, Option<Crossing>, Option<[SimWidth; 2]>);

/// The claim that d and d′ learn at the same ratio: ln(r*_d′/r*_d) against 0.
fn pair_claim(ds: &[ScanData], (i, j): (usize, usize), per_d: &[PerD], all: &str) -> Claim {
    let (da, ca, ba) = &per_d[i];
    let (db, cb, bb) = &per_d[j];
    let (measured, verdict, basis, coverage_text) = match (ca, cb) {
        (
            Some(Crossing::At {
                ratio: ra,
                interval: Some(ia),
            }),
            Some(Crossing::At {
                ratio: rb,
                interval: Some(ib),
            }),
        ) => {
            let interval = log_ratio_interval(*ia, *ib);
            let cov = match (ba, bb) {
                (Some(a), Some(b)) => Some(simulate_crossing_coverage(
                    *a,
                    Some(*b),
                    LEARNED_RELATIVE_LOSS,
                    TRIALS,
                    ds[i].cfg.level,
                    coverage_seed(&format!("learning-transition/{da}-{db}")),
                )),
                _ => None,
            };
            let basis = Basis {
                widths: vec![
                    ba.map(|b| b.iter().map(|w| width_of(ds, i, w)).collect()).unwrap_or_default(),
                    bb.map(|b| b.iter().map(|w| width_of(ds, j, w)).collect()).unwrap_or_default(),
                ],
                replicas: vec![
                    ba.map(|b| b.iter().map(|w| w.replicas).collect()).unwrap_or_default(),
                    bb.map(|b| b.iter().map(|w| w.replicas).collect()).unwrap_or_default(),
                ],
                interval_method: "log-log interpolation of the crossing between the bracketing widths; the ends from the 95 % t intervals of their means (jackknife of ln ȳ); ln(r*_b/r*_a) from [ln lo_b − ln hi_a, ln hi_b − ln lo_a]".into(),
                coverage: cov,
            };
            let text = cov
                .map(|c| format!("; the interval covered the true log-ratio in {} of lognormal replicas at the observed means, spreads and replicas", c.text()))
                .unwrap_or_default();
            (
                Measured::with_interval((rb / ra).ln(), interval),
                bracket_verdict(interval, ba.as_ref(), bb.as_ref()),
                basis,
                text,
            )
        }
        (Some(Crossing::At { ratio: ra, .. }), Some(Crossing::Above(rb))) => (
            Measured::value(f64::NAN),
            Verdict::not_resolved(format!(
                "d = {db} has not crossed by its widest ratio {}, so only ln(r*_{db}/r*_{da}) > {} is known: wider networks at d = {db} (to r ≈ {}) would resolve it",
                num(*rb),
                num((rb / ra).ln()),
                num(2.0 * ra)
            )),
            Basis::default(),
            String::new(),
        ),
        _ => (
            Measured::value(f64::NAN),
            Verdict::not_resolved(
                "a crossing with an interval is missing for one of the two dimensions",
            ),
            Basis::default(),
            String::new(),
        ),
    };
    Claim {
        figure: SPEC.name,
        claim: format!(
            "the learning transition sits at the same number of parameters per target dimension: d = {da} vs d = {db}"
        ),
        prediction: "ln(r*_d′/r*_d) = 0, r* = n(d + 1)/D(d) where the end loss first falls to 0.05 (a hypothesis of this report, not the paper's: the paper's rate assumes the network has left the plateau)".into(),
        quantity: format!(
            "ln(r*_{db}/r*_{da}), r* by log–log interpolation of the mean end-of-run relative loss (distinct end states) between the two widths that bracket {LEARNED_RELATIVE_LOSS}, D(d) = C(d + 2, 3){coverage_text}; {all}"
        ),
        measured,
        settings: format!("{}; {}", settings(&ds[i]), settings(&ds[j])),
        verdict,
        note: "at different final times (d = 25: t = 10⁷; d = 5, 10: 10⁸): the end loss still falls with t, so r* is the ratio learned by t_end".into(),
        basis,
    }
}

/// The verdict on ln(r*_b/r*_a) = 0. The interpolated interval does not include the error of the
/// log–log interpolation between widths a factor 2 apart, so the verdict rests on what holds
/// without it: each r* lies between its bracketing ratios, so ln(r*_b/r*_a) lies in
/// [ln r_b,lo − ln r_a,hi, ln r_b,hi − ln r_a,lo]. A fixed ratio **disagrees** only when that
/// model-free range excludes 0; when only the interpolated interval does, the row is **not
/// resolved** and says so; with 0 inside both it is judged on the interpolated interval
/// ([`interval_verdict`]).
fn bracket_verdict(
    interpolated: (f64, f64),
    a: Option<&[SimWidth; 2]>,
    b: Option<&[SimWidth; 2]>,
) -> Verdict {
    let (Some(a), Some(b)) = (a, b) else {
        return Verdict::not_resolved("the bracketing widths are missing");
    };
    let free = (
        b[0].ratio.ln() - a[1].ratio.ln(),
        b[1].ratio.ln() - a[0].ratio.ln(),
    );
    let inside = |i: (f64, f64)| i.0 <= 0.0 && 0.0 <= i.1;
    if !inside(free) {
        return Verdict::disagrees(format!(
            "0 lies outside [{}, {}], the range the bracketing widths allow whatever the curve between them",
            num(free.0),
            num(free.1)
        ));
    }
    if !inside(interpolated) {
        return Verdict::not_resolved(format!(
            "the interpolated crossings differ (0 outside [{}, {}]), but that interval leaves out the error of interpolating between widths a factor 2 apart, and the bracketing widths alone allow [{}, {}], which contains 0: widths between the bracketing ones would resolve it",
            num(interpolated.0),
            num(interpolated.1),
            num(free.0),
            num(free.1)
        ));
    }
    interval_verdict(0.0, Some(interpolated))
}

/// The width n of a simulated bracketing width of scan `k` (from its ratio).
fn width_of(ds: &[ScanData], k: usize, w: &SimWidth) -> usize {
    let dim = ds[k].cfg.base.dim;
    (w.ratio * cubic_target_dim(dim as u64) / (dim + 1) as f64).round() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(lo: f64, hi: f64) -> [SimWidth; 2] {
        let w = |ratio: f64| SimWidth {
            ratio,
            mean: 0.1,
            replicas: 4,
            spread: 0.1,
        };
        [w(lo), w(hi)]
    }

    #[test]
    fn the_verdict_rests_on_the_bracketing_widths_on_both_sides() {
        let label = |v: Verdict| v.label();
        // brackets [1, 2] and [4, 8]: a fixed ratio is excluded whatever the curve
        let (a, far) = (pair(1.0, 2.0), pair(4.0, 8.0));
        assert_eq!(
            label(bracket_verdict((1.0, 1.2), Some(&a), Some(&far))),
            "disagrees"
        );
        // overlapping brackets: an interpolated difference alone does not decide
        let near = pair(1.5, 3.0);
        assert_eq!(
            label(bracket_verdict((0.2, 0.3), Some(&a), Some(&near))),
            "not resolved at this scale"
        );
        // 0 inside both, a narrow interpolated interval: agrees; a wide one: not resolved
        assert_eq!(
            label(bracket_verdict((-0.1, 0.2), Some(&a), Some(&near))),
            "agrees"
        );
        assert_eq!(
            label(bracket_verdict((-0.4, 0.4), Some(&a), Some(&near))),
            "not resolved at this scale"
        );
        assert_eq!(
            label(bracket_verdict((-0.1, 0.1), None, Some(&near))),
            "not resolved at this scale"
        );
    }

    #[test]
    fn the_scans_are_those_of_scaling_dim() {
        let mine: Vec<String> = (SPEC.full)()
            .iter()
            .map(|s| format!("{:?}", s.scan))
            .collect();
        let theirs: Vec<String> = (super::super::scaling_dim::SPEC.full)()
            .iter()
            .map(|s| format!("{:?}", s.scan))
            .collect();
        assert_eq!(mine, theirs, "the same cells, computed once");
    }
}
