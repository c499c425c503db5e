//! Power laws y(n) ≈ A n^β fitted over widths, with an interval whose coverage holds at the
//! replica counts used, the local slopes beside every exponent, and a check that the curve is
//! a power law over the widths fitted.
//!
//! **The fit.** Each width i contributes one statistic g_i of its replicas — the log of their
//! mean, g_i = ln ȳ_i ([`mean_points`]), or the log of their variance, g_i = ln s²_i
//! ([`variance_points`]), or any other ([`jackknife_points`]) — with its delete-one jackknife
//! variance v_i and ν_i = R_i − 1 degrees of freedom ([`crate::inference`]). On x_i = ln n_i
//! the exponent is the ordinary least-squares slope
//!
//! ```text
//! β = Σ_i c_i g_i,   c_i = (x_i − x̄)/Σ_j (x_j − x̄)²,   ln A = ḡ − β x̄,
//! ```
//!
//! (unweighted: weights estimated from two or three replicas would add their own noise to β)
//! and its interval is the t interval of that linear combination with Welch–Satterthwaite
//! degrees of freedom, [`INTERVAL_METHOD`]. Its coverage at the widths, replica counts and
//! spreads of every committed scan is measured by simulation ([`crate::coverage`]).
//!
//! **Local slopes** s_j = (g_{j+1} − g_j)/(x_{j+1} − x_j) between consecutive widths, each with
//! its own t interval, are listed beside every exponent: a power law has equal local slopes.
//!
//! **Is it a power law?** For k ≥ 3 widths, two kinds of departure are tested, each a linear
//! combination of the widths' estimates against 0 by its Welch t statistic
//! ([`curvature_p`]): a smooth drift of the local slopes (the quadratic term of a least-squares
//! parabola in ln n) and, from four widths on, a kink (each difference of consecutive local
//! slopes s_{j+1} − s_j). The smallest p-value times the number of tests (Bonferroni) is the
//! fit's `curvature_p`, and the widths are described by a power law when it is at least
//! [`POWER_LAW_TEST_LEVEL`] = 0.05 (a curved range — local slopes −1.06, −4.00, −4.31, −1.55, or
//! −2.66, −1.59, −1.31, −1.72, −0.92 drifting towards −1 — is "not a power law", not an
//! exponent). [`power_law_range`] drops the narrowest width while at
//! least three remain and the test rejects: a rule that looks at the data's shape, never at a
//! prediction.
//!
//! **Sensitivity**: every fit of k ≥ 3 widths also gives β without its narrowest and without its
//! widest width.
//!
//! Also here: the rule choosing the widths of a long-time fit, [`off_curve_widths`].

use crate::inference::{Combination, Estimate, combine, jackknife, ln_mean, ln_variance};
use serde::{Deserialize, Serialize};

/// How the intervals of every exponent are computed, in words (`interval_method` of
/// `claims.csv` and `fit.json`).
pub const INTERVAL_METHOD: &str = "jackknife-t";

/// The same, in a sentence.
pub const INTERVAL_METHOD_TEXT: &str = "t interval of the least-squares slope on log–log axes, with the delete-one jackknife variance of each width's log statistic (R − 1 degrees of freedom) and Welch–Satterthwaite degrees of freedom (mf-stats inference.rs)";

/// Family-wise level of the test of equal consecutive local slopes (module docs).
pub const POWER_LAW_TEST_LEVEL: f64 = 0.05;

/// One width of a fit: its statistic g (module docs), with its jackknife variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WidthPoint {
    /// Width n.
    pub n: usize,
    /// Replicas that entered g.
    pub replicas: usize,
    /// g, its variance and degrees of freedom.
    pub estimate: Estimate,
}

/// The jackknife of `stat` over the items of every width of `groups` = [(n, items)], in the
/// order given; widths where it does not exist (fewer than two items, a failing statistic) are
/// left out.
pub fn jackknife_points<T>(
    groups: &[(usize, Vec<T>)],
    stat: impl Fn(&[&T]) -> Option<f64>,
) -> Vec<WidthPoint> {
    groups
        .iter()
        .filter_map(|(n, items)| {
            jackknife(items, &stat).map(|estimate| WidthPoint {
                n: *n,
                replicas: items.len(),
                estimate,
            })
        })
        .collect()
}

