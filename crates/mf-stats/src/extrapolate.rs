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
//!     RSS(β) = that minimum
//! β̂ = argmin_{β ∈ G} RSS(β),   ℓ̂_∞ = ℓ_∞(β̂),   Â = A(β̂)
//! ```
//!
//! i.e. at every β a weighted *linear* least-squares fit in (ℓ_∞, A) (unweighted when some s_k
//! is not a positive number, e.g. one replica), and β̂ the best of the grid. ℓ̂_∞ is the limit
//! n → ∞ of the fitted curve (β < 0). The intervals of β and ℓ_∞ are percentile bootstraps over
//! replicas: each resample redraws, at every width, its R_k replicas with replacement,
//! recomputes the means and refits with the same weights. A β̂ on an end of the grid means that
//! the data do not bound it there ([`Extrapolation::at_grid_edge`]): near β = 0 the model
//! degenerates (n^β ≈ 1 + β ln n is collinear with the constant), so the upper end stays below
//! 0.

use crate::estimators::mean_se;
use crate::fit::{bootstrap, interval_of};
use mf_core::streams::StreamRng;
use serde::{Deserialize, Serialize};

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

/// Result of [`extrapolate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extrapolation {
    /// β̂, the exponent of E\[ℓ_n\] − ℓ_∞.
    pub beta: f64,
    /// Its bootstrap percentile interval at `level`.
    pub beta_interval: [f64; 2],
    /// ℓ̂_∞, the extrapolation n → ∞.
    pub limit: f64,
    /// Its bootstrap percentile interval at `level`.
    pub limit_interval: [f64; 2],
    /// Â (its sign is free).
    pub amplitude: f64,
    /// The widths fitted.
    pub widths: Vec<usize>,
    /// β̂ lies on an end of the grid (the data do not bound it there).
    pub at_grid_edge: bool,
    /// Whether the fit was weighted by 1/SE².
    pub weighted: bool,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
}

impl Extrapolation {
    /// The fitted curve ℓ̂_∞ + Â n^β̂.
    pub fn curve(&self, n: f64) -> f64 {
        self.limit + self.amplitude * n.powf(self.beta)
    }
}

/// The regressors n_k^β of every grid point, centred with the weights, and their weighted sums
/// of squares: what the profile needs that does not depend on the means.
struct Profile {
    betas: Vec<f64>,
    /// Per grid point: (weighted mean of n^β, centred n_k^β, Σ w (n^β − mean)²).
    rows: Vec<(f64, Vec<f64>, f64)>,
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
                (xm, xc, sxx)
            })
            .collect();
        Self { betas, rows, w }
    }

    /// (β̂, ℓ_∞(β̂), A(β̂), index of β̂) for the means `m`: the grid point maximising
    /// Sxy²/Sxx, which minimises RSS = Syy − Sxy²/Sxx.
    fn fit(&self, m: &[f64]) -> Option<(f64, f64, f64, usize)> {
        let sw: f64 = self.w.iter().sum();
        let ym = m.iter().zip(&self.w).map(|(a, c)| a * c).sum::<f64>() / sw;
        let mut best: Option<(f64, usize, f64)> = None;
        for (g, (_, xc, sxx)) in self.rows.iter().enumerate() {
            if !(*sxx > 0.0 && sxx.is_finite()) {
                continue;
            }
            let sxy: f64 = xc
                .iter()
                .zip(m)
                .zip(&self.w)
                .map(|((x, y), c)| c * x * (y - ym))
                .sum();
            let explained = sxy * sxy / sxx;
            if explained.is_finite() && best.is_none_or(|b| explained > b.0) {
                best = Some((explained, g, sxy / sxx));
            }
        }
        let (_, g, a) = best?;
        let limit = ym - a * self.rows[g].0;
        Some((self.betas[g], limit, a, g))
    }
}

