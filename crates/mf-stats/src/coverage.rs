//! The coverage of an interval, measured by simulation at the widths, replica counts and
//! spreads of a scan.
//!
//! An interval is only as good as its coverage at the replica count used. For a fit of the
//! replica means, [`simulate`] draws T scans whose replicas are lognormal around a known power
//! law,
//!
//! ```text
//! y_r(n_i) = A n_i^β exp(σ_i ξ − σ_i²/2),   ξ ~ N(0, 1)   (so E y = A n^β exactly),
//! ```
//!
//! with σ_i the spread of ln y observed at width i and R_i its replicas, fits each exactly as the
//! report does ([`crate::fit::fit_points`] of [`crate::fit::mean_points`]) and counts how often
//! the interval contains β. For a fit of replica variances the replicas are normal,
//! y_r(n_i) = √(A n_i^β) ξ (Var = A n^β). The report prints the measured coverage beside every
//! interval; the tests require the nominal level within binomial error (≥ 93 % for a 95 %
//! interval over ≥ 2000 scans) at the replica counts the report uses.

use crate::fit::{PowerLawFit, fit_points, mean_points, variance_points};
use mf_core::streams::StreamRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// What a simulated scan fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Statistic {
    /// The replica mean (lognormal replicas).
    Mean,
    /// The replica variance (normal replicas).
    Variance,
}

/// A simulated scan: widths with their replica counts and spreads, and the true exponent.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Widths n_i.
    pub widths: Vec<usize>,
    /// Replicas R_i per width.
    pub replicas: Vec<usize>,
    /// σ_i: the standard deviation of ln y at width i (ignored for [`Statistic::Variance`]).
    pub spread: Vec<f64>,
    /// The true β.
    pub beta: f64,
    /// What is fitted.
    pub statistic: Statistic,
}

/// A measured coverage: how many of `trials` intervals contained the truth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coverage {
    /// Intervals containing the truth.
    pub covered: usize,
    /// Simulated scans with a fit.
    pub trials: usize,
}

impl Coverage {
    /// covered / trials.
    pub fn rate(&self) -> f64 {
        self.covered as f64 / self.trials as f64
    }

    /// The binomial standard error of the rate at the nominal `level`.
    pub fn binomial_se(&self, level: f64) -> f64 {
        (level * (1.0 - level) / self.trials as f64).sqrt()
    }

    /// "95.3 % of 4000 simulated scans".
    pub fn text(&self) -> String {
        format!(
            "{:.1} % of {} simulated scans",
            100.0 * self.rate(),
            self.trials
        )
    }
}

/// Draws one simulated scan of `case` (replica values per width).
pub fn draw(case: &Case, rng: &mut StreamRng) -> Vec<(usize, Vec<f64>)> {
    case.widths
        .iter()
        .zip(&case.replicas)
        .zip(&case.spread)
        .map(|((&n, &r), &s)| {
            let scale = (n as f64).powf(case.beta);
            let v = (0..r)
                .map(|_| {
                    let xi: f64 = StandardNormal.sample(rng);
                    match case.statistic {
                        Statistic::Mean => 2.0 * scale * (s * xi - 0.5 * s * s).exp(),
                        Statistic::Variance => scale.sqrt() * xi,
                    }
                })
                .collect();
            (n, v)
        })
        .collect()
}

/// The fit the report makes of one simulated scan.
pub fn fit(case: &Case, samples: &[(usize, Vec<f64>)], level: f64) -> Option<PowerLawFit> {
    let points = match case.statistic {
        Statistic::Mean => mean_points(samples),
        Statistic::Variance => variance_points(samples),
    };
    // a width the statistic drops would change the widths of the fit: not this case's fit
    (points.len() == case.widths.len()).then(|| fit_points(&points, level))?
}

/// The coverage at `level` of the exponent's interval over `trials` simulated scans of `case`
/// drawn from `seed` (a deterministic function of its arguments).
pub fn simulate(case: &Case, trials: usize, level: f64, seed: u64) -> Coverage {
    let mut rng = StreamRng::seed_from_u64(seed);
    let mut out = Coverage {
        covered: 0,
        trials: 0,
    };
    for _ in 0..trials {
        let s = draw(case, &mut rng);
        if let Some(f) = fit(case, &s, level) {
            out.trials += 1;
            out.covered +=
                usize::from(f.beta_interval[0] <= case.beta && case.beta <= f.beta_interval[1]);
        }
    }
    out
}

