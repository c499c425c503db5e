//! When to refactorise, and with which step: the refresh plan of the W-rule.
//!
//! A W-method is third order whatever matrix stands in for the Jacobian, but its embedded
//! (second-order) error estimate is not blind to a lagged one: measured on the exact 3-spin
//! flow, the estimate of the j-th step on one factorisation grows about linearly in j, as
//! (H̃ − H(θ)) grows with the time jh since the factorisation. The plan models it as
//!
//! ```text
//! err(h, j) ≈ α h³ + β h⁴ j
//! ```
//!
//! (α: the error of a step on a fresh Hessian, an order-2 estimate ∝ h³; β: its growth per step
//! of lag, the lag jh entering once more), with α measured on each factorisation's first step
//! and β from the later ones. A factorisation kept for m steps at step h then costs
//! (m + ρ) attempts' worth for the time m h, ρ = the cost of a Hessian and a factorisation in
//! attempts (four solves and four velocities; [`cost_ratio`]); the plan takes the m and h that
//! minimise (m + ρ)/(m h) subject to err(h, m − 1) ≤ [`RefreshPolicy::plan_error`]. Large N
//! (ρ ≈ 10–20 at N = 3 328–6 656) buys long reuse with a smaller step; small N (ρ ≈ 1)
//! refactorises almost every step at the largest step, as RODAS3 does.
//!
//! The model only steers efficiency: every step is still accepted or rejected by its own
//! error estimate and descent check.

/// The refresh policy (the rule's module docs list when a refresh happens).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshPolicy {
    /// Refresh when the plan asks for a step at least `grow` times the factorised one (the
    /// flow has slowed down: a larger step pays for the factorisation).
    pub grow: f64,
    /// Refresh after this many accepted steps on one factorisation (also the longest plan).
    pub max_age: u64,
    /// The error (1 = the tolerance) the plan lets the last step of a factorisation reach; a
    /// refresh comes before the model predicts more.
    pub plan_error: f64,
}

/// The shipped policy.
pub const REFRESH: RefreshPolicy = RefreshPolicy {
    grow: 1.5,
    max_age: 256,
    plan_error: 0.7,
};

/// The longest plan considered (steps on one factorisation).
pub const MAX_PLAN: u64 = 256;

/// The measured cost of the pieces of a step on the reference machine (one core of the
/// project machine, `benches/README.md`): seconds per flop of a Cholesky factorisation
/// (N³/3 flops), per entry of the dense Hessian, per entry read by one solve, per particle pair
/// of one velocity. They set [`cost_ratio`] only, i.e. how long a factorisation is kept, not
/// any result's accuracy; they are constants, so a run's steps do not depend on the machine.
const SECONDS_PER_FACTOR_FLOP: f64 = 2.2e-11;
const SECONDS_PER_HESSIAN_ENTRY: f64 = 4e-9;
const SECONDS_PER_SOLVE_ENTRY: f64 = 0.57e-9;
const SECONDS_PER_PAIR: f64 = 35e-9;

/// ρ = (Hessian + factorisation) / (four solves + four velocities) for N parameters and n
/// units: ≈ 0.9 at (n, d) = (32, 5), 1.6 at (128, 5), 6.6 at (64, 25), 11.5 at (128, 25),
/// 21 at (256, 25).
pub fn cost_ratio(big: usize, n: usize) -> f64 {
    let (big, n) = (big as f64, n as f64);
    let refresh =
        big.powi(3) / 3.0 * SECONDS_PER_FACTOR_FLOP + big * big * SECONDS_PER_HESSIAN_ENTRY;
    let attempt = 4.0 * (big * big * SECONDS_PER_SOLVE_ENTRY + n * n * SECONDS_PER_PAIR);
    refresh / attempt
}

/// The error model err(h, j) ≈ α h³ + β h⁴ j (module docs), with β = β₁ ‖v‖: the Hessian
/// drifts as fast as the state moves, so the lag's growth per step scales with the speed
/// ‖v(θ)‖ (RMS over the parameters) and a slowing flow keeps its factorisations longer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorModel {
    /// α (NaN until a step was accepted).
    pub alpha: f64,
    /// β₁ = β / ‖v‖ (0 until a lagged step was measured).
    pub beta: f64,
    /// The error of the current factorisation's first step (NaN: not taken yet).
    first: f64,
    /// Whether the current factorisation measured β.
    measured: bool,
}

