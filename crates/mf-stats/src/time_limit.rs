//! The t → ∞ limit of one trajectory's loss, ℓ_n(∞) = lim_{t→∞} ℓ_n(t), from its last decades.
//!
//! Late in the flow the loss relaxes towards its limit like a power of time,
//!
//! ```text
//! ℓ(t) ≈ L + A t^{−γ},   L ≥ 0, A ≥ 0, γ > 0,
//! ```
//!
//! fitted to the trace points (t_i, ℓ_i) of the window t ≥ t_end/10^D by **profile least squares
//! in relative error**: for each γ on a grid, (L, A) minimise Σ_i ((L + A t_i^{−γ})/ℓ_i − 1)²
//! (a 2 × 2 linear problem; L is set to 0 when its optimum is negative), then γ is refined by
//! golden-section search around the best grid point. A trajectory is deterministic, so the
//! uncertainty of L is not sampling noise but the question whether the model holds: the
//! estimate is made on every window D ∈ {`decades`, `decades` − ½, …, ≥ 1} and the **window
//! band** [min L, max L] over them is its interval. The limit is **extrapolated** only when
//! every window fits (relative RMS residual ≤ [`MAX_RMS`]) and the band is narrow (its width
//! ≤ [`MAX_BAND`] × L, or L = 0 on every window); otherwise the trajectory is still doing
//! something the model does not describe (a late drop, a new plateau) and no limit is claimed.
//! Tested on synthetic curves with a known limit on both sides of each rule.

use serde::{Deserialize, Serialize};

/// Largest relative RMS residual of a window's fit for the limit to be extrapolated.
pub const MAX_RMS: f64 = 0.02;
/// Largest width of the window band, relative to its centre, for the limit to be extrapolated.
pub const MAX_BAND: f64 = 0.25;
/// Fewest trace points in a window.
pub const MIN_POINTS: usize = 6;

/// Range of γ searched.
const GAMMA: (f64, f64) = (0.02, 4.0);

/// One window's fit of ℓ(t) ≈ L + A t^{−γ}.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowFit {
    /// Decades D of the window t ≥ t_end/10^D.
    pub decades: f64,
    /// Number of trace points in it.
    pub points: usize,
    /// L.
    pub limit: f64,
    /// A.
    pub amplitude: f64,
    /// γ.
    pub gamma: f64,
    /// Relative RMS residual √(mean ((fit − ℓ_i)/ℓ_i)²).
    pub rms: f64,
}

/// The limit of one trajectory with its window band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeLimit {
    /// L of the widest window (the estimate).
    pub limit: f64,
    /// Smallest and largest L over the windows (the interval).
    pub band: (f64, f64),
    /// Every window's fit, widest first.
    pub windows: Vec<WindowFit>,
    /// True when every window fits and the band is narrow (module docs).
    pub extrapolated: bool,
}

/// (L, A, Σ residual²) at fixed γ: min Σ ((L + A u_i)/ℓ_i − 1)², u_i = t_i^{−γ}, L, A ≥ 0.
fn solve_at(t: &[f64], l: &[f64], gamma: f64) -> (f64, f64, f64) {
    // in x = (L, A) with rows a_i = (1/ℓ_i, u_i/ℓ_i) and right-hand side 1
    let (mut s11, mut s12, mut s22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&ti, &li) in t.iter().zip(l) {
        let (a1, a2) = (1.0 / li, ti.powf(-gamma) / li);
        s11 += a1 * a1;
        s12 += a1 * a2;
        s22 += a2 * a2;
        b1 += a1;
        b2 += a2;
    }
    let residual = |lim: f64, amp: f64| -> f64 {
        t.iter()
            .zip(l)
            .map(|(&ti, &li)| ((lim + amp * ti.powf(-gamma)) / li - 1.0).powi(2))
            .sum()
    };
    let det = s11 * s22 - s12 * s12;
    let (mut lim, mut amp) = if det > 1e-14 * s11 * s22 {
        ((b1 * s22 - b2 * s12) / det, (b2 * s11 - b1 * s12) / det)
    } else {
        (-1.0, 0.0)
    };
    if lim < 0.0 || amp < 0.0 {
        // the best of the two edges L = 0 and A = 0
        let a_only = (b2 / s22).max(0.0);
        let l_only = (b1 / s11).max(0.0);
        if residual(0.0, a_only) <= residual(l_only, 0.0) {
            (lim, amp) = (0.0, a_only);
        } else {
            (lim, amp) = (l_only, 0.0);
        }
    }
    (lim, amp, residual(lim, amp))
}

