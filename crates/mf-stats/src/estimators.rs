//! Estimators over replicas, each tested on a case whose answer is known.
//!
//! R replicas are R independent realisations of one configuration (same target, independent
//! initial particles and data). For a scalar y_1..y_R (a loss at one time):
//!
//! ```text
//! mean ȳ = (1/R) Σ y_r,   s² = (1/(R−1)) Σ (y_r − ȳ)²  (unbiased),   SE = s/√R
//! ```
//!
//! and a percentile bootstrap interval for the mean. For the network outputs f_n^{(r)}(x_k) on a
//! fixed probe set x_1..x_K (the fluctuation field):
//!
//! ```text
//! f̄_n(x_k) = (1/R) Σ_r f_n^{(r)}(x_k),   V_k = (1/(R−1)) Σ_r (f_n^{(r)}(x_k) − f̄_n(x_k))²
//! n_var  = n · (1/K) Σ_k V_k                 (CLT: O(1) at finite time, decays when fluctuations heal)
//! bias²  = (1/K) Σ_k (f̄_n(x_k) − f(x_k))²     (its expectation exceeds the true bias² by mean V/R;
//!                                              `bias_sq_unbiased` subtracts that)
//! LLN distance between widths: (1/K) Σ_k (f̄_n(x_k) − f̄_{4n}(x_k))².
//! ```
//!
//! Also: the first recorded time at which a curve falls below a level ([`first_time_below`],
//! e.g. the plateau escape time), and a bootstrap stream of its own per named quantity
//! ([`bootstrap_rng`]).

use mf_core::streams::StreamRng;
use rand::RngExt;

/// Mean and standard error (s/√R with the unbiased s²) of `y`; SE is NaN for fewer than 2 values.
pub fn mean_se(y: &[f64]) -> (f64, f64) {
    let r = y.len() as f64;
    let mean = y.iter().sum::<f64>() / r;
    if y.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0);
    (mean, (var / r).sqrt())
}

/// Unbiased sample variance (denominator R − 1).
pub fn sample_variance(y: &[f64]) -> f64 {
    let r = y.len() as f64;
    let mean = y.iter().sum::<f64>() / r;
    y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0)
}

/// Percentile bootstrap interval at `level` (e.g. 0.95) for the mean of `y`, from `resamples`
/// resamples drawn with `rng`.
pub fn bootstrap_mean_interval(
    y: &[f64],
    resamples: usize,
    level: f64,
    rng: &mut StreamRng,
) -> (f64, f64) {
    let r = y.len();
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..r).map(|_| y[rng.random_range(0..r)]).sum::<f64>() / r as f64)
        .collect();
    percentile_interval(&mut means, level)
}

/// The (1−level)/2 and (1+level)/2 empirical quantiles of `v` (sorted in place; NaNs last).
pub fn percentile_interval(v: &mut [f64], level: f64) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    (q(0.5 * (1.0 - level)), q(0.5 * (1.0 + level)))
}

/// The first recorded time at which `curve` = [(t, y)] (in time order) has y < `level`; `None`
/// when it never does (NaN values never count).
pub fn first_time_below(curve: &[(f64, f64)], level: f64) -> Option<f64> {
    curve.iter().find(|(_, y)| *y < level).map(|(t, _)| *t)
}

/// A bootstrap stream of its own for the quantity named `name` of a scan with base seed `seed`:
/// xoshiro256++ seeded (SplitMix64) with `seed` XOR the FNV-1a 64 hash of `name`. Quantities of
/// different scans (or different quantities of one scan) get unrelated streams, so their
/// bootstrap distributions are independent and can be combined (e.g. the difference of two
/// exponents); the same name always gives the same draws.
pub fn bootstrap_rng(seed: u64, name: &str) -> StreamRng {
    use rand::SeedableRng;
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    StreamRng::seed_from_u64(seed ^ h.finish())
}

/// The fluctuation field of one width at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct Fluctuation {
    /// n · mean_k Var_R[f_n(x_k)].
    pub n_var: f64,
    /// mean_k (f̄_n(x_k) − f(x_k))².
    pub bias_sq: f64,
    /// bias_sq − mean_k Var_R[f_n(x_k)] / R: unbiased for the squared bias of the mean network.
    pub bias_sq_unbiased: f64,
    /// f̄_n(x_k) (for LLN distances).
    pub mean_field: Vec<f64>,
}

/// Fluctuation field from `outputs[r][k]` = f_n^{(r)}(x_k) (R ≥ 2 replicas) and the targets f(x_k).
pub fn fluctuation(outputs: &[&[f64]], targets: &[f64], width: usize) -> Fluctuation {
    let r = outputs.len();
    let k = targets.len();
    assert!(r >= 2, "the fluctuation field needs at least two replicas");
    let mut mean_field = vec![0.0; k];
    for o in outputs {
        for (m, v) in mean_field.iter_mut().zip(o.iter()) {
            *m += v;
        }
    }
    mean_field.iter_mut().for_each(|m| *m /= r as f64);
    let mut var_sum = 0.0;
    let mut bias = 0.0;
    for j in 0..k {
        let m = mean_field[j];
        let v: f64 = outputs.iter().map(|o| (o[j] - m).powi(2)).sum::<f64>() / (r - 1) as f64;
        var_sum += v;
        bias += (m - targets[j]).powi(2);
    }
    let mean_var = var_sum / k as f64;
    let bias_sq = bias / k as f64;
    Fluctuation {
        n_var: width as f64 * mean_var,
        bias_sq,
        bias_sq_unbiased: bias_sq - mean_var / r as f64,
        mean_field,
    }
}

