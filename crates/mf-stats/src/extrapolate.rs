//! The n → ∞ limit ℓ_∞(t) of the mean loss at a fixed time, by extrapolation in n, and the
//! exponent of its finite-n correction E[ℓ_n(t)] − ℓ_∞(t).
//!
//! At a fixed time t the central limit theorem gives E[ℓ_n(t)] = ℓ_∞(t) + A n^β + o(n^β) with
//! β = −1 (the O(n⁻¹) bias of the loss); A may have either sign. From the replica means m_k and
//! their standard errors s_k at widths n_1 < … < n_K (K ≥ 3), the estimator is **profile least
//! squares**:
//!
//! ```text
//! for β on the grid G = {β_lo, β_lo + h, …, β_hi}:
//!     (ℓ_∞(β), A(β)) = argmin Σ_k w_k (m_k − ℓ_∞ − A n_k^β)²,   w_k = 1/s_k²
//!     χ²(β) = that minimum
//! β̂ = argmin_{β ∈ G} χ²(β),   ℓ̂_∞ = ℓ_∞(β̂),   Â = A(β̂)
//! ```
//!
//! i.e. at every β a weighted *linear* least-squares fit in (ℓ_∞, A) (unweighted when some s_k
//! is not a positive number, e.g. one replica; then there is no interval), and β̂ the best of
//! the grid. ℓ̂_∞ is the limit n → ∞ of the fitted curve (β < 0).
//!
//! **Intervals: profile likelihood.** With the weights 1/s_k² (replica errors, well known at the
//! 128 replicas of the scans), χ²(β) − χ²_min is asymptotically χ²₁ at the true β, so the 95 %
//! interval of β is the set of grid points where
//!
//! ```text
//! χ²(β) − χ²_min ≤ q,   q = χ²₁(level) · max(1, χ²_min/(K − 3))
//! ```
//!
//! (the factor inflates the interval when the curve fits worse than the errors allow), and
//! likewise for ℓ_∞ with the profile χ²(ℓ_∞) = min over (β, A). Unlike a bootstrap, this is
//! cheap enough that its coverage is measured over thousands of simulated scans
//! ([`simulate_coverage`]). The fit's own χ²_min with K − 3 degrees of freedom (`chi2_p`) says
//! whether the curve ℓ_∞ + A n^β describes the means at all. An interval that reaches an end of
//! the grid is open there ([`Extrapolation::interval_at_grid_edge`]): near β = 0 the model
//! degenerates (n^β ≈ 1 + β ln n is collinear with the constant), so the upper end stays
//! below 0.

use crate::estimators::mean_se;
use crate::inference::t_quantile;
use mf_core::streams::StreamRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The grid of exponents β of the profile.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileGrid {
    /// Smallest β.
    pub lo: f64,
    /// Largest β (< 0).
    pub hi: f64,
    /// Spacing.
    pub step: f64,
}

/// β ∈ [−4, −0.05] in steps of 0.005 (far finer than any interval this estimator gives).
pub const DEFAULT_GRID: ProfileGrid = ProfileGrid {
    lo: -4.0,
    hi: -0.05,
    step: 0.005,
};

impl ProfileGrid {
    /// The grid points lo, lo + step, …, up to hi (within round-off), each computed as
    /// lo + k·step.
    pub fn betas(&self) -> Vec<f64> {
        let count = ((self.hi - self.lo) / self.step + 1e-9).floor() as usize + 1;
        (0..count).map(|k| self.lo + k as f64 * self.step).collect()
    }
}

/// How the intervals of [`extrapolate`] are computed (`interval_method` of `claims.csv`).
pub const INTERVAL_METHOD: &str = "profile-likelihood";