/// The coverage at `level` of the interval of β_a − β_b from two independent simulated scans
/// (the difference claims: dimension independence, SGD against GD).
pub fn simulate_difference(a: &Case, b: &Case, trials: usize, level: f64, seed: u64) -> Coverage {
    let mut rng = StreamRng::seed_from_u64(seed);
    let mut out = Coverage {
        covered: 0,
        trials: 0,
    };
    let truth = a.beta - b.beta;
    for _ in 0..trials {
        let (sa, sb) = (draw(a, &mut rng), draw(b, &mut rng));
        if let (Some(fa), Some(fb)) = (fit(a, &sa, level), fit(b, &sb, level)) {
            let (_, (lo, hi)) = crate::fit::difference_interval(&fa, &fb, level);
            out.trials += 1;
            out.covered += usize::from(lo <= truth && truth <= hi);
        }
    }
    out
}

/// The coverage at `level` of the interval of a mean ([`crate::inference::log_mean_interval`])
/// of `replicas` lognormal replicas with spread `spread` in ln y, over `trials` simulated
/// widths drawn from `seed`.
pub fn simulate_mean(
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
    for _ in 0..trials {
        let y: Vec<f64> = (0..replicas)
            .map(|_| {
                let xi: f64 = StandardNormal.sample(&mut rng);
                (spread * xi - 0.5 * spread * spread).exp()
            })
            .collect();
        if let Some((lo, hi)) = crate::inference::log_mean_interval(&y, level) {
            out.trials += 1;
            out.covered += usize::from(lo <= 1.0 && 1.0 <= hi);
        }
    }
    out
}

/// The spread σ_i of ln y at each width of `samples` (standard deviation of the logs of the
/// positive values; 0 with fewer than two), for a [`Case`] at a scan's own spreads.
pub fn log_spreads(samples: &[(usize, Vec<f64>)]) -> Vec<f64> {
    samples
        .iter()
        .map(|(_, v)| {
            let logs: Vec<f64> = v.iter().filter(|y| **y > 0.0).map(|y| y.ln()).collect();
            if logs.len() < 2 {
                0.0
            } else {
                crate::estimators::sample_variance(&logs).sqrt()
            }
        })
        .collect()
}

/// Simulated scans per measured coverage in the report and the tests.
pub const TRIALS: usize = 4000;
/// The smallest coverage accepted for a 95 % interval over [`TRIALS`] scans (nominal minus
/// 3 binomial SE ≈ 94 %, rounded down to 93 % as the issue states).
pub const MIN_COVERAGE_95: f64 = 0.93;

#[cfg(test)]
mod tests {
    use super::*;

    fn case(widths: &[usize], r: usize, spread: f64, statistic: Statistic) -> Case {
        Case {
            widths: widths.to_vec(),
            replicas: vec![r; widths.len()],
            spread: vec![spread; widths.len()],
            beta: -2.0,
            statistic,
        }
    }

    fn assert_covers(c: &Case, what: &str) {
        let cov = simulate(c, TRIALS, 0.95, 7);
        assert!(cov.trials >= 2000, "{what}: {} fits", cov.trials);
        assert!(
            cov.rate() >= MIN_COVERAGE_95,
            "{what}: coverage {} ({:?})",
            cov.text(),
            c
        );
        // not absurdly conservative either where the replicas are many
        if c.replicas[0] >= 8 {
            assert!(cov.rate() <= 0.99, "{what}: {}", cov.text());
        }
    }