/// The fit of one window (points with t > 0, ℓ > 0 only); `None` with fewer than
/// [`MIN_POINTS`] points.
pub fn fit_window(t: &[f64], l: &[f64], decades: f64) -> Option<WindowFit> {
    let t_end = t
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let from = t_end / 10f64.powf(decades);
    let (tw, lw): (Vec<f64>, Vec<f64>) = t
        .iter()
        .zip(l)
        .filter(|&(&ti, &li)| ti >= from && ti > 0.0 && li > 0.0 && li.is_finite())
        .map(|(&a, &b)| (a, b))
        .unzip();
    if tw.len() < MIN_POINTS {
        return None;
    }
    // grid in ln γ, then golden section around the best point
    let grid: Vec<f64> = (0..=60)
        .map(|k| GAMMA.0 * (GAMMA.1 / GAMMA.0).powf(k as f64 / 60.0))
        .collect();
    let cost = |g: f64| solve_at(&tw, &lw, g).2;
    let best = (0..grid.len())
        .min_by(|&a, &b| cost(grid[a]).total_cmp(&cost(grid[b])))
        .expect("grid");
    let (mut a, mut b) = (
        grid[best.saturating_sub(1)].ln(),
        grid[(best + 1).min(grid.len() - 1)].ln(),
    );
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..60 {
        let (x1, x2) = (b - phi * (b - a), a + phi * (b - a));
        if cost(x1.exp()) <= cost(x2.exp()) {
            b = x2;
        } else {
            a = x1;
        }
    }
    let gamma = (0.5 * (a + b)).exp();
    let (limit, amplitude, ss) = solve_at(&tw, &lw, gamma);
    Some(WindowFit {
        decades,
        points: tw.len(),
        limit,
        amplitude,
        gamma,
        rms: (ss / tw.len() as f64).sqrt(),
    })
}

/// lim ℓ(t) of the trajectory (t_i, ℓ_i) from its last `decades` decades (module docs);
/// `None` when not even the narrowest window (one decade) has [`MIN_POINTS`] points.
pub fn time_limit(t: &[f64], l: &[f64], decades: f64) -> Option<TimeLimit> {
    let mut windows = Vec::new();
    let mut d = decades;
    while d >= 1.0 - 1e-12 {
        if let Some(w) = fit_window(t, l, d) {
            windows.push(w);
        }
        d -= 0.5;
    }
    let first = windows.first()?;
    let l_end = t
        .iter()
        .zip(l)
        .filter(|(ti, _)| ti.is_finite())
        .max_by(|a, b| a.0.total_cmp(b.0))
        .map_or(0.0, |(_, &le)| le);
    let (band, extrapolated) = decide(&windows, l_end);
    Some(TimeLimit {
        limit: first.limit,
        band,
        extrapolated,
        windows,
    })
}

/// The window band and whether the limit is extrapolated: at least two windows, every one
/// with a relative RMS residual ≤ [`MAX_RMS`] and a limit at or below the last loss (the flow
/// descends, so a limit above ℓ(t_end) is a misfit), and a band of width ≤ [`MAX_BAND`] × its
/// centre — or, for a loss still falling like a pure power, every L ≤ [`ZERO_LIMIT`] × ℓ(t_end)
/// (the limit is then 0 as far as the data can tell).
pub fn decide(windows: &[WindowFit], l_end: f64) -> ((f64, f64), bool) {
    let lo = windows
        .iter()
        .map(|w| w.limit)
        .fold(f64::INFINITY, f64::min);
    let hi = windows.iter().map(|w| w.limit).fold(0.0, f64::max);
    let fits = windows.iter().all(|w| w.rms <= MAX_RMS) && hi <= l_end;
    let centre = 0.5 * (lo + hi);
    let narrow = (hi - lo) <= MAX_BAND * centre || hi <= ZERO_LIMIT * l_end;
    ((lo, hi), fits && narrow && windows.len() >= 2)
}

/// A limit below this fraction of the last loss counts as zero.
pub const ZERO_LIMIT: f64 = 1e-6;

#[cfg(test)]
mod tests {
    use super::*;

    /// 8 points per decade from 10² to `t_end`.
    fn times(t_end: f64) -> Vec<f64> {
        let k = (8.0 * (t_end / 100.0).log10()).round() as usize;
        (0..=k)
            .map(|i| 100.0 * 10f64.powf(i as f64 / 8.0))
            .collect()
    }