/// Result of [`extrapolate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extrapolation {
    /// β̂, the exponent of E\[ℓ_n\] − ℓ_∞.
    pub beta: f64,
    /// Its profile-likelihood interval at `level` (NaN ends without replica errors).
    pub beta_interval: [f64; 2],
    /// ℓ̂_∞, the extrapolation n → ∞.
    pub limit: f64,
    /// Its profile-likelihood interval at `level`.
    pub limit_interval: [f64; 2],
    /// Â (its sign is free).
    pub amplitude: f64,
    /// The widths fitted.
    pub widths: Vec<usize>,
    /// β̂ lies on an end of the grid (the data do not bound it there).
    pub at_grid_edge: bool,
    /// The interval of β reaches an end of the grid (it is open there).
    pub interval_at_grid_edge: bool,
    /// Whether the fit was weighted by 1/SE².
    pub weighted: bool,
    /// Confidence level of the intervals.
    pub level: f64,
    /// χ²_min of the weighted fit.
    pub chi2: f64,
    /// Its degrees of freedom K − 3.
    pub chi2_dof: usize,
    /// P(χ²_{K−3} ≥ χ²_min): small when the curve ℓ_∞ + A n^β does not describe the means.
    pub chi2_p: f64,
}

impl Extrapolation {
    /// The fitted curve ℓ̂_∞ + Â n^β̂.
    pub fn curve(&self, n: f64) -> f64 {
        self.limit + self.amplitude * n.powf(self.beta)
    }
}

/// The regressors n_k^β of every grid point, and the weights: what the profile needs that does
/// not depend on the means.
struct Profile {
    betas: Vec<f64>,
    /// Per grid point: (n_k^β, weighted mean of n^β, centred n_k^β, Σ w (n^β − mean)²).
    rows: Vec<(Vec<f64>, f64, Vec<f64>, f64)>,
    w: Vec<f64>,
}

impl Profile {
    fn new(widths: &[usize], w: Vec<f64>, grid: &ProfileGrid) -> Self {
        let sw: f64 = w.iter().sum();
        let betas = grid.betas();
        let rows = betas
            .iter()
            .map(|&b| {
                let x: Vec<f64> = widths.iter().map(|&n| (n as f64).powf(b)).collect();
                let xm = x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>() / sw;
                let xc: Vec<f64> = x.iter().map(|a| a - xm).collect();
                let sxx = xc.iter().zip(&w).map(|(a, c)| c * a * a).sum();
                (x, xm, xc, sxx)
            })
            .collect();
        Self { betas, rows, w }
    }

    /// χ²(β) at every grid point for the means `m` (NaN where the regressor is degenerate),
    /// and per point (ℓ_∞(β), A(β)).
    fn profile(&self, m: &[f64]) -> Vec<(f64, f64, f64)> {
        let sw: f64 = self.w.iter().sum();
        let ym = m.iter().zip(&self.w).map(|(a, c)| a * c).sum::<f64>() / sw;
        let syy: f64 = m
            .iter()
            .zip(&self.w)
            .map(|(y, c)| c * (y - ym).powi(2))
            .sum();
        self.rows
            .iter()
            .map(|(_, xm, xc, sxx)| {
                if !(*sxx > 0.0 && sxx.is_finite()) {
                    return (f64::NAN, f64::NAN, f64::NAN);
                }
                let sxy: f64 = xc
                    .iter()
                    .zip(m)
                    .zip(&self.w)
                    .map(|((x, y), c)| c * x * (y - ym))
                    .sum();
                let a = sxy / sxx;
                ((syy - sxy * sxy / sxx).max(0.0), ym - a * xm, a)
            })
            .collect()
    }

    /// The profile χ² of a fixed limit L: min over the grid of min over A of
    /// Σ w (m − L − A x)².
    fn limit_profile(&self, m: &[f64], limit: f64) -> f64 {
        let r: Vec<f64> = m.iter().map(|y| y - limit).collect();
        let srr: f64 = r.iter().zip(&self.w).map(|(y, c)| c * y * y).sum();
        self.rows
            .iter()
            .map(|(x, _, _, _)| {
                let sxx: f64 = x.iter().zip(&self.w).map(|(a, c)| c * a * a).sum();
                let sxy: f64 = x
                    .iter()
                    .zip(&r)
                    .zip(&self.w)
                    .map(|((a, y), c)| c * a * y)
                    .sum();
                srr - sxy * sxy / sxx
            })
            .fold(f64::INFINITY, f64::min)
            .max(0.0)
    }
}

