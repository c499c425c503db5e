//! The learning transition: where, in units of the target's space, a width starts to learn.
//!
//! The 3-spin target f(x) = κ Σ a_pqr x_p x_q x_r is a homogeneous cubic; on the sphere it lies
//! in the spherical harmonics of degree 3 and 1, a space of dimension
//!
//! ```text
//! D(d) = N(d, 3) + N(d, 1) = [C(d+2, 3) − C(d, 1)] + d = C(d+2, 3) = d(d+1)(d+2)/6,
//! N(d, k) = C(k+d−1, k) − C(k+d−3, k−2)   (harmonics of degree k in d dimensions),
//! ```
//!
//! (35, 220 and 2 925 at d = 5, 10, 25). A network of n RBF units has n(d + 1) parameters; the
//! ratio r = n(d + 1)/D(d) puts every dimension on one axis. The transition ratio r* is where the
//! end-of-run relative loss first crosses a level (0.05: "learned"), by log–log interpolation
//! between the two bracketing widths; its interval comes from the t intervals of those widths'
//! means (the crossing moves right when the losses are higher), and does not include the error
//! of the interpolation itself.

use crate::coverage::Coverage;
use crate::inference::log_mean_interval;
use mf_core::streams::StreamRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// C(n, k) as a float (0 when k > n).
fn binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// N(d, k): the dimension of the spherical harmonics of degree k on S^{d−1}.
pub fn harmonic_dim(d: u64, k: u64) -> f64 {
    let lower = if k >= 2 && k + d >= 3 {
        binomial(k + d - 3, k - 2)
    } else {
        0.0
    };
    binomial(k + d - 1, k) - lower
}

/// D(d) = N(d, 3) + N(d, 1), the dimension of the space the 3-spin target lives in.
pub fn cubic_target_dim(d: u64) -> f64 {
    harmonic_dim(d, 3) + harmonic_dim(d, 1)
}

/// One width on the ratio axis: r, the mean end loss and its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatioPoint {
    /// r = n(d + 1)/D(d).
    pub ratio: f64,
    /// Mean relative loss.
    pub mean: f64,
    /// Its interval (lower, upper).
    pub interval: (f64, f64),
}

/// The first crossing of `level` by the means, r*, and its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Crossing {
    /// Crossed between two widths: r* with the interval from the means' intervals (`None` when
    /// an interval end is not positive or does not bracket the level).
    At {
        /// r*.
        ratio: f64,
        /// Its interval.
        interval: Option<(f64, f64)>,
    },
    /// Every width is above the level: r* is beyond the widest ratio.
    Above(f64),
    /// The narrowest width is already below the level: r* is below it.
    Below(f64),
}

/// ln-interpolated crossing of `level` between (r₁, y₁) and (r₂, y₂), y₁ > level ≥ y₂.
fn interpolate(r1: f64, y1: f64, r2: f64, y2: f64, level: f64) -> Option<f64> {
    if !(y1 > 0.0 && y2 > 0.0 && r1 > 0.0 && r2 > r1) || y1 <= level || y2 > level {
        return None;
    }
    let f = (level.ln() - y1.ln()) / (y2.ln() - y1.ln());
    Some((r1.ln() + f * (r2.ln() - r1.ln())).exp())
}

/// r*: where the means (in increasing r) first fall to `level` or below.
pub fn crossing(points: &[RatioPoint], level: f64) -> Option<Crossing> {
    let first = points.first()?;
    if first.mean <= level {
        return Some(Crossing::Below(first.ratio));
    }
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.mean <= level {
            let ratio = interpolate(a.ratio, a.mean, b.ratio, b.mean, level)?;
            // lower losses cross earlier: the lower ends give the lower r*
            let lo = interpolate(a.ratio, a.interval.0, b.ratio, b.interval.0, level);
            let hi = interpolate(a.ratio, a.interval.1, b.ratio, b.interval.1, level);
            let interval = match (lo, hi) {
                (Some(lo), Some(hi)) => Some((lo, hi)),
                _ => None,
            };
            return Some(Crossing::At { ratio, interval });
        }
    }
    Some(Crossing::Above(points.last()?.ratio))
}