/// LLN distance mean_k (a_k − b_k)² between two mean fields.
pub fn lln_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use mf_core::streams::{Purpose, stream};
    use rand_distr::{Distribution, StandardNormal};

    fn normal(rng: &mut StreamRng) -> f64 {
        StandardNormal.sample(rng)
    }

    #[test]
    fn variance_estimator_is_unbiased() {
        // average of s² over many samples of size 3 from N(0, 4) is 4 (the biased one gives 8/3)
        let mut rng = stream(1, 0, Purpose::Probe);
        let reps = 200_000;
        let mut acc = 0.0;
        for _ in 0..reps {
            let y: Vec<f64> = (0..3).map(|_| 2.0 * normal(&mut rng)).collect();
            acc += sample_variance(&y);
        }
        let mean = acc / reps as f64;
        // s² has variance 2σ⁴/(R−1) = 16: SE of the average = 4/√reps
        assert!(
            (mean - 4.0).abs() < 5.0 * 4.0 / (reps as f64).sqrt(),
            "{mean}"
        );
    }

    #[test]
    fn mean_se_and_bootstrap_cover_the_truth_at_the_stated_rate() {
        let mut rng = stream(2, 0, Purpose::Probe);
        let mut boot_rng = stream(3, 0, Purpose::Probe);
        let (trials, r) = (400, 30);
        let (mut cover_se, mut cover_boot) = (0, 0);
        for _ in 0..trials {
            let y: Vec<f64> = (0..r).map(|_| 1.0 + normal(&mut rng)).collect();
            let (m, se) = mean_se(&y);
            if (m - 1.0).abs() < 1.96 * se {
                cover_se += 1;
            }
            let (lo, hi) = bootstrap_mean_interval(&y, 400, 0.95, &mut boot_rng);
            if lo < 1.0 && 1.0 < hi {
                cover_boot += 1;
            }
        }
        // 95 % nominal; the binomial SE over 400 trials is 1.1 %: accept 90–99 %
        for c in [cover_se, cover_boot] {
            let rate = c as f64 / trials as f64;
            assert!((0.90..0.99).contains(&rate), "coverage {rate}");
        }
    }

    #[test]
    fn fluctuation_field_recovers_known_variance_and_bias() {
        // f_n^{(r)}(x_k) = f(x_k) + b_k + σ_k ξ_rk with n σ_k² known
        let mut rng = stream(4, 0, Purpose::Probe);
        let (r, k, n) = (4000, 50, 64);
        let targets: Vec<f64> = (0..k).map(|j| (j as f64).sin()).collect();
        let bias: Vec<f64> = (0..k).map(|j| 0.1 * (j as f64 * 0.3).cos()).collect();
        let sd: Vec<f64> = (0..k)
            .map(|j| (1.0 + j as f64 / k as f64) / (n as f64).sqrt())
            .collect();
        let outs: Vec<Vec<f64>> = (0..r)
            .map(|_| {
                (0..k)
                    .map(|j| targets[j] + bias[j] + sd[j] * normal(&mut rng))
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = outs.iter().map(|v| v.as_slice()).collect();
        let f = fluctuation(&refs, &targets, n);
        let true_nvar = n as f64 * sd.iter().map(|s| s * s).sum::<f64>() / k as f64;
        let true_bias = bias.iter().map(|b| b * b).sum::<f64>() / k as f64;
        assert!(
            (f.n_var - true_nvar).abs() < 0.03 * true_nvar,
            "{} vs {true_nvar}",
            f.n_var
        );
        // the estimate's noise is dominated by the cross term 2 b_k (f̄_k − f_k − b_k):
        // SD ≈ √(Σ_k 4 b_k² σ_k² / R) / K; allow 4 SD
        let sd = (0..k)
            .map(|j| 4.0 * bias[j].powi(2) * sd[j].powi(2) / r as f64)
            .sum::<f64>()
            .sqrt()
            / k as f64;
        assert!(
            (f.bias_sq_unbiased - true_bias).abs() < 4.0 * sd,
            "{} vs {true_bias} (sd {sd})",
            f.bias_sq_unbiased
        );
        assert!(f.bias_sq > f.bias_sq_unbiased);
        assert_eq!(lln_distance(&f.mean_field, &f.mean_field), 0.0);
    }

    #[test]
    fn first_time_below_is_the_first_crossing() {
        let c = [
            (1.0, 0.9),
            (2.0, f64::NAN),
            (3.0, 0.5),
            (4.0, 0.49),
            (5.0, 0.1),
        ];
        assert_eq!(first_time_below(&c, 0.5), Some(4.0), "0.5 is not below 0.5");
        assert_eq!(first_time_below(&c, 0.50001), Some(3.0));
        assert_eq!(first_time_below(&c, 0.95), Some(1.0));
        assert_eq!(first_time_below(&c, 0.1), None);
        assert_eq!(first_time_below(&[], 1.0), None);
    }

    #[test]
    fn bootstrap_streams_differ_by_name_and_repeat_by_name() {
        use rand::Rng;
        let mut a = bootstrap_rng(1, "exact-d5-long/beta");
        let mut b = bootstrap_rng(1, "exact-d10-long/beta");
        let mut a2 = bootstrap_rng(1, "exact-d5-long/beta");
        let (x, y, z) = (a.next_u64(), b.next_u64(), a2.next_u64());
        assert_eq!(x, z);
        assert_ne!(x, y);
        assert_ne!(bootstrap_rng(2, "exact-d5-long/beta").next_u64(), x);
    }
}
