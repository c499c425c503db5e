//! Intervals whose coverage holds at the replica counts of the scans (2 to 128 replicas per
//! width): a **delete-one jackknife** per width and **Welch–Satterthwaite t intervals** for any
//! linear combination of independent widths.
//!
//! Every quantity the report fits is a smooth statistic g of the replicas of each width (the log
//! of their mean loss, the log of their variance), and every exponent is a linear combination
//! Σ_i c_i g_i of independent widths (a least-squares slope, a local slope, a difference of two
//! scans' slopes). For width i with replicas y_1 … y_R (R ≥ 2) and g_(−r) the statistic without
//! replica r, the jackknife variance of g is
//!
//! ```text
//! v = (R − 1)/R · Σ_r (g_(−r) − ḡ_(·))²,   ḡ_(·) = (1/R) Σ_r g_(−r),   ν = R − 1 degrees of freedom
//! ```
//!
//! (for g = ln ȳ it is the delta-method variance s²/(R ȳ²) to first order). A combination
//! L = Σ c_i g_i has variance V = Σ c_i² v_i and the Welch–Satterthwaite degrees of freedom
//!
//! ```text
//! ν_L = V² / Σ_i (c_i² v_i)² / ν_i,
//! ```
//!
//! and its interval at level 1 − α is L ± t_{1−α/2, ν_L} √V. With two replicas per width ν is
//! small and t large (t_{0.975, 1} = 12.7): the interval says how little two replicas know,
//! where a percentile bootstrap over them (≈ 3^R distinct resamples) covers ≈ 75 %. The
//! coverage of every method at the replica counts and spreads of the scans is measured by
//! simulation ([`crate::coverage`]).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// One width's statistic: its value, jackknife variance and degrees of freedom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// g on all replicas.
    pub value: f64,
    /// Its jackknife variance v.
    pub var: f64,
    /// Degrees of freedom ν = R − 1.
    pub dof: f64,
}

/// The delete-one jackknife of `stat` over `items` (module docs); `None` with fewer than two
/// items or when `stat` fails (returns `None` or a non-finite value) on any subset.
pub fn jackknife<T>(items: &[T], stat: impl Fn(&[&T]) -> Option<f64>) -> Option<Estimate> {
    let r = items.len();
    if r < 2 {
        return None;
    }
    let all: Vec<&T> = items.iter().collect();
    let value = stat(&all).filter(|v| v.is_finite())?;
    let mut loo = Vec::with_capacity(r);
    let mut sub: Vec<&T> = Vec::with_capacity(r - 1);
    for skip in 0..r {
        sub.clear();
        sub.extend(
            items
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != skip)
                .map(|(_, x)| x),
        );
        loo.push(stat(&sub).filter(|v| v.is_finite())?);
    }
    let mean = loo.iter().sum::<f64>() / r as f64;
    let ss: f64 = loo.iter().map(|g| (g - mean).powi(2)).sum();
    Some(Estimate {
        value,
        var: (r as f64 - 1.0) / r as f64 * ss,
        dof: r as f64 - 1.0,
    })
}

/// ln of the mean of `v` (`None` unless the mean is positive and finite).
pub fn ln_mean(v: &[&f64]) -> Option<f64> {
    let m = v.iter().copied().sum::<f64>() / v.len() as f64;
    (m > 0.0 && m.is_finite()).then(|| m.ln())
}