    /// The replica counts and spreads of the committed scans (2 replicas at d = 25, 3 for
    /// ReLU, 4 at d = 10, 6 for the long SGD scans, 8 at d = 5, 32 for the finite-time SGD
    /// scans, 128 at t = 300), with spreads from 0.005 to 0.5 in ln y (the committed end
    /// losses spread by 0.00–0.42; at a spread of 1, a factor e between replicas, the mean of
    /// 8 lognormal replicas is skewed enough that the coverage falls to 92.9 % — the report
    /// states the coverage at each scan's own spreads).
    #[test]
    fn the_mean_fit_covers_at_the_replica_counts_of_the_scans() {
        for r in [2usize, 3, 4, 6, 8, 32, 128] {
            for spread in [0.005, 0.1, 0.5] {
                for widths in [&[16usize, 32, 64][..], &[8, 16, 32, 64, 128][..]] {
                    assert_covers(
                        &case(widths, r, spread, Statistic::Mean),
                        &format!("mean R = {r}, σ = {spread}, {} widths", widths.len()),
                    );
                }
            }
        }
    }

    #[test]
    fn the_variance_fit_covers_at_the_replica_counts_of_the_scans() {
        for r in [4usize, 8, 32, 128] {
            for widths in [&[8usize, 16, 32, 64][..], &[8, 16, 32, 64, 128, 256][..]] {
                assert_covers(
                    &case(widths, r, 0.0, Statistic::Variance),
                    &format!("variance R = {r}, {} widths", widths.len()),
                );
            }
        }
    }

    #[test]
    fn the_difference_of_two_scans_covers() {
        // d = 5 (8 replicas) against d = 10 (4) or d = 25 (2); SGD (6) against GD (6)
        for (ra, rb) in [(8usize, 4usize), (8, 2), (6, 6)] {
            let a = case(&[16, 32, 64], ra, 0.3, Statistic::Mean);
            let mut b = case(&[32, 64, 128], rb, 0.1, Statistic::Mean);
            b.beta = -1.0;
            let cov = simulate_difference(&a, &b, TRIALS, 0.95, 11);
            assert!(
                cov.rate() >= MIN_COVERAGE_95,
                "R = {ra}, {rb}: {}",
                cov.text()
            );
        }
    }

    /// The method it replaces: a percentile bootstrap over 3 replicas per width covers far less
    /// than 95 % (the issue measured ≈ 75 %) — the reason for the t interval.
    #[test]
    fn a_percentile_bootstrap_over_three_replicas_under_covers() {
        use rand::RngExt;
        let c = case(&[64, 128, 256], 3, 0.3, Statistic::Mean);
        let mut rng = StreamRng::seed_from_u64(3);
        let trials = 1000;
        let mut covered = 0;
        for _ in 0..trials {
            let s = draw(&c, &mut rng);
            let slope = |s: &[(usize, Vec<f64>)]| fit(&c, s, 0.95).map(|f| f.beta);
            let mut betas: Vec<f64> = (0..200)
                .filter_map(|_| {
                    let res: Vec<(usize, Vec<f64>)> = s
                        .iter()
                        .map(|(n, v)| {
                            (
                                *n,
                                (0..v.len())
                                    .map(|_| v[rng.random_range(0..v.len())])
                                    .collect(),
                            )
                        })
                        .collect();
                    slope(&res)
                })
                .collect();
            let (lo, hi) = crate::estimators::percentile_interval(&mut betas, 0.95);
            covered += usize::from(lo <= c.beta && c.beta <= hi);
        }
        let rate = covered as f64 / trials as f64;
        assert!(rate < 0.88, "percentile bootstrap coverage {rate}");
    }

    #[test]
    fn the_mean_interval_covers_at_the_replica_counts_of_the_scans() {
        for r in [2usize, 3, 4, 8, 128] {
            for spread in [0.01, 0.1, 0.5] {
                let c = simulate_mean(r, spread, TRIALS, 0.95, 5);
                assert!(
                    c.rate() >= MIN_COVERAGE_95,
                    "R = {r}, σ = {spread}: {}",
                    c.text()
                );
            }
        }
    }

    #[test]
    fn log_spreads_are_the_sd_of_the_logs() {
        let s = vec![(8, vec![1.0, std::f64::consts::E]), (16, vec![2.0])];
        let sp = log_spreads(&s);
        assert!((sp[0] - 0.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(sp[1], 0.0);
    }
}