/// The factor on β₁ after a factorisation that did not measure it: an estimate too large to
/// let any lagged step be tried is forgotten geometrically, so that it gets measured again.
pub const FORGET: f64 = 0.5;

impl Default for ErrorModel {
    fn default() -> Self {
        Self::restored(f64::NAN, 0.0)
    }
}

impl ErrorModel {
    /// The model with α, β₁ as a checkpoint stored them.
    pub fn restored(alpha: f64, beta: f64) -> Self {
        Self {
            alpha,
            beta,
            first: f64::NAN,
            measured: true,
        }
    }

    /// (α, β₁) as the next factorisation will see them (β₁ already forgotten when the current
    /// factorisation did not measure it): what a checkpoint stores, so that a run resumed at
    /// a span's start (a refresh) continues bit for bit.
    pub fn stored(&self) -> [f64; 2] {
        let beta = if self.measured {
            self.beta
        } else {
            self.beta * FORGET
        };
        [self.alpha, beta]
    }

    /// A new factorisation: its first step is yet to come (β₁ is forgotten by [`FORGET`]
    /// when the last one did not measure it).
    pub fn refreshed(&mut self) {
        if !self.measured {
            self.beta *= FORGET;
        }
        self.first = f64::NAN;
        self.measured = false;
    }

    /// Learns from the error `err` of a step h taken j steps after its factorisation: α from a
    /// first step, β from the growth since it, and α again when the error falls (the flow
    /// slowing down).
    pub fn record(&mut self, h: f64, j: u64, err: f64, speed: f64) {
        if !(err.is_finite() && err >= 0.0 && h > 0.0) {
            return;
        }
        if j == 0 {
            self.alpha = err / h.powi(3);
            self.first = err;
        } else if self.first.is_finite() && err >= self.first {
            // the growth since the factorisation is the lag's
            if speed > 0.0 && speed.is_finite() {
                self.beta = (err - self.first) / (j as f64 * h.powi(4) * speed);
                self.measured = true;
            }
        } else if self.first.is_finite() {
            // the error fell, so the flow's own error did: α from it, as if it had no lag
            self.alpha = err / h.powi(3);
            self.measured = true;
        }
    }

    /// The predicted error of a step h taken j steps after its factorisation at speed ‖v‖
    /// (NaN when α is not known).
    pub fn predict(&self, h: f64, j: u64, speed: f64) -> f64 {
        self.alpha * h.powi(3) + self.beta * speed * h.powi(4) * j as f64
    }

    /// The step and the number of steps a new factorisation is planned for: the (h, m) that
    /// minimise (m + ρ)/(m h) with h ≤ `cap` and err(h, m − 1) ≤ `policy.plan_error`, m ≤
    /// `policy.max_age`. `None` while α is unknown.
    pub fn plan(
        &self,
        rho: f64,
        cap: f64,
        speed: f64,
        policy: &RefreshPolicy,
    ) -> Option<(f64, u64)> {
        if !self.alpha.is_finite() {
            return None;
        }
        let mut best = (f64::INFINITY, cap, 1);
        for m in 1..=policy.max_age.clamp(1, MAX_PLAN) {
            let lag = self.beta * speed * (m - 1) as f64;
            let h = largest_step(self.alpha, lag, policy.plan_error).min(cap);
            let cost = (m as f64 + rho) / (m as f64 * h);
            if cost < best.0 {
                best = (cost, h, m);
            }
        }
        Some((best.1, best.2))
    }
}

