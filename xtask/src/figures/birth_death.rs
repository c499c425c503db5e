//! Figure `birth-death` (beyond the paper: Rotskoff, Jelassi, Bruna & Vanden-Eijnden 2019,
//! arXiv 1902.01843): the exact flow with and without birth–death jumps, both variants, and
//! the speed-up and end loss they give.

use super::replicas::{coverage_seed, replica_stats};
use super::spec::{Basis, Claim, FigureOutput, FigureSpec, ScanData, first};
use super::text::{num, settings};
use crate::configs::{NamedScan, exact, named};
use crate::plot::{Figure, Series, Style};
use anyhow::Result;
use mf_stats::coverage::TRIALS;
use mf_stats::mf_core::dynamics::birth_death::{BirthDeath, Variant};
use mf_stats::scan::CellResult;
use mf_stats::speedup::{PairedRatio, paired_ratio, simulate_paired_coverage, time_to_level};
use mf_stats::verdict::{Measured, Verdict};

/// The loss level whose first passage time is compared.
const LEVEL: f64 = 0.5;
/// Birth–death rate α of the figure.
const RATE: f64 = 0.1;

/// The figure.
pub const SPEC: FigureSpec = FigureSpec {
    name: "birth-death",
    description: "Beyond the paper — birth–death dynamics (Rotskoff, Jelassi, Bruna & Vanden-Eijnden 2019): the exact population flow of RBF units on the 3-spin target (d = 5, σ = R/2, c(0) = 0, adaptive steps) by transport alone and with birth–death jumps at rate α = 0.1 (units die where V = δℓ/δμ is above its mean, are cloned where below; the population restored by copies of random units, `clone`, or by draws from the initial law, `prior`), switched off at half the final time (the quench; transport alone after it). Lines: replica-mean relative loss ℓ/C_f, bands min–max over replicas (the same seeds and initial particles in the three scans). Claims: the speed-up of each variant in the time to reach ℓ/C_f = 0.5 (geometric mean of the paired per-replica ratios, t interval over replicas) and the end loss after the quench against transport alone at the same time (paired ratio).",
    quick: || scans(&[16], 2, 300.0),
    full: || scans(&[32], 6, 3000.0),
    build,
};

/// `bd-d5-transport`, `bd-d5-clone`, `bd-d5-prior`: the exact flow of the widths `widths`
/// to `time`, birth–death until `time`/2 in the last two.
fn scans(widths: &[usize], replicas: u64, time: f64) -> Vec<NamedScan> {
    let base = exact(5, widths, replicas, time);
    let with = |variant: Variant| {
        let mut s = base.clone();
        s.base.birth_death = Some(BirthDeath {
            rate: RATE,
            variant,
            until: Some(0.5 * time),
            every: None,
        });
        s
    };
    vec![
        named("bd-d5-transport", base.clone()),
        named("bd-d5-clone", with(Variant::Clone)),
        named("bd-d5-prior", with(Variant::Prior)),
    ]
}

/// One replica: its index, the time to [`LEVEL`] and the end relative loss.
type ReplicaEnd = (u64, Option<f64>, f64);

