//! How much faster one dynamics reaches a loss level than another, replica by replica.
//!
//! For replica r of two runs that differ only in their dynamics (same seed, same initial
//! particles), t_r(L) is the first time the relative loss reaches L, interpolated linearly in
//! (ln t, ln ℓ) between the two records that bracket it. The speed-up is the geometric mean of
//! the paired ratios, exp(mean_r ln(t_r^A/t_r^B)), with the t interval of the mean of the
//! log-ratios (R − 1 degrees of freedom) taken back by exp; [`simulate_paired_coverage`]
//! measures its coverage for normal log-ratios at a scan's replica count.

use crate::coverage::Coverage;
use crate::inference::mean_interval;
use mf_core::streams::StreamRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// The first time the curve (t, ℓ) (increasing t, ℓ > 0) reaches `level`, interpolated in
/// (ln t, ln ℓ) between the bracketing records; the first record itself when it is already at
/// or below; `None` when it never reaches it.
pub fn time_to_level(curve: &[(f64, f64)], level: f64) -> Option<f64> {
    let k = curve.iter().position(|&(_, y)| y <= level)?;
    if k == 0 {
        return Some(curve[0].0);
    }
    let ((t0, y0), (t1, y1)) = (curve[k - 1], curve[k]);
    if !(t0 > 0.0 && y0 > 0.0 && y1 > 0.0 && y0 > y1) {
        return Some(t1);
    }
    let f = (level.ln() - y0.ln()) / (y1.ln() - y0.ln());
    Some((t0.ln() + f * (t1.ln() - t0.ln())).exp())
}

/// The paired ratio of A over B (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedRatio {
    /// exp(mean ln(a_r/b_r)).
    pub ratio: f64,
    /// Its interval (`None` with fewer than two pairs).
    pub interval: Option<(f64, f64)>,
    /// The sample standard deviation of the log-ratios (0 with one pair): the spread at which
    /// [`simulate_paired_coverage`] measures the interval's coverage.
    pub log_spread: f64,
}

/// The paired speed-up of B over A, exp(mean ln(a_r/b_r)), and its interval at `level`
/// (pairs with a non-positive side are left out); `None` without a pair.
pub fn paired_ratio(a: &[f64], b: &[f64], level: f64) -> Option<PairedRatio> {
    let logs: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| **x > 0.0 && **y > 0.0)
        .map(|(x, y)| (x / y).ln())
        .collect();
    if logs.is_empty() {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let interval = mean_interval(&logs, level).map(|(lo, hi)| (lo.exp(), hi.exp()));
    let log_spread = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>()
        / (logs.len() - 1).max(1) as f64)
        .sqrt();
    Some(PairedRatio {
        ratio: mean.exp(),
        interval,
        log_spread,
    })
}

/// Coverage of [`paired_ratio`]'s interval over `trials` simulated scans of `replicas` normal
/// log-ratios with standard deviation `spread`.
pub fn simulate_paired_coverage(
    replicas: usize,
    spread: f64,
    trials: usize,
    level: f64,
    seed: u64,
) -> Coverage {
    let mut rng = StreamRng::seed_from_u64(seed);
    let mut out = Coverage {
        covered: 0,
        trials: 0,
    };
    let truth = 1.7f64;
    for _ in 0..trials {
        let b: Vec<f64> = (0..replicas).map(|_| 1.0).collect();
        let a: Vec<f64> = (0..replicas)
            .map(|_| {
                let g: f64 = StandardNormal.sample(&mut rng);
                truth * (spread * g).exp()
            })
            .collect();
        if let Some(PairedRatio {
            interval: Some((lo, hi)),
            ..
        }) = paired_ratio(&a, &b, level)
        {
            out.trials += 1;
            out.covered += usize::from(lo <= truth && truth <= hi);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_to_a_level_of_a_power_law_is_exact() {
        // ℓ = t^-1/2 on a log grid reaches 0.05 at t = 400
        let curve: Vec<(f64, f64)> = (0..40)
            .map(|k| {
                let t = 10f64.powf(k as f64 / 8.0);
                (t, t.powf(-0.5))
            })
            .collect();
        let t = time_to_level(&curve, 0.05).unwrap();
        assert!((t - 400.0).abs() < 1e-9, "{t}");
        assert_eq!(time_to_level(&curve, 1e-9), None);
        assert_eq!(time_to_level(&curve, 2.0), Some(1.0));
    }

    #[test]
    fn a_constant_ratio_is_recovered_with_a_degenerate_interval() {
        let a = [6.0, 9.0, 12.0];
        let b = [3.0, 4.5, 6.0];
        let PairedRatio {
            ratio: r,
            interval: i,
            log_spread,
        } = paired_ratio(&a, &b, 0.95).unwrap();
        assert!(log_spread < 1e-12);
        assert!((r - 2.0).abs() < 1e-12);
        let (lo, hi) = i.unwrap();
        assert!((lo - 2.0).abs() < 1e-12 && (hi - 2.0).abs() < 1e-12);
        assert_eq!(paired_ratio(&[1.0], &[2.0], 0.95).unwrap().interval, None);
    }

    #[test]
    fn the_paired_interval_covers_at_small_replica_counts() {
        for (r, s) in [(2usize, 0.3), (3, 0.1), (4, 0.5), (6, 0.2), (8, 1.0)] {
            let c = simulate_paired_coverage(r, s, 4000, 0.95, 7);
            assert!(c.rate() >= 0.93, "R = {r}, s = {s}: {}", c.rate());
        }
    }
}