/// g = ln ȳ of every width of `samples` = [(n, replica values)] with at least two replicas and
/// positive means.
pub fn mean_points(samples: &[(usize, Vec<f64>)]) -> Vec<WidthPoint> {
    jackknife_points(samples, ln_mean)
}

/// g = ln s² (unbiased replica variance) of every width with at least three replicas (the
/// jackknife leaves two) and a positive variance.
pub fn variance_points(samples: &[(usize, Vec<f64>)]) -> Vec<WidthPoint> {
    jackknife_points(samples, ln_variance)
}

/// The slope between two consecutive widths of a fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalSlope {
    /// The narrower width.
    pub from: usize,
    /// The wider width.
    pub to: usize,
    /// (g_to − g_from)/(ln to − ln from).
    pub slope: f64,
    /// Its standard error.
    pub se: f64,
    /// Its degrees of freedom.
    pub dof: f64,
}

/// Result of [`fit_points`] (also the `fit.json` of a scan).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// Exponent β.
    pub beta: f64,
    /// Its interval at `level` ([`INTERVAL_METHOD`]).
    pub beta_interval: [f64; 2],
    /// Standard error of β.
    pub beta_se: f64,
    /// Prefactor A.
    pub prefactor: f64,
    /// Smallest and largest width used.
    pub fit_range: [usize; 2],
    /// Number of widths used.
    pub points: usize,
    /// Confidence level of the interval.
    pub level: f64,
    /// Welch–Satterthwaite degrees of freedom of β.
    #[serde(default)]
    pub dof: f64,
    /// How the interval was computed ([`INTERVAL_METHOD`]).
    #[serde(default)]
    pub interval_method: String,
    /// The widths used.
    #[serde(default)]
    pub widths: Vec<usize>,
    /// Replicas per width used.
    #[serde(default)]
    pub replicas: Vec<usize>,
    /// Local slopes between consecutive widths.
    #[serde(default)]
    pub local_slopes: Vec<LocalSlope>,
    /// Bonferroni-adjusted smallest p-value of the tests of equal consecutive local slopes
    /// (`None` for two widths).
    #[serde(default)]
    pub curvature_p: Option<f64>,
    /// β without the narrowest width (three widths or more).
    #[serde(default)]
    pub beta_without_narrowest: Option<f64>,
    /// β without the widest width (three widths or more).
    #[serde(default)]
    pub beta_without_widest: Option<f64>,
}

impl PowerLawFit {
    /// β as a combination (value, standard error, degrees of freedom), e.g. to difference two
    /// independent fits.
    pub fn slope(&self) -> Combination {
        Combination {
            value: self.beta,
            se: self.beta_se,
            dof: self.dof,
        }
    }

    /// Whether the fitted widths are described by a power law: at least three widths and no
    /// significant difference of consecutive local slopes (module docs).
    pub fn is_power_law(&self) -> bool {
        self.curvature_p.is_some_and(|p| p >= POWER_LAW_TEST_LEVEL)
    }