/// One bracketing width of a simulated crossing: its ratio, true mean, replica count and the
/// spread of ln y.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimWidth {
    /// r.
    pub ratio: f64,
    /// True mean.
    pub mean: f64,
    /// Replicas (distinct end states).
    pub replicas: usize,
    /// Standard deviation of ln y.
    pub spread: f64,
}

/// The interval of ln(r*_b/r*_a) from the crossing intervals of two scans:
/// [ln lo_b − ln hi_a, ln hi_b − ln lo_a].
pub fn log_ratio_interval(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (b.0.ln() - a.1.ln(), b.1.ln() - a.0.ln())
}

/// Draws `replicas` lognormal values of mean `mean` and spread `spread` and returns the
/// [`RatioPoint`] with the t interval of their mean, or `None` without one.
fn simulated_point(w: &SimWidth, level: f64, rng: &mut StreamRng) -> Option<RatioPoint> {
    let y: Vec<f64> = (0..w.replicas)
        .map(|_| {
            let xi: f64 = StandardNormal.sample(rng);
            w.mean * (w.spread * xi - 0.5 * w.spread * w.spread).exp()
        })
        .collect();
    let interval = log_mean_interval(&y, level)?;
    Some(RatioPoint {
        ratio: w.ratio,
        mean: y.iter().sum::<f64>() / y.len() as f64,
        interval,
    })
}

