//! Estimators over replicas, each tested on a case whose answer is known.
//!
//! R replicas are R independent realisations of one configuration (same target, independent
//! initial particles and data). For a scalar y_1..y_R (a loss at one time):
//!
//! ```text
//! mean ȳ = (1/R) Σ y_r,   s² = (1/(R−1)) Σ (y_r − ȳ)²  (unbiased),   SE = s/√R
//! ```
//!
//! (t intervals of means and fits are in [`crate::inference`]). For the network outputs f_n^{(r)}(x_k) on a
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
//! e.g. the plateau escape time), and empirical quantiles ([`percentile_interval`]).

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

/// The largest relative RMS distance ‖f_a − f_b‖/‖f_a‖ over the probe points at which two
/// replicas count as ending in the **same state**. Networks are compared as functions, which
/// does not depend on the order of their units. In the committed d = 5 long scan, replicas 0,
/// 5, 6, 7 of n = 8 end 1.3·10⁻⁸ to 1.7·10⁻⁷ apart (their losses agree to 2·10⁻⁸; the charges,
/// ≈ 2·10³ and still growing, differ by 5·10⁻⁷ relative), and every pair of distinct end
/// states of any committed scan lies more than 1.5·10⁻⁴ apart: 10⁻⁶ sits in that gap.
pub const SAME_STATE_TOL: f64 = 1e-6;

/// For each replica, given its network's outputs on the probe points, the index of the first
/// replica that ends in the same state ([`SAME_STATE_TOL`]; itself when none does). Replicas
/// with equal indices are one end state, counted once.
pub fn same_state_groups(outputs: &[&[f64]]) -> Vec<usize> {
    let rms = |v: &mut dyn Iterator<Item = f64>, k: usize| {
        (v.map(|x| x * x).sum::<f64>() / k as f64).sqrt()
    };
    let mut rep: Vec<usize> = Vec::with_capacity(outputs.len());
    for (i, a) in outputs.iter().enumerate() {
        let k = a.len().max(1);
        let found = (0..i).filter(|&j| rep[j] == j).find(|&j| {
            let b = outputs[j];
            let scale = rms(&mut b.iter().copied(), k);
            let dist = rms(&mut a.iter().zip(b.iter()).map(|(x, y)| x - y), k);
            b.len() == a.len() && dist <= SAME_STATE_TOL * scale
        });
        rep.push(found.unwrap_or(i));
    }
    rep
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

    fn normal(rng: &mut mf_core::streams::StreamRng) -> f64 {
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
    fn mean_se_covers_the_truth_at_the_stated_rate() {
        let mut rng = stream(2, 0, Purpose::Probe);
        let (trials, r) = (2000, 30);
        let mut cover = 0;
        for _ in 0..trials {
            let y: Vec<f64> = (0..r).map(|_| 1.0 + normal(&mut rng)).collect();
            let (m, se) = mean_se(&y);
            cover += usize::from((m - 1.0).abs() < crate::inference::t_quantile(0.975, 29.0) * se);
        }
        // exact for normal data: 95 % ± 3 binomial SE (1.5 %)
        let rate = cover as f64 / trials as f64;
        assert!((rate - 0.95).abs() < 0.015, "coverage {rate}");
    }

    #[test]
    fn same_states_are_grouped_on_both_sides_of_the_tolerance() {
        let f: Vec<f64> = (0..50).map(|k| (k as f64 * 0.7).sin()).collect();
        let rms = (f.iter().map(|x| x * x).sum::<f64>() / 50.0).sqrt();
        let shifted = |eps: f64| -> Vec<f64> { f.iter().map(|x| x + eps * rms).collect() };
        let (near, far, other) = (
            shifted(0.99 * SAME_STATE_TOL),
            shifted(1.01 * SAME_STATE_TOL),
            shifted(1e-3),
        );
        let g = same_state_groups(&[&f, &far, &near, &other, &f]);
        assert_eq!(g, [0, 1, 0, 3, 0]);
        assert!(same_state_groups(&[]).is_empty());
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
}