/// Profile least squares of the replica means on ℓ_∞ + A n^β (module docs) over every width of
/// `samples` = [(n, replica values)] with at least one value, in increasing n, with a bootstrap
/// over replicas for the intervals of β and ℓ_∞. `None` with fewer than three widths or
/// non-finite values.
pub fn extrapolate(
    samples: &[(usize, Vec<f64>)],
    grid: &ProfileGrid,
    resamples: usize,
    level: f64,
    rng: &mut StreamRng,
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
    let (beta, limit, amplitude, g) = profile.fit(&means)?;
    let fit_of = |gs: &[(usize, Vec<f64>)]| {
        let m: Vec<f64> = gs
            .iter()
            .map(|(_, v)| v.iter().sum::<f64>() / v.len() as f64)
            .collect();
        profile.fit(&m)
    };
    // one pass of resamples, keeping both statistics of each
    let mut limits = Vec::with_capacity(resamples);
    let betas = bootstrap(&groups, resamples, rng, |gs| {
        let (b, l, _, _) = fit_of(gs)?;
        limits.push(l);
        Some(b)
    });
    let bi = interval_of(&betas, level);
    let li = interval_of(&limits, level);
    Some(Extrapolation {
        beta,
        beta_interval: [bi.0, bi.1],
        limit,
        limit_interval: [li.0, li.1],
        amplitude,
        widths,
        at_grid_edge: g == 0 || g + 1 == profile.betas.len(),
        weighted,
        level,
        resamples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mf_core::streams::{Purpose, stream};
    use rand_distr::{Distribution, StandardNormal};

    const WIDTHS: [usize; 6] = [8, 16, 32, 64, 128, 256];

    /// R replicas per width of ℓ_∞ + A n^β + (sd/√n) ξ.
    fn synthetic(
        limit: f64,
        a: f64,
        beta: f64,
        sd: f64,
        r: usize,
        rng: &mut StreamRng,
    ) -> Vec<(usize, Vec<f64>)> {
        WIDTHS
            .iter()
            .map(|&n| {
                let nf = n as f64;
                let v = (0..r)
                    .map(|_| {
                        let xi: f64 = StandardNormal.sample(rng);
                        limit + a * nf.powf(beta) + sd / nf.sqrt() * xi
                    })
                    .collect();
                (n, v)
            })
            .collect()
    }

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
        let mut rng = stream(1, 0, Purpose::Probe);
        for (limit, a, beta) in [(0.239, -0.256, -1.0), (0.01, 1.0, -2.0), (0.5, 0.3, -0.5)] {
            // two identical replicas: SE 0, so the fit is unweighted
            let s: Vec<(usize, Vec<f64>)> = WIDTHS
                .iter()
                .map(|&n| (n, vec![limit + a * (n as f64).powf(beta); 2]))
                .collect();
            let e = extrapolate(&s, &DEFAULT_GRID, 20, 0.95, &mut rng).unwrap();
            assert!((e.beta - beta).abs() < 1e-9, "{e:?}");
            assert!(
                (e.limit - limit).abs() < 1e-9 && (e.amplitude - a).abs() < 1e-9,
                "{e:?}"
            );
            assert!(!e.at_grid_edge && !e.weighted);
            assert!((e.curve(8.0) - (limit + a / 8f64.powf(-beta))).abs() < 1e-9);
            assert_eq!(e.widths, WIDTHS);
        }
    }

    #[test]
    fn too_few_widths_or_non_finite_values_give_no_fit() {
        let mut rng = stream(2, 0, Purpose::Probe);
        let two = [(8, vec![1.0, 1.1]), (16, vec![0.9, 1.0])];
        assert!(extrapolate(&two, &DEFAULT_GRID, 10, 0.95, &mut rng).is_none());
        let nan = [(8, vec![1.0]), (16, vec![f64::NAN]), (32, vec![0.9])];
        assert!(extrapolate(&nan, &DEFAULT_GRID, 10, 0.95, &mut rng).is_none());
    }

    #[test]
    fn a_logarithmic_trend_puts_beta_on_the_grid_edge() {
        let mut rng = stream(3, 0, Purpose::Probe);
        let s: Vec<(usize, Vec<f64>)> = WIDTHS
            .iter()
            .map(|&n| (n, vec![1.0 - 0.1 * (n as f64).ln(); 2]))
            .collect();
        let e = extrapolate(&s, &DEFAULT_GRID, 10, 0.95, &mut rng).unwrap();
        assert!(e.at_grid_edge && (e.beta + 0.05).abs() < 1e-12, "{e:?}");
    }

    /// Coverage of the intervals of β and ℓ_∞ over repeated synthetic data sets, and the mean
    /// of the estimates.
    fn coverage(limit: f64, a: f64, beta: f64, sd: f64, seed: u64) -> (f64, f64, f64, f64) {
        let mut data = stream(seed, 0, Purpose::Probe);
        let mut boot = stream(seed + 1, 0, Purpose::Probe);
        let trials = 200;
        let (mut cb, mut cl, mut mb, mut ml) = (0, 0, 0.0, 0.0);
        for _ in 0..trials {
            let s = synthetic(limit, a, beta, sd, 24, &mut data);
            let e = extrapolate(&s, &DEFAULT_GRID, 300, 0.95, &mut boot).unwrap();
            assert!(e.weighted);
            if e.beta_interval[0] <= beta && beta <= e.beta_interval[1] {
                cb += 1;
            }
            if e.limit_interval[0] <= limit && limit <= e.limit_interval[1] {
                cl += 1;
            }
            mb += e.beta / trials as f64;
            ml += e.limit / trials as f64;
        }
        (cb as f64 / trials as f64, cl as f64 / trials as f64, mb, ml)
    }

    #[test]
    fn the_clt_case_is_recovered_at_the_stated_rate() {
        // the d = 5, t = 1000 picture: the mean loss rises with n (0.231 at n = 32, 0.237 at
        // 128), so A < 0: ℓ_∞ = 0.239, A = −0.256, β = −1; replica spread 2 % at n = 32
        // (sd 0.028/√n), 24 replicas, widths 8–256
        let (cb, cl, mb, ml) = coverage(0.239, -0.256, -1.0, 0.028, 10);
        // nominal 95 %; binomial SE over 200 trials 1.5 %
        assert!((0.88..=1.0).contains(&cb), "β coverage {cb}");
        assert!((0.88..=1.0).contains(&cl), "ℓ_∞ coverage {cl}");
        assert!((mb + 1.0).abs() < 0.05, "mean β̂ {mb}");
        assert!((ml - 0.239).abs() < 2e-4, "mean ℓ̂_∞ {ml}");
    }

    #[test]
    fn another_exponent_is_recovered_at_the_stated_rate() {
        // a faster correction of the other sign: ℓ_∞ = 0.01, A = +1, β = −2
        let (cb, cl, mb, ml) = coverage(0.01, 1.0, -2.0, 0.005, 20);
        assert!((0.88..=1.0).contains(&cb), "β coverage {cb}");
        assert!((0.88..=1.0).contains(&cl), "ℓ_∞ coverage {cl}");
        assert!((mb + 2.0).abs() < 0.05, "mean β̂ {mb}");
        assert!((ml - 0.01).abs() < 1e-4, "mean ℓ̂_∞ {ml}");
    }
}