/// Per replica (in replica order): the time to [`LEVEL`] and the end relative loss.
fn per_replica(cells: &[CellResult]) -> Vec<ReplicaEnd> {
    let mut v: Vec<ReplicaEnd> = cells
        .iter()
        .filter(|c| !c.trace.is_empty())
        .map(|c| {
            let curve: Vec<(f64, f64)> = c
                .trace
                .iter()
                .filter(|r| r.time > 0.0)
                .map(|r| (r.time, r.relative_test_loss))
                .collect();
            let end = c.trace.last().map_or(f64::NAN, |r| r.relative_test_loss);
            (c.replica, time_to_level(&curve, LEVEL), end)
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

/// A ratio claim with its paired interval: `a`/`b` per replica.
#[allow(clippy::too_many_arguments)]
fn ratio_claim(
    d: (&ScanData, &ScanData),
    a: &[f64],
    b: &[f64],
    claim: String,
    prediction: &str,
    quantity: String,
    faster_is_above: bool,
    name: &str,
) -> Claim {
    let level = d.0.cfg.level;
    let (measured, verdict, basis) = match paired_ratio(a, b, level) {
        Some(PairedRatio {
            ratio: r,
            interval: Some((lo, hi)),
            log_spread,
        }) => {
            let cov = simulate_paired_coverage(
                a.len(),
                log_spread.max(1e-3),
                TRIALS,
                level,
                coverage_seed(name),
            );
            let shown = format!("[{}, {}]", num(lo), num(hi));
            let verdict = if (faster_is_above && lo > 1.0) || (!faster_is_above && hi < 1.0) {
                Verdict::agrees(format!(
                    "the 95 % interval {shown} lies on the predicted side of 1"
                ))
            } else if (faster_is_above && hi < 1.0) || (!faster_is_above && lo > 1.0) {
                Verdict::disagrees(format!(
                    "the 95 % interval {shown} lies on the other side of 1: a result about finite n"
                ))
            } else {
                Verdict::not_resolved(format!(
                    "the 95 % interval {shown} contains 1: more replicas would resolve it"
                ))
            };
            let n = d.0.cfg.widths[0];
            (
                Measured::with_interval(r, (lo, hi)),
                verdict,
                Basis {
                    widths: vec![vec![n], vec![n]],
                    replicas: vec![vec![a.len()], vec![b.len()]],
                    interval_method: "geometric mean of paired per-replica ratios; t interval of the mean log-ratio (R − 1 degrees of freedom), exponentiated".into(),
                    coverage: Some(cov),
                },
            )
        }
        _ => (
            Measured::value(f64::NAN),
            Verdict::not_resolved("fewer than two replicas reached the level in both runs"),
            Basis::default(),
        ),
    };
    Claim {
        figure: SPEC.name,
        claim,
        prediction: prediction.into(),
        quantity,
        measured,
        settings: format!("{}; {}", settings(d.0), settings(d.1)),
        verdict,
        note: "beyond the paper (Rotskoff et al. 2019, arXiv 1902.01843)".into(),
        basis,
    }
}

fn build(ds: &[ScanData]) -> Result<FigureOutput> {
    let transport = first(SPEC.name, ds)?;
    let mut series = Vec::new();
    let mut claims = Vec::new();
    let alone: Vec<ReplicaEnd> = transport
        .groups
        .first()
        .map(|(_, c)| per_replica(c))
        .unwrap_or_default();
    for (k, d) in ds.iter().enumerate() {
        let Some((_, cells)) = d.groups.first() else {
            continue;
        };
        let stats = replica_stats(cells, 1.0, |r| Some(r.relative_test_loss));
        series.push(Series {
            label: d.label.trim_start_matches("bd-d5-").to_string(),
            points: stats.iter().map(|s| (s.0, s.1)).collect(),
            errors: Some(stats.iter().map(|s| (s.2, s.3)).collect()),
            style: Style::Band,
            color: Some(k),
            hide_legend: false,
        });
        if k == 0 {
            continue;
        }
        let with = per_replica(cells);
        let variant = d.label.trim_start_matches("bd-d5-");
        // pairs by replica
        let pairs: Vec<(&ReplicaEnd, &ReplicaEnd)> = alone
            .iter()
            .filter_map(|a| with.iter().find(|w| w.0 == a.0).map(|w| (a, w)))
            .collect();
        let times: Vec<(f64, f64)> = pairs
            .iter()
            .filter_map(|(a, w)| Some((a.1?, w.1?)))
            .collect();
        let (ta, tw): (Vec<f64>, Vec<f64>) = times.iter().copied().unzip();
        let per = times
            .iter()
            .map(|(a, w)| format!("{} vs {}", num(*a), num(*w)))
            .collect::<Vec<_>>()
            .join(", ");
        claims.push(ratio_claim(
            (transport, d),
            &ta,
            &tw,
            format!("beyond the paper: birth–death ({variant}) reaches ℓ/C_f = {LEVEL} faster than transport alone"),
            "speed-up > 1 (Rotskoff et al. 2019: birth–death accelerates convergence in the mean-field limit)",
            format!("speed-up t_transport/t_birth-death of the first time the relative loss reaches {LEVEL}, geometric mean over {} paired replicas (per replica, transport vs birth–death: {per})", times.len()),
            true,
            &format!("birth-death/{variant}/speed-up"),
        ));
        let (ea, ew): (Vec<f64>, Vec<f64>) = pairs.iter().map(|(a, w)| (a.2, w.2)).unzip();
        let t_end = d.cfg.base.steps as f64 * d.cfg.base.dt;
        claims.push(ratio_claim(
            (transport, d),
            &ew,
            &ea,
            format!("beyond the paper: after the quench, birth–death ({variant}) ends at a lower loss than transport alone"),
            "end-loss ratio ℓ_birth-death/ℓ_transport < 1 at the same t (the global minimiser is birth–death's only fixed point)",
            format!("ratio of the relative losses at t = {} (birth–death until t = {}, transport after), geometric mean over {} paired replicas", num(t_end), num(0.5 * t_end), ew.len()),
            false,
            &format!("birth-death/{variant}/end"),
        ));
    }
    Ok(FigureOutput {
        figure: Figure {
            title: "Birth–death vs transport alone (RBF, d = 5, exact flow; beyond the paper)"
                .into(),
            x_label: "mean-field time t".into(),
            y_label: "relative loss ℓ/C_f (band: replica min–max)".into(),
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
    fn the_three_scans_differ_only_by_their_birth_death() {
        for scans in [(SPEC.quick)(), (SPEC.full)()] {
            let strip = |s: &NamedScan| {
                let mut c = s.scan.clone();
                c.base.birth_death = None;
                format!("{c:?}")
            };
            assert_eq!(strip(&scans[0]), strip(&scans[1]));
            assert_eq!(strip(&scans[0]), strip(&scans[2]));
            assert!(scans[0].scan.base.birth_death.is_none());
            assert_eq!(
                scans[1].scan.base.birth_death.unwrap().variant,
                Variant::Clone
            );
            assert_eq!(
                scans[2].scan.base.birth_death.unwrap().variant,
                Variant::Prior
            );
        }
    }
}