    /// The local slopes in words: "−4.18 (16→32), −4.34 (32→64)".
    pub fn local_slopes_text(&self) -> String {
        self.local_slopes
            .iter()
            .map(|s| format!("{:.2} ({}→{})", s.slope, s.from, s.to))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The least-squares line of `points` (ordered by n) as a combination of their estimates:
/// (slope, intercept).
fn line(points: &[WidthPoint]) -> (Combination, f64) {
    let x: Vec<f64> = points.iter().map(|p| (p.n as f64).ln()).collect();
    let k = x.len() as f64;
    let xm = x.iter().sum::<f64>() / k;
    let sxx: f64 = x.iter().map(|v| (v - xm).powi(2)).sum();
    let terms: Vec<(f64, Estimate)> = points
        .iter()
        .zip(&x)
        .map(|(p, xi)| ((xi - xm) / sxx, p.estimate))
        .collect();
    let slope = combine(&terms);
    let gm = points.iter().map(|p| p.estimate.value).sum::<f64>() / k;
    (slope, gm - slope.value * xm)
}

/// The local slope between two consecutive points.
fn local(a: &WidthPoint, b: &WidthPoint) -> Combination {
    let dx = (b.n as f64 / a.n as f64).ln();
    combine(&[(-1.0 / dx, a.estimate), (1.0 / dx, b.estimate)])
}

/// The p-value of the test of a power law through `points` (module docs), `None` for fewer than
/// three: the quadratic term of a least-squares parabola in ln n (a smooth drift of the local
/// slopes) and, from four widths on, the largest difference of consecutive local slopes (a
/// kink), each a t test with Welch–Satterthwaite degrees of freedom, Bonferroni-adjusted over
/// all the tests made (for three widths the two are the same test).
pub fn curvature_p(points: &[WidthPoint]) -> Option<f64> {
    let k = points.len();
    if k < 3 {
        return None;
    }
    let quad = quadratic_term(points).p_value(0.0);
    if k == 3 {
        return Some(quad.min(1.0));
    }
    let kink = points
        .windows(3)
        .map(|w| {
            let (d1, d2) = (
                (w[1].n as f64 / w[0].n as f64).ln(),
                (w[2].n as f64 / w[1].n as f64).ln(),
            );
            // s₂ − s₁ = g₀/d₁ − g₁(1/d₁ + 1/d₂) + g₂/d₂
            combine(&[
                (1.0 / d1, w[0].estimate),
                (-(1.0 / d1 + 1.0 / d2), w[1].estimate),
                (1.0 / d2, w[2].estimate),
            ])
            .p_value(0.0)
        })
        .fold(1.0f64, f64::min);
    let tests = (k - 2) as f64 + 1.0;
    Some((tests * quad.min(kink)).min(1.0))
}

/// The coefficient γ of (x − x̄)² in the least-squares parabola g ≈ a + b(x − x̄) + γ(x − x̄)²,
/// x = ln n, as a combination of the points' estimates.
fn quadratic_term(points: &[WidthPoint]) -> Combination {
    let x: Vec<f64> = points.iter().map(|p| (p.n as f64).ln()).collect();
    let xm = x.iter().sum::<f64>() / x.len() as f64;
    let cols: Vec<[f64; 3]> = x.iter().map(|v| [1.0, v - xm, (v - xm).powi(2)]).collect();
    // M = XᵀX (3 × 3, symmetric), then the third row of M⁻¹ Xᵀ
    let mut m = [[0.0f64; 3]; 3];
    for c in &cols {
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += c[i] * c[j];
            }
        }
    }
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    // third row of the inverse: cofactors of the third column, transposed
    let inv2 = [
        (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det,
        -(m[0][0] * m[2][1] - m[0][1] * m[2][0]) / det,
        (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det,
    ];
    let terms: Vec<(f64, Estimate)> = cols
        .iter()
        .zip(points)
        .map(|(c, p)| (inv2[0] * c[0] + inv2[1] * c[1] + inv2[2] * c[2], p.estimate))
        .collect();
    combine(&terms)
}

/// The power law through `points` (in increasing n, at least two) at `level`: slope, interval,
/// local slopes, the power-law test and the sensitivity (module docs). `None` with fewer than
/// two points or a non-finite estimate.
pub fn fit_points(points: &[WidthPoint], level: f64) -> Option<PowerLawFit> {
    if points.len() < 2
        || points
            .iter()
            .any(|p| !(p.estimate.value.is_finite() && p.estimate.var.is_finite()))
    {
        return None;
    }
    let (slope, intercept) = line(points);
    let interval = slope.interval(level);
    let local_slopes: Vec<LocalSlope> = points
        .windows(2)
        .map(|w| {
            let s = local(&w[0], &w[1]);
            LocalSlope {
                from: w[0].n,
                to: w[1].n,
                slope: s.value,
                se: s.se,
                dof: s.dof,
            }
        })
        .collect();
    let curvature_p = curvature_p(points);
    let sub = |pts: &[WidthPoint]| (pts.len() >= 2).then(|| line(pts).0.value);
    let k = points.len();
    Some(PowerLawFit {
        beta: slope.value,
        beta_interval: [interval.0, interval.1],
        beta_se: slope.se,
        prefactor: intercept.exp(),
        fit_range: [points[0].n, points[k - 1].n],
        points: k,
        level,
        dof: slope.dof,
        interval_method: INTERVAL_METHOD.into(),
        widths: points.iter().map(|p| p.n).collect(),
        replicas: points.iter().map(|p| p.replicas).collect(),
        local_slopes,
        curvature_p,
        beta_without_narrowest: (k >= 3).then(|| sub(&points[1..])).flatten(),
        beta_without_widest: (k >= 3).then(|| sub(&points[..k - 1])).flatten(),
    })
}

/// The widths a power law describes: from `points` (increasing n), the narrowest is dropped
/// while at least three would remain and the fit is not a power law ([`PowerLawFit::
/// is_power_law`]) — a narrow width below the regime of the scaling (e.g. too few units to
/// represent the target) is not fitted with the wider ones. Returns the points kept (all of
/// them when fewer than four).
pub fn power_law_range(points: &[WidthPoint], level: f64) -> Vec<WidthPoint> {
    let mut from = 0;
    while points.len() - from >= 4 {
        match fit_points(&points[from..], level) {
            Some(f) if !f.is_power_law() => from += 1,
            _ => break,
        }
    }
    points[from..].to_vec()
}

/// The interval at `level` of β_a − β_b of two fits of independent data (t interval with
/// Welch–Satterthwaite degrees of freedom over both), with the difference.
pub fn difference_interval(a: &PowerLawFit, b: &PowerLawFit, level: f64) -> (f64, (f64, f64)) {
    let d = a.slope().minus(&b.slope());
    (d.value, d.interval(level))
}

/// Fits y(n) ≈ A n^β to the replica means of `samples` = [(n, replica values)] restricted to
/// `range` (inclusive); `None` when fewer than two widths with two replicas and a positive
/// mean are in range.
pub fn fit_power_law(
    samples: &[(usize, Vec<f64>)],
    range: Option<(usize, usize)>,
    level: f64,
) -> Option<PowerLawFit> {
    let in_range: Vec<(usize, Vec<f64>)> = samples
        .iter()
        .filter(|(n, _)| range.is_none_or(|(lo, hi)| *n >= lo && *n <= hi))
        .cloned()
        .collect();
    fit_points(&mean_points(&in_range), level)
}

/// Fits the replica variance s²_n = (1/(R−1)) Σ_r (y_r(n) − ȳ(n))² as A n^β over the widths of
/// `samples` with at least three replicas; `None` with fewer than two such widths.
pub fn fit_variance_power_law(samples: &[(usize, Vec<f64>)], level: f64) -> Option<PowerLawFit> {
    fit_points(&variance_points(samples), level)
}

/// How many combined standard errors the mean end loss of a width must exceed the next wider
/// width's by for the width to count as having left the mean-field curve
/// ([`off_curve_widths`]).
pub const OFF_CURVE_SE: f64 = 2.0;

/// The end of one width of a long run, as [`off_curve_widths`] sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WidthEnd {
    /// Width n.
    pub n: usize,
    /// Mean end loss over its replicas.
    pub mean: f64,
    /// Its standard error (NaN with one replica).
    pub se: f64,
    /// Every replica ended stationary (a minimiser of the finite-n loss).
    pub stationary: bool,
}

/// The widths that have **left the mean-field curve** by the end of a run, so that their end
/// loss measures the finite-n limit rather than the n-independent curve ℓ_∞(t) that every width
/// follows until it leaves it (a width leaves it later the wider it is; after leaving, it lies
/// above the curve). `ends` are in increasing n. Width n_k is used when
///
/// - every replica of it ended **stationary** (it sits at a minimiser of the finite-n loss), or
/// - its mean end loss exceeds the next wider width's by more than [`OFF_CURVE_SE`] = 2 combined
///   standard errors, m_k − m_{k+1} > 2 √(SE_k² + SE_{k+1}²): the two are on different curves
///   at t_end, and the narrower one is the one that has left (the wider is on the curve or left
///   it later).
///
/// The widest width has no wider one to compare with: it is used only when stationary. A width
/// without a finite SE (one replica) is used only when stationary.
pub fn off_curve_widths(ends: &[WidthEnd]) -> Vec<usize> {
    ends.iter()
        .enumerate()
        .filter(|(k, e)| {
            e.stationary
                || ends.get(k + 1).is_some_and(|w| {
                    e.mean - w.mean > OFF_CURVE_SE * (e.se * e.se + w.se * w.se).sqrt()
                })
        })
        .map(|(_, e)| e.n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::t_quantile;
    use mf_core::streams::{Purpose, stream};
    use rand_distr::{Distribution, StandardNormal};

    /// A point with a given g and variance (ν = 7).
    fn pt(n: usize, g: f64, var: f64) -> WidthPoint {
        WidthPoint {
            n,
            replicas: 8,
            estimate: Estimate {
                value: g,
                var,
                dof: 7.0,
            },
        }
    }

    /// Points on ln y = ln 3 + Σ local slopes, at widths 8, 16, 32, …
    fn along(slopes: &[f64], var: f64) -> Vec<WidthPoint> {
        let mut g = 3f64.ln();
        let mut out = vec![pt(8, g, var)];
        for (k, s) in slopes.iter().enumerate() {
            g += s * 2f64.ln();
            out.push(pt(8 << (k + 1), g, var));
        }
        out
    }

    #[test]
    fn an_exact_power_law_is_recovered_exactly_with_its_local_slopes() {
        let samples: Vec<(usize, Vec<f64>)> = [16usize, 32, 64, 128]
            .iter()
            .map(|&n| (n, vec![3.0 * (n as f64).powf(-1.5); 3]))
            .collect();
        let f = fit_power_law(&samples, None, 0.95).unwrap();
        assert!((f.beta + 1.5).abs() < 1e-12 && (f.prefactor - 3.0).abs() < 1e-10);
        assert!(f.beta_interval[0] <= f.beta && f.beta <= f.beta_interval[1]);
        assert!((f.beta_interval[1] - f.beta_interval[0]).abs() < 1e-12);
        assert_eq!(
            (f.widths.clone(), f.replicas.clone()),
            (vec![16, 32, 64, 128], vec![3; 4])
        );
        assert!(f.local_slopes.iter().all(|s| (s.slope + 1.5).abs() < 1e-12));
        assert!(f.is_power_law());
        assert!((f.beta_without_narrowest.unwrap() + 1.5).abs() < 1e-12);
        assert!((f.beta_without_widest.unwrap() + 1.5).abs() < 1e-12);
        let f = fit_power_law(&samples, Some((32, 64)), 0.95).unwrap();
        assert_eq!((f.fit_range, f.points), ([32, 64], 2));
        assert_eq!(f.curvature_p, None, "two widths: no test");
        assert!(!f.is_power_law() && f.beta_without_widest.is_none());
        // fewer than two usable widths: no fit
        assert!(fit_power_law(&samples[..1], None, 0.95).is_none());
        assert!(fit_power_law(&[(8, vec![1.0]), (16, vec![2.0])], None, 0.95).is_none());
    }

    #[test]
    fn the_interval_is_the_t_interval_of_the_least_squares_slope() {
        // three widths, known variances: β = (g₃ − g₁)/(x₃ − x₁) for equally spaced x
        let pts = vec![pt(8, 1.0, 0.01), pt(16, 0.2, 0.04), pt(32, -0.9, 0.02)];
        let f = fit_points(&pts, 0.95).unwrap();
        let dx = 2f64.ln();
        assert!((f.beta - (-1.9) / (2.0 * dx)).abs() < 1e-12);
        // c = (−1/(2dx), 0, 1/(2dx)): V = (0.01 + 0.02)/(4dx²), ν = V²/((c²v₁)²/7 + (c²v₃)²/7)
        let v = (0.01 + 0.02) / (4.0 * dx * dx);
        let nu = v * v
            / (((0.01f64 / (4.0 * dx * dx)).powi(2) + (0.02f64 / (4.0 * dx * dx)).powi(2)) / 7.0);
        assert!((f.beta_se - v.sqrt()).abs() < 1e-12);
        assert!((f.dof - nu).abs() < 1e-9);
        let half = t_quantile(0.975, nu) * v.sqrt();
        assert!((f.beta_interval[1] - f.beta - half).abs() < 1e-10);
        assert_eq!(f.interval_method, INTERVAL_METHOD);
    }

    #[test]
    fn a_curved_range_is_not_a_power_law_and_the_range_rule_drops_narrow_widths() {
        // the d = 10 local slopes of the issue, with small errors: curved everywhere
        let curved = along(&[-1.06, -4.00, -4.31, -1.55], 1e-4);
        let f = fit_points(&curved, 0.95).unwrap();
        assert!(!f.is_power_law(), "{:?}", f.curvature_p);
        assert_eq!(
            f.local_slopes_text(),
            "-1.06 (8→16), -4.00 (16→32), -4.31 (32→64), -1.55 (64→128)"
        );
        let kept = power_law_range(&curved, 0.95);
        assert_eq!(
            kept.iter().map(|p| p.n).collect::<Vec<_>>(),
            [32, 64, 128],
            "never fewer than three"
        );
        assert!(!fit_points(&kept, 0.95).unwrap().is_power_law());
        // the d = 5 shape: one narrow width off a straight line is dropped, the rest kept
        let d5 = along(&[-7.32, -4.18, -4.34], 1e-3);
        let kept = power_law_range(&d5, 0.95);
        assert_eq!(kept.iter().map(|p| p.n).collect::<Vec<_>>(), [16, 32, 64]);
        let f = fit_points(&kept, 0.95).unwrap();
        assert!(
            f.is_power_law() && (f.beta + 4.26).abs() < 1e-9,
            "{}",
            f.beta
        );
        // a straight line is kept whole
        let straight = along(&[-2.0, -2.0, -2.0, -2.0], 1e-3);
        assert_eq!(power_law_range(&straight, 0.95).len(), 5);
    }

    #[test]
    fn the_power_law_test_decides_on_both_sides_of_its_level() {
        // three widths: the middle one moved by δ bends the line; find δ where the adjusted
        // p-value crosses 0.05 and check both sides
        let at = |delta: f64| {
            let mut p = along(&[-2.0, -2.0], 0.01);
            p[1].estimate.value += delta;
            fit_points(&p, 0.95).unwrap()
        };
        let (mut lo, mut hi) = (0.0, 5.0);
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if at(mid).is_power_law() {
                lo = mid
            } else {
                hi = mid
            }
        }
        assert!(at(0.999 * lo).is_power_law());
        assert!(!at(1.001 * hi).is_power_law());
        let p = at(lo).curvature_p.unwrap();
        assert!((p - POWER_LAW_TEST_LEVEL).abs() < 1e-6, "{p}");
    }

    #[test]
    fn the_power_law_test_rarely_rejects_a_true_power_law() {
        // y = 2 n^-1.5 (lognormal spread 0.3), 4 replicas at 5 widths, 2000 simulated scans:
        // family-wise false alarms at most 5 % (+ 3 binomial SE)
        let mut rng = stream(31, 0, Purpose::Probe);
        let trials = 2000;
        let mut alarms = 0;
        for _ in 0..trials {
            let samples: Vec<(usize, Vec<f64>)> = [8usize, 16, 32, 64, 128]
                .iter()
                .map(|&n| {
                    let v = (0..4)
                        .map(|_| {
                            let xi: f64 = StandardNormal.sample(&mut rng);
                            2.0 * (n as f64).powf(-1.5) * (0.3 * xi - 0.045).exp()
                        })
                        .collect();
                    (n, v)
                })
                .collect();
            let f = fit_power_law(&samples, None, 0.95).unwrap();
            alarms += usize::from(!f.is_power_law());
        }
        let rate = alarms as f64 / trials as f64;
        assert!(
            rate < 0.05 + 3.0 * (0.05f64 * 0.95 / trials as f64).sqrt(),
            "{rate}"
        );
    }

    #[test]
    fn the_quadratic_term_of_an_exact_parabola_and_a_smooth_drift() {
        // g = 1 + 0.5 x − 0.3 (x − x̄)² on x = ln n: γ = −0.3 exactly
        let ns = [8usize, 16, 32, 64, 128];
        let x: Vec<f64> = ns.iter().map(|&n| (n as f64).ln()).collect();
        let xm = x.iter().sum::<f64>() / 5.0;
        let pts: Vec<WidthPoint> = ns
            .iter()
            .zip(&x)
            .map(|(&n, v)| pt(n, 1.0 + 0.5 * v - 0.3 * (v - xm).powi(2), 0.01))
            .collect();
        assert!((quadratic_term(&pts).value + 0.3).abs() < 1e-12);
        // the t = 300 variance of the loss: ln s² and jackknife SEs of the committed scan, local
        // slopes −2.66, −1.59, −1.31, −1.72, −0.92 — no single kink is significant, the drift is
        let g = [-6.627, -8.470, -9.569, -10.475, -11.666, -12.306];
        let se = [0.247, 0.200, 0.191, 0.155, 0.128, 0.113];
        let drift: Vec<WidthPoint> = (0..6)
            .map(|k| WidthPoint {
                n: 8 << k,
                replicas: 128,
                estimate: Estimate {
                    value: g[k],
                    var: se[k] * se[k],
                    dof: 127.0,
                },
            })
            .collect();
        let f = fit_points(&drift, 0.95).unwrap();
        assert!(!f.is_power_law(), "{:?}", f.curvature_p);
        assert!(quadratic_term(&drift).p_value(0.0) < 0.005);
    }

    #[test]
    fn the_sensitivity_is_the_fit_without_each_end() {
        let pts = along(&[-1.0, -2.0, -3.0], 1e-3);
        let f = fit_points(&pts, 0.95).unwrap();
        let g = |p: &[WidthPoint]| fit_points(p, 0.95).unwrap().beta;
        assert_eq!(f.beta_without_narrowest, Some(g(&pts[1..])));
        assert_eq!(f.beta_without_widest, Some(g(&pts[..3])));
        assert!(
            f.beta_without_narrowest.unwrap() < f.beta && f.beta < f.beta_without_widest.unwrap()
        );
    }

    #[test]
    fn variance_points_need_three_replicas() {
        let s = vec![
            (8, vec![1.0, 2.0]),
            (16, vec![1.0, 1.5, 1.2]),
            (32, vec![1.0, 1.1, 1.05]),
        ];
        let p = variance_points(&s);
        assert_eq!(p.iter().map(|w| w.n).collect::<Vec<_>>(), [16, 32]);
        assert!(fit_variance_power_law(&s[..2], 0.95).is_none());
        assert!(fit_variance_power_law(&s, 0.95).unwrap().beta < 0.0);
    }

    fn end(n: usize, mean: f64, se: f64, stationary: bool) -> WidthEnd {
        WidthEnd {
            n,
            mean,
            se,
            stationary,
        }
    }

    #[test]
    fn off_curve_widths_follow_the_two_se_rule_and_stationarity() {
        // SEs 0.3 and 0.4: combined 0.5, threshold 2·0.5 = 1
        let at = |gap: f64, stationary_widest: bool| {
            off_curve_widths(&[
                end(8, 10.0 + gap, 0.3, false),
                end(16, 10.0, 0.4, stationary_widest),
            ])
        };
        assert_eq!(
            at(1.0, false),
            Vec::<usize>::new(),
            "exactly 2 SE is not more"
        );
        assert_eq!(at(1.0 + 1e-9, false), [8]);
        assert_eq!(at(-5.0, false), Vec::<usize>::new(), "below the wider one");
        assert_eq!(at(0.5, true), [16], "the widest counts when stationary");
        assert_eq!(at(2.0, true), [8, 16]);
        // a narrow width at a minimiser counts whatever the gap; a one-replica width only then
        let w = off_curve_widths(&[
            end(8, 1.0, 0.1, true),
            end(16, 1.0, f64::NAN, false),
            end(32, 0.1, 0.01, false),
            end(64, 0.1, 0.01, false),
            end(128, 0.01, 0.001, false),
        ]);
        assert_eq!(w, [8, 64], "16 has one replica, 32 is within noise of 64");
        // the usual picture: narrow widths left, the wide ones still on the curve
        let w = off_curve_widths(&[
            end(8, 0.1, 0.01, false),
            end(16, 0.03, 0.003, false),
            end(32, 0.01, 0.001, false),
            end(64, 0.0099, 0.001, false),
            end(128, 0.0098, 0.001, false),
        ]);
        assert_eq!(w, [8, 16]);
        assert!(off_curve_widths(&[]).is_empty());
    }
}