/// The end of the interval of a limit on one side of `center` (`dir` = ±1): the point where
/// the profile χ²(L) − χ²_min first exceeds `q`, by doubling steps then bisection.
fn limit_end(profile: &Profile, m: &[f64], center: f64, chi2_min: f64, q: f64, dir: f64) -> f64 {
    let scale = m.iter().fold(0.0f64, |a, y| a.max(y.abs())).max(1e-300);
    let inside = |l: f64| profile.limit_profile(m, l) - chi2_min <= q;
    let mut step = 1e-6 * scale;
    let mut lo = center;
    let mut hi = center + dir * step;
    let mut guard = 0;
    while inside(hi) && guard < 200 {
        lo = hi;
        step *= 2.0;
        hi = center + dir * step;
        guard += 1;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if inside(mid) { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Profile least squares of the replica means on ℓ_∞ + A n^β (module docs) over every width of
/// `samples` = [(n, replica values)] with at least one value, in increasing n, with
/// profile-likelihood intervals of β and ℓ_∞ at `level`. `None` with fewer than three widths
/// or non-finite values.
pub fn extrapolate(
    samples: &[(usize, Vec<f64>)],
    grid: &ProfileGrid,
    level: f64,
) -> Option<Extrapolation> {
    let groups: Vec<(usize, Vec<f64>)> = samples
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    if groups.len() < 3 || groups.iter().flat_map(|g| &g.1).any(|v| !v.is_finite()) {
        return None;
    }
    let stats: Vec<(f64, f64)> = groups.iter().map(|(_, v)| mean_se(v)).collect();
    let weighted = stats.iter().all(|(_, se)| se.is_finite() && *se > 0.0);
    let w: Vec<f64> = if weighted {
        stats.iter().map(|(_, se)| 1.0 / (se * se)).collect()
    } else {
        vec![1.0; stats.len()]
    };
    let widths: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let profile = Profile::new(&widths, w, grid);
    let means: Vec<f64> = stats.iter().map(|s| s.0).collect();
    let chi = profile.profile(&means);
    let (g, &(chi2, limit, amplitude)) = chi
        .iter()
        .enumerate()
        .filter(|(_, c)| c.0.is_finite())
        .min_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    let k = widths.len();
    let dof = k - 3;
    let chi2_p = if dof > 0 {
        1.0 - ChiSquared::new(dof as f64).expect("dof > 0").cdf(chi2)
    } else {
        f64::NAN
    };
    let last = profile.betas.len() - 1;
    let (beta_interval, limit_interval, open) = if weighted {
        let z = t_quantile(0.5 * (1.0 + level), f64::INFINITY);
        let inflate = if dof > 0 {
            (chi2 / dof as f64).max(1.0)
        } else {
            1.0
        };
        let q = z * z * inflate;
        let inside: Vec<usize> = (0..chi.len())
            .filter(|&j| chi[j].0.is_finite() && chi[j].0 - chi2 <= q)
            .collect();
        let (first, end) = (inside[0], inside[inside.len() - 1]);
        let lo_l = limit_end(&profile, &means, limit, chi2, q, -1.0);
        let hi_l = limit_end(&profile, &means, limit, chi2, q, 1.0);
        (
            [profile.betas[first], profile.betas[end]],
            [lo_l, hi_l],
            first == 0 || end == last,
        )
    } else {
        ([f64::NAN; 2], [f64::NAN; 2], false)
    };
    Some(Extrapolation {
        beta: profile.betas[g],
        beta_interval,
        limit,
        limit_interval,
        amplitude,
        widths,
        at_grid_edge: g == 0 || g == last,
        interval_at_grid_edge: open,
        weighted,
        level,
        chi2,
        chi2_dof: dof,
        chi2_p,
    })
}

/// The coverage of the intervals of β and ℓ_∞ over `trials` simulated scans with normal
/// replicas ℓ_∞ + A n^β + sd_k ξ at `widths` with `replicas` each (the scan's own widths,
/// replica counts and spreads, and its fitted curve as the truth), drawn from `seed`: (β
/// covered, ℓ_∞ covered, scans with a fit).
pub fn simulate_coverage(
    truth: (f64, f64, f64),
    widths: &[usize],
    replicas: &[usize],
    sd: &[f64],
    trials: usize,
    level: f64,
    seed: u64,
) -> (usize, usize, usize) {
    let (limit, a, beta) = truth;
    let mut rng = StreamRng::seed_from_u64(seed);
    let (mut cb, mut cl, mut fits) = (0, 0, 0);
    for _ in 0..trials {
        let s: Vec<(usize, Vec<f64>)> = widths
            .iter()
            .zip(replicas)
            .zip(sd)
            .map(|((&n, &r), &s)| {
                let mean = limit + a * (n as f64).powf(beta);
                let v = (0..r)
                    .map(|_| {
                        let xi: f64 = StandardNormal.sample(&mut rng);
                        mean + s * xi
                    })
                    .collect();
                (n, v)
            })
            .collect();
        if let Some(e) = extrapolate(&s, &DEFAULT_GRID, level) {
            fits += 1;
            cb += usize::from(e.beta_interval[0] <= beta && beta <= e.beta_interval[1]);
            cl += usize::from(e.limit_interval[0] <= limit && limit <= e.limit_interval[1]);
        }
    }
    (cb, cl, fits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mf_core::streams::{Purpose, stream};

    const WIDTHS: [usize; 6] = [8, 16, 32, 64, 128, 256];

    #[test]
    fn the_grid_has_its_ends_and_step() {
        let b = DEFAULT_GRID.betas();
        assert_eq!(b.len(), 791);
        assert_eq!(b[0], -4.0);
        assert!((b[790] + 0.05).abs() < 1e-12);
        assert!((b[600] + 1.0).abs() < 1e-12);
    }

    #[test]
    fn an_exact_curve_is_recovered_exactly_with_either_sign_of_a() {
        for (limit, a, beta) in [(0.239, -0.256, -1.0), (0.01, 1.0, -2.0), (0.5, 0.3, -0.5)] {
            // two identical replicas: SE 0, so the fit is unweighted and has no interval
            let s: Vec<(usize, Vec<f64>)> = WIDTHS
                .iter()
                .map(|&n| (n, vec![limit + a * (n as f64).powf(beta); 2]))
                .collect();
            let e = extrapolate(&s, &DEFAULT_GRID, 0.95).unwrap();
            assert!((e.beta - beta).abs() < 1e-9, "{e:?}");
            assert!(
                (e.limit - limit).abs() < 1e-9 && (e.amplitude - a).abs() < 1e-9,
                "{e:?}"
            );
            assert!(!e.at_grid_edge && !e.weighted);
            assert!(e.beta_interval[0].is_nan());
            assert!((e.curve(8.0) - (limit + a / 8f64.powf(-beta))).abs() < 1e-9);
            assert_eq!(e.widths, WIDTHS);
            assert!(e.chi2 < 1e-15 && e.chi2_dof == 3, "{e:?}");
        }
    }

    #[test]
    fn too_few_widths_or_non_finite_values_give_no_fit() {
        let two = [(8, vec![1.0, 1.1]), (16, vec![0.9, 1.0])];
        assert!(extrapolate(&two, &DEFAULT_GRID, 0.95).is_none());
        let nan = [(8, vec![1.0]), (16, vec![f64::NAN]), (32, vec![0.9])];
        assert!(extrapolate(&nan, &DEFAULT_GRID, 0.95).is_none());
    }

    #[test]
    fn a_logarithmic_trend_puts_beta_on_the_grid_edge() {
        let s: Vec<(usize, Vec<f64>)> = WIDTHS
            .iter()
            .map(|&n| (n, vec![1.0 - 0.1 * (n as f64).ln(); 2]))
            .collect();
        let e = extrapolate(&s, &DEFAULT_GRID, 0.95).unwrap();
        assert!(e.at_grid_edge && (e.beta + 0.05).abs() < 1e-12, "{e:?}");
    }

    #[test]
    fn the_interval_is_where_the_profile_rises_by_the_chi2_quantile() {
        // widths with replicas: the ends of the β interval sit where χ²(β) − χ²_min crosses
        // 3.84 · max(1, χ²_min/3) (within the grid step)
        let mut rng = stream(5, 0, Purpose::Probe);
        let s: Vec<(usize, Vec<f64>)> = WIDTHS
            .iter()
            .map(|&n| {
                let m = 0.3 - 2.0 / n as f64;
                let v = (0..16)
                    .map(|_| m + 0.004 * Distribution::<f64>::sample(&StandardNormal, &mut rng))
                    .collect();
                (n, v)
            })
            .collect();
        let e = extrapolate(&s, &DEFAULT_GRID, 0.95).unwrap();
        let w: Vec<f64> = s.iter().map(|(_, v)| 1.0 / mean_se(v).1.powi(2)).collect();
        let m: Vec<f64> = s.iter().map(|(_, v)| mean_se(v).0).collect();
        let p = Profile::new(&WIDTHS, w, &DEFAULT_GRID);
        let chi = p.profile(&m);
        let q = 1.959_963_985f64.powi(2) * (e.chi2 / 3.0).max(1.0);
        let at = |b: f64| {
            let j = ((b - DEFAULT_GRID.lo) / DEFAULT_GRID.step).round() as usize;
            chi.get(j).map_or(f64::INFINITY, |c| c.0 - e.chi2)
        };
        assert!(!e.interval_at_grid_edge, "{e:?}");
        assert!(at(e.beta_interval[0]) <= q && at(e.beta_interval[0] - 0.005) > q);
        assert!(at(e.beta_interval[1]) <= q && at(e.beta_interval[1] + 0.005) > q);
        // and for ℓ_∞: the profile of the limit crosses q at both ends
        let lp = |l: f64| p.limit_profile(&m, l) - e.chi2;
        assert!((lp(e.limit_interval[0]) - q).abs() < 1e-6 * q);
        assert!((lp(e.limit_interval[1]) - q).abs() < 1e-6 * q);
        assert!(e.limit_interval[0] < e.limit && e.limit < e.limit_interval[1]);
    }

    #[test]
    fn the_clt_case_is_covered_at_the_scans_replicas() {
        // the t = 300 picture of clt-loss: ℓ_∞ = 0.5845, A = 0.33, β = −1.1, replica sd
        // falling with n, 128 replicas at widths 8–256: 2000 simulated scans
        let sd: Vec<f64> = WIDTHS.iter().map(|&n| 0.1 / (n as f64).powf(0.8)).collect();
        let (cb, cl, fits) =
            simulate_coverage((0.5845, 0.33, -1.1), &WIDTHS, &[128; 6], &sd, 2000, 0.95, 1);
        assert_eq!(fits, 2000);
        let (rb, rl) = (cb as f64 / 2000.0, cl as f64 / 2000.0);
        assert!(rb >= 0.93, "β coverage {rb}");
        assert!(rl >= 0.93, "ℓ_∞ coverage {rl}");
    }

    #[test]
    fn another_exponent_of_the_other_sign_is_covered() {
        let sd: Vec<f64> = WIDTHS.iter().map(|&n| 0.005 / (n as f64).sqrt()).collect();
        let (cb, cl, fits) =
            simulate_coverage((0.01, 1.0, -2.0), &WIDTHS, &[24; 6], &sd, 2000, 0.95, 2);
        let (rb, rl) = (cb as f64 / fits as f64, cl as f64 / fits as f64);
        assert!(rb >= 0.93, "β coverage {rb}");
        assert!(rl >= 0.93, "ℓ_∞ coverage {rl}");
    }
}