/// The coverage of the interval of ln(r*_b/r*_a) ([`log_ratio_interval`]; with `b` = `None` of
/// r*_a's own interval) over simulated scans: lognormal replicas at each bracketing width with
/// the given true means, replica counts and spreads; the truth is the crossing of the true means.
/// Only simulated scans that give an interval count (as in the report, where a row without one
/// says so instead).
pub fn simulate_crossing_coverage(
    a: [SimWidth; 2],
    b: Option<[SimWidth; 2]>,
    level_crossed: f64,
    trials: usize,
    level: f64,
    seed: u64,
) -> Coverage {
    let truth = |w: &[SimWidth; 2]| {
        interpolate(w[0].ratio, w[0].mean, w[1].ratio, w[1].mean, level_crossed)
    };
    let (Some(ta), tb) = (truth(&a), b.as_ref().map(truth)) else {
        return Coverage {
            covered: 0,
            trials: 0,
        };
    };
    let mut rng = StreamRng::seed_from_u64(seed);
    let mut out = Coverage {
        covered: 0,
        trials: 0,
    };
    let one = |w: &[SimWidth; 2], rng: &mut StreamRng| -> Option<(f64, f64)> {
        let p = [
            simulated_point(&w[0], level, rng)?,
            simulated_point(&w[1], level, rng)?,
        ];
        match crossing(&p, level_crossed)? {
            Crossing::At { interval, .. } => interval,
            _ => None,
        }
    };
    for _ in 0..trials {
        let ia = one(&a, &mut rng);
        let covered = match (&b, tb) {
            (None, _) => ia.map(|(lo, hi)| lo <= ta && ta <= hi),
            (Some(bw), Some(Some(tb))) => {
                let ib = one(bw, &mut rng);
                ia.zip(ib).map(|(ia, ib)| {
                    let (lo, hi) = log_ratio_interval(ia, ib);
                    let t = (tb / ta).ln();
                    lo <= t && t <= hi
                })
            }
            _ => None,
        };
        if let Some(c) = covered {
            out.trials += 1;
            out.covered += usize::from(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmonic_dimensions_are_the_counts() {
        // N(d, 0) = 1, N(d, 1) = d, N(3, k) = 2k + 1, N(2, k) = 2 (k ≥ 1)
        for d in 2..30 {
            assert_eq!(harmonic_dim(d, 0), 1.0);
            assert_eq!(harmonic_dim(d, 1), d as f64);
        }
        for k in 0..8 {
            assert_eq!(harmonic_dim(3, k), (2 * k + 1) as f64);
        }
        for k in 1..8 {
            assert_eq!(harmonic_dim(2, k), 2.0);
        }
        // cubics restricted to the sphere: all monomials of degree 3, C(d + 2, 3)
        for (d, want) in [(5u64, 35.0), (10, 220.0), (25, 2925.0)] {
            assert_eq!(cubic_target_dim(d), want);
            let monomials = (0..d)
                .flat_map(|p| (p..d).flat_map(move |q| (q..d).map(move |r| (p, q, r))))
                .count();
            assert_eq!(monomials as f64, want);
        }
    }

    fn pt(ratio: f64, mean: f64, spread: f64) -> RatioPoint {
        RatioPoint {
            ratio,
            mean,
            interval: (mean / spread, mean * spread),
        }
    }

    #[test]
    fn the_crossing_of_a_power_law_is_exact_and_its_interval_brackets_it() {
        // y = 0.2 r^-4: crosses 0.05 at r = 4^(1/4) = √2
        let y = |r: f64| 0.2 * r.powi(-4);
        let pts: Vec<RatioPoint> = [0.5, 1.0, 2.0, 4.0]
            .iter()
            .map(|&r| pt(r, y(r), 1.5))
            .collect();
        let Some(Crossing::At { ratio, interval }) = crossing(&pts, 0.05) else {
            panic!("crosses");
        };
        assert!((ratio - 2f64.sqrt()).abs() < 1e-12, "{ratio}");
        let (lo, hi) = interval.unwrap();
        assert!(lo < ratio && ratio < hi);
        // a factor 1.5 on both means moves r* by 1.5^(1/4)
        assert!((hi / ratio - 1.5f64.powf(0.25)).abs() < 1e-12);
        assert!((ratio / lo - 1.5f64.powf(0.25)).abs() < 1e-12);
    }

    #[test]
    fn the_crossing_intervals_cover_at_the_scans_replicas_and_spreads() {
        // bracketing widths as in the d = 5 and d = 10 scans: a fall by ≈ 100× and ≈ 16× over a
        // doubling, 4–8 replicas, spreads 0.05–0.5 (committed: 0.01–0.45)
        for (replicas, spread) in [(2usize, 0.05), (4, 0.1), (4, 0.5), (8, 0.3), (3, 0.45)] {
            let w = |r: f64, m: f64| SimWidth {
                ratio: r,
                mean: m,
                replicas,
                spread,
            };
            let a = [w(1.37, 0.2), w(2.74, 1.3e-3)];
            let b = [w(0.8, 0.28), w(1.6, 0.017)];
            let one = simulate_crossing_coverage(a, None, 0.05, 2000, 0.95, 3);
            let two = simulate_crossing_coverage(a, Some(b), 0.05, 2000, 0.95, 4);
            for (c, what) in [(one, "r*"), (two, "log-ratio")] {
                assert!(
                    c.trials >= 500,
                    "{what}: intervals given in {} of 2000",
                    c.trials
                );
                eprintln!(
                    "{what} R = {replicas} s = {spread}: {} of {}",
                    c.rate(),
                    c.trials
                );
                assert!(
                    c.rate() >= 0.93,
                    "{what}, R = {replicas}, s = {spread}: {}",
                    c.rate()
                );
            }
        }
    }

    #[test]
    fn no_crossing_says_on_which_side() {
        let above = [pt(0.1, 0.8, 1.1), pt(0.3, 0.3, 1.1)];
        assert_eq!(crossing(&above, 0.05), Some(Crossing::Above(0.3)));
        let below = [pt(2.0, 0.01, 1.1), pt(4.0, 0.001, 1.1)];
        assert_eq!(crossing(&below, 0.05), Some(Crossing::Below(2.0)));
        assert_eq!(crossing(&[], 0.05), None);
    }

    #[test]
    fn an_interval_end_that_does_not_bracket_the_level_gives_no_interval() {
        // the upper end of the second width is above the level
        let pts = [pt(1.0, 0.3, 1.2), pt(2.0, 0.045, 1.5)];
        let Some(Crossing::At { interval, .. }) = crossing(&pts, 0.05) else {
            panic!("crosses");
        };
        assert_eq!(interval, None);
    }
}