/// ln of the unbiased sample variance of `v` (`None` for fewer than two values or a zero
/// variance).
pub fn ln_variance(v: &[&f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().copied().sum::<f64>() / v.len() as f64;
    let s2 = v.iter().map(|x| (*x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    (s2 > 0.0 && s2.is_finite()).then(|| s2.ln())
}

/// A linear combination L = Σ c_i g_i of independent estimates: value, standard error and
/// Welch–Satterthwaite degrees of freedom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Combination {
    /// L.
    pub value: f64,
    /// √V.
    pub se: f64,
    /// ν_L (infinite when V = 0).
    pub dof: f64,
}

/// Σ c_i g_i over `terms` = [(c_i, estimate_i)] (module docs).
pub fn combine(terms: &[(f64, Estimate)]) -> Combination {
    let value = terms.iter().map(|(c, e)| c * e.value).sum();
    let parts: Vec<(f64, f64)> = terms.iter().map(|(c, e)| (c * c * e.var, e.dof)).collect();
    sum_parts(value, &parts)
}

/// A combination from its variance parts [(c_i² v_i, ν_i)].
fn sum_parts(value: f64, parts: &[(f64, f64)]) -> Combination {
    let var: f64 = parts.iter().map(|p| p.0).sum();
    let denom: f64 = parts
        .iter()
        .filter(|p| p.0 > 0.0)
        .map(|(v, nu)| v * v / nu)
        .sum();
    let dof = if var > 0.0 && denom > 0.0 {
        var * var / denom
    } else {
        f64::INFINITY
    };
    Combination {
        value,
        se: var.sqrt(),
        dof,
    }
}

impl Combination {
    /// The difference self − other of two independent combinations (its degrees of freedom by
    /// Welch–Satterthwaite over both: exact, since V²/ν is additive over the parts).
    pub fn minus(&self, other: &Combination) -> Combination {
        let part = |c: &Combination| (c.se * c.se, c.dof);
        sum_parts(self.value - other.value, &[part(self), part(other)])
    }

    /// The t interval value ± t_{(1+level)/2, ν} · se.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let half = t_quantile(0.5 * (1.0 + level), self.dof) * self.se;
        (self.value - half, self.value + half)
    }

    /// The two-sided p-value of `value = null`.
    pub fn p_value(&self, null: f64) -> f64 {
        if self.se == 0.0 {
            // no spread: equal up to round-off, or not at all
            let tol = 1e-12 * (1.0 + null.abs() + self.value.abs());
            return if (self.value - null).abs() <= tol {
                1.0
            } else {
                0.0
            };
        }
        let t = ((self.value - null) / self.se).abs();
        2.0 * (1.0 - t_cdf(t, self.dof))
    }
}

/// The quantile of Student's t with `dof` degrees of freedom (the normal's for `dof` above
/// [`NORMAL_DOF`], infinite included) at probability `p` ∈ (0, 1).
pub fn t_quantile(p: f64, dof: f64) -> f64 {
    if dof > NORMAL_DOF {
        normal().inverse_cdf(p)
    } else {
        t_dist(dof).inverse_cdf(p)
    }
}

/// The distribution function of Student's t with `dof` degrees of freedom at `t`.
pub fn t_cdf(t: f64, dof: f64) -> f64 {
    if dof > NORMAL_DOF {
        normal().cdf(t)
    } else {
        t_dist(dof).cdf(t)
    }
}

/// Degrees of freedom beyond which t is the normal distribution (their quantiles differ by
/// < 10⁻⁶ relative; statrs' incomplete-beta inversion does not terminate at infinite ν).
pub const NORMAL_DOF: f64 = 1e7;

fn normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal")
}

fn t_dist(dof: f64) -> StudentsT {
    StudentsT::new(0.0, 1.0, dof.max(1e-3)).expect("positive degrees of freedom")
}

/// The t interval of the mean of `y` (R ≥ 2): ȳ ± t_{(1+level)/2, R−1} s/√R; `None` for fewer
/// than two values.
pub fn mean_interval(y: &[f64], level: f64) -> Option<(f64, f64)> {
    if y.len() < 2 {
        return None;
    }
    let (m, se) = crate::estimators::mean_se(y);
    let c = Combination {
        value: m,
        se,
        dof: y.len() as f64 - 1.0,
    };
    Some(c.interval(level))
}