    #[test]
    fn a_relaxing_power_law_gives_back_its_limit() {
        for (lim, amp, gamma) in [(1e-4, 3.0, 0.7), (2e-7, 0.05, 0.35), (5e-3, 10.0, 1.5)] {
            let t = times(1e8);
            let l: Vec<f64> = t.iter().map(|t| lim + amp * t.powf(-gamma)).collect();
            let r = time_limit(&t, &l, 3.0).unwrap();
            assert!(r.extrapolated, "{r:?}");
            assert!((r.limit - lim).abs() < 1e-6 * lim, "{} vs {lim}", r.limit);
            assert!(r.band.0 <= lim * (1.0 + 1e-6) && r.band.1 >= lim * (1.0 - 1e-6));
            assert!((r.windows[0].gamma - gamma).abs() < 1e-4);
        }
    }

    #[test]
    fn small_noise_keeps_the_limit_inside_a_narrow_band() {
        let (lim, amp, gamma) = (1e-4, 1.0, 0.6);
        let t = times(1e8);
        // deterministic ±0.5 % wiggle
        let l: Vec<f64> = t
            .iter()
            .enumerate()
            .map(|(i, t)| (lim + amp * t.powf(-gamma)) * (1.0 + 0.005 * (i as f64 * 2.1).sin()))
            .collect();
        let r = time_limit(&t, &l, 3.0).unwrap();
        assert!(r.extrapolated, "{r:?}");
        assert!(r.band.0 <= lim && lim <= r.band.1, "{:?} vs {lim}", r.band);
        assert!((r.limit / lim - 1.0).abs() < 0.1);
    }

    #[test]
    fn a_loss_still_falling_as_a_pure_power_has_limit_zero() {
        let t = times(1e8);
        let l: Vec<f64> = t.iter().map(|t| 2.0 * t.powf(-0.4)).collect();
        let r = time_limit(&t, &l, 3.0).unwrap();
        assert!(r.extrapolated);
        assert!(r.limit < 1e-12 * l[l.len() - 1], "{}", r.limit);
    }

    #[test]
    fn a_late_drop_is_not_extrapolated() {
        // a plateau at 10⁻³ that starts to fall again over the last decade
        let t = times(1e8);
        let l: Vec<f64> = t
            .iter()
            .map(|&t| 1e-3 + 0.1 * t.powf(-0.8) - 9e-4 * (1.0 - (-t / 3e7).exp()))
            .collect();
        let r = time_limit(&t, &l, 3.0).unwrap();
        assert!(!r.extrapolated, "{r:?}");
    }

    fn window(limit: f64, rms: f64) -> WindowFit {
        WindowFit {
            decades: 2.0,
            points: 10,
            limit,
            amplitude: 1.0,
            gamma: 0.5,
            rms,
        }
    }

    #[test]
    fn the_decision_rules_on_both_sides_of_each_threshold() {
        let ok = MAX_RMS * 0.99;
        let bad = MAX_RMS * 1.01;
        // band width relative to its centre: 0.24 passes, 0.26 does not
        let pair = |rel: f64| [window(1.0 - rel / 2.0, ok), window(1.0 + rel / 2.0, ok)];
        assert!(decide(&pair(0.24), 2.0).1);
        assert!(!decide(&pair(0.26), 2.0).1);
        // residual
        assert!(!decide(&[window(1.0, ok), window(1.0, bad)], 1.0).1);
        assert!(decide(&[window(1.0, ok), window(1.0, ok)], 1.0).1);
        // one window is not enough
        assert!(!decide(&[window(1.0, ok)], 1.0).1);
        // zero within the data: every L ≤ 1e-6 ℓ_end, however wide the band relative to itself
        assert!(decide(&[window(0.0, ok), window(0.99e-6, ok)], 1.0).1);
        assert!(!decide(&[window(0.0, ok), window(1.01e-6, ok)], 1.0).1);
        assert_eq!(decide(&pair(0.2), 1.2).0, (0.9, 1.1));
        // a limit above the last loss is a misfit
        assert!(decide(&pair(0.2), 1.1).1);
        assert!(!decide(&pair(0.2), 1.0999).1);
    }

    #[test]
    fn too_few_points_give_none() {
        let t = vec![1.0, 10.0, 100.0];
        let l = vec![1.0, 0.5, 0.25];
        assert!(time_limit(&t, &l, 2.0).is_none());
    }
}