/// The largest h > 0 with a h³ + b h⁴ ≤ e (a, b ≥ 0; ∞ when both vanish): Newton from above on
/// the convex increasing g(h) = a h³ + b h⁴ − e, which decreases monotonically to the root.
pub fn largest_step(a: f64, b: f64, e: f64) -> f64 {
    let from_a = if a > 0.0 {
        (e / a).cbrt()
    } else {
        f64::INFINITY
    };
    let from_b = if b > 0.0 {
        (e / b).powf(0.25)
    } else {
        f64::INFINITY
    };
    let mut h = from_a.min(from_b);
    if !h.is_finite() {
        return h;
    }
    for _ in 0..50 {
        let g = a * h.powi(3) + b * h.powi(4) - e;
        let dg = 3.0 * a * h * h + 4.0 * b * h.powi(3);
        let next = h - g / dg;
        if next.is_nan() || next >= h {
            break;
        }
        h = next;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_step_solves_its_quartic() {
        for (a, b, e) in [
            (1.0, 0.0, 0.7),
            (0.0, 2.0, 0.7),
            (3.0, 5.0, 0.7),
            (1e-6, 2e-7, 0.7),
        ] {
            let h = largest_step(a, b, e);
            let g = a * h.powi(3) + b * h.powi(4);
            assert!((g - e).abs() < 1e-12 * e, "{a} {b}: {g}");
        }
        assert_eq!(largest_step(0.0, 0.0, 0.7), f64::INFINITY);
    }

    #[test]
    fn the_model_learns_alpha_from_a_fresh_step_and_beta_from_lagged_ones() {
        let (alpha, beta, h) = (2e-3, 5e-4, 3.0);
        let mut m = ErrorModel::default();
        m.refreshed();
        let speed = 2.0;
        for j in 0..4 {
            m.record(
                h,
                j,
                alpha * h.powi(3) + beta * speed * h.powi(4) * j as f64,
                speed,
            );
        }
        assert!(
            (m.alpha - alpha).abs() < 1e-15 && (m.beta - beta).abs() < 1e-15,
            "{m:?}"
        );
        let want = alpha * 27.0 + beta * 81.0 * 5.0;
        assert!((m.predict(h, 5, 1.0) - want).abs() < 1e-12);
        // a falling error is the flow's own: α follows it
        m.record(h, 4, 0.5 * alpha * h.powi(3), speed);
        assert!((m.alpha - 0.5 * alpha).abs() < 1e-15);
        // an estimate of β₁ that no factorisation measures is forgotten
        m.refreshed();
        m.refreshed();
        assert_eq!(m.beta, beta * FORGET);
    }

    #[test]
    fn a_dear_factorisation_is_kept_longer_with_a_smaller_step() {
        let model = ErrorModel::restored(1e-3, 1e-4);
        let (h_cheap, m_cheap) = model.plan(1.0, f64::INFINITY, 1.0, &REFRESH).unwrap();
        let (h_dear, m_dear) = model.plan(10.0, f64::INFINITY, 1.0, &REFRESH).unwrap();
        assert!((2..=4).contains(&m_cheap), "{m_cheap}");
        assert!((25..=40).contains(&m_dear), "{m_dear}");
        assert!(h_dear < h_cheap);
        // the plan is the optimum: no (m, h) on a fine grid with err(h, m − 1) ≤ 0.7 costs less
        for (rho, (h, m)) in [(1.0, (h_cheap, m_cheap)), (10.0, (h_dear, m_dear))] {
            let planned = (m as f64 + rho) / (m as f64 * h);
            assert!(model.predict(h, m - 1, 1.0) <= 0.7 * (1.0 + 1e-12));
            for m2 in 1..=256u64 {
                for k in 1..=400 {
                    let h2 = 0.05 * k as f64;
                    if model.predict(h2, m2 - 1, 1.0) <= 0.7 {
                        let cost = (m2 as f64 + rho) / (m2 as f64 * h2);
                        assert!(
                            cost >= planned * (1.0 - 1e-9),
                            "ρ {rho}: ({m2}, {h2}) beats ({m}, {h})"
                        );
                    }
                }
            }
        }
        // no lag: one factorisation for as long as the policy allows, at the capped step
        let flat = ErrorModel::restored(1e-3, 0.0);
        let (h, m) = flat.plan(10.0, 2.0, 1.0, &REFRESH).unwrap();
        assert_eq!((h, m), (2.0, REFRESH.max_age));
        // and nothing before α is known
        assert!(
            ErrorModel::default()
                .plan(1.0, 1.0, 1.0, &REFRESH)
                .is_none()
        );
    }

    #[test]
    fn the_cost_ratio_grows_with_the_factorisation() {
        let r = |n: usize, d: usize| cost_ratio(n * (d + 1), n);
        assert!(r(32, 5) < 1.5 && r(128, 25) > 8.0 && r(256, 25) > 1.5 * r(128, 25));
    }
}