/// The interval of the mean of positive `y` (R ≥ 2) from the jackknife of ln ȳ:
/// ȳ · exp(± t_{(1+level)/2, R−1} √v) — the interval of the fits' statistic, back on the scale
/// of y (it stays positive, and it covers lognormal replicas at the scans' spreads better
/// than ȳ ± t s/√R); `None` for fewer than two values or a non-positive mean.
pub fn log_mean_interval(y: &[f64], level: f64) -> Option<(f64, f64)> {
    let e = jackknife(y, ln_mean)?;
    let c = Combination {
        value: e.value,
        se: e.var.sqrt(),
        dof: e.dof,
    };
    let (lo, hi) = c.interval(level);
    Some((lo.exp(), hi.exp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mf_core::streams::{Purpose, stream};
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn t_quantiles_are_the_tables() {
        // two-sided 95 % points of Student's t (any table)
        for (nu, t) in [
            (1.0, 12.706_204_7),
            (2.0, 4.302_652_7),
            (3.0, 3.182_446_3),
            (7.0, 2.364_624_3),
            (31.0, 2.039_513_4),
            (127.0, 1.978_819_8),
        ] {
            let q = t_quantile(0.975, nu);
            assert!((q - t).abs() < 1e-6 * t, "ν = {nu}: {q} vs {t}");
            assert!((t_cdf(t, nu) - 0.975).abs() < 1e-7);
        }
        assert!((t_quantile(0.975, f64::INFINITY) - 1.959_963_985).abs() < 1e-8);
        assert_eq!(t_quantile(0.5, 4.0), 0.0);
    }

    #[test]
    fn the_jackknife_of_the_mean_is_the_squared_standard_error() {
        // g = mean: the jackknife variance is exactly s²/R
        let y = [1.0, 4.0, 2.0, 8.0, 5.0];
        let e = jackknife(&y, |v| {
            Some(v.iter().copied().sum::<f64>() / v.len() as f64)
        })
        .unwrap();
        let (m, se) = crate::estimators::mean_se(&y);
        assert!((e.value - m).abs() < 1e-15);
        assert!((e.var - se * se).abs() < 1e-13, "{} vs {}", e.var, se * se);
        assert_eq!(e.dof, 4.0);
        // two replicas of ln ȳ: ((ln y₁ − ln y₂)/2)²
        let e = jackknife(&[1.0, 4.0], ln_mean).unwrap();
        assert!((e.var - (4f64.ln() / 2.0).powi(2)).abs() < 1e-15);
        // fewer than two, or a failing statistic: none
        assert!(jackknife(&[1.0], ln_mean).is_none());
        assert!(jackknife(&[1.0, -1.0, 0.5], ln_mean).is_none());
        assert!(
            jackknife(&[1.0, 2.0], ln_variance).is_none(),
            "R − 1 = 1 value left"
        );
    }

    #[test]
    fn welch_satterthwaite_of_two_means_is_welchs_test() {
        // Welch's two-sample statistic: a = {1, 2, 4}, b = {3, 5, 6, 9}
        let a = [1.0, 2.0, 4.0];
        let b = [3.0, 5.0, 6.0, 9.0];
        let mean = |v: &[&f64]| Some(v.iter().copied().sum::<f64>() / v.len() as f64);
        let (ea, eb) = (jackknife(&a, mean).unwrap(), jackknife(&b, mean).unwrap());
        let d = combine(&[(1.0, eb), (-1.0, ea)]);
        let (va, vb) = (
            crate::estimators::sample_variance(&a) / 3.0,
            crate::estimators::sample_variance(&b) / 4.0,
        );
        let nu = (va + vb).powi(2) / (va * va / 2.0 + vb * vb / 3.0);
        assert!((d.value - (5.75 - 7.0 / 3.0)).abs() < 1e-14);
        assert!((d.se - (va + vb).sqrt()).abs() < 1e-14);
        assert!((d.dof - nu).abs() < 1e-12, "{} vs {nu}", d.dof);
        // the same through `minus` of the two one-term combinations
        let m = combine(&[(1.0, eb)]).minus(&combine(&[(1.0, ea)]));
        assert!((m.value - d.value).abs() < 1e-14 && (m.dof - d.dof).abs() < 1e-10);
        // p-value at the interval's end is 1 − level
        let (lo, _) = d.interval(0.95);
        assert!((d.p_value(lo) - 0.05).abs() < 1e-9);
        // zero variance: an infinite dof and a point interval
        let z = combine(&[(
            1.0,
            Estimate {
                value: 2.0,
                var: 0.0,
                dof: 3.0,
            },
        )]);
        assert_eq!(z.interval(0.95), (2.0, 2.0));
        assert_eq!((z.p_value(2.0), z.p_value(1.0)), (1.0, 0.0));
    }

    #[test]
    fn the_t_interval_of_a_mean_covers_at_its_level_with_two_and_three_replicas() {
        let mut rng = stream(21, 0, Purpose::Probe);
        for r in [2usize, 3] {
            let trials = 4000;
            let mut covered = 0;
            for _ in 0..trials {
                let y: Vec<f64> = (0..r)
                    .map(|_| 1.0 + 0.3 * Distribution::<f64>::sample(&StandardNormal, &mut rng))
                    .collect();
                let (lo, hi) = mean_interval(&y, 0.95).unwrap();
                covered += usize::from(lo <= 1.0 && 1.0 <= hi);
            }
            let rate = covered as f64 / trials as f64;
            // exact for normal data: 95 % ± 3 binomial SE (0.34 %)
            assert!((rate - 0.95).abs() < 0.011, "R = {r}: {rate}");
        }
        assert!(mean_interval(&[1.0], 0.95).is_none());
    }
}
