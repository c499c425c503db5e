//! The field: what the dynamics knows of a network state θ = (c_i, z_i)_i — the loss ℓ(θ) and
//! the mean-field velocity v(θ) = −n ∇_θ ℓ(θ), i.e.
//!
//! ```text
//! v_i(θ) = dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇_θ K(θ_i, θ_j).
//! ```
//!
//! Two implementations: [`crate::dynamics::SampledField`] (F and K estimated on a step's points:
//! gd, sgd, online) and [`crate::exact::ExactField`] (every expectation in closed form, RBF units
//! on the sphere). Steppers and minimisers only see this trait.

use crate::network::{Network, Velocity};
use faer::MatMut;

/// The loss and velocity of a network state (see the module docs).
pub trait Field {
    /// v(θ) = −n ∇ℓ(θ) into `vel` (same shape as `net`); returns ℓ(θ).
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64;

    /// ℓ(θ) alone.
    fn loss(&mut self, net: &Network) -> f64;

    /// The dense symmetric matrix H = n ∇²ℓ(θ) (the Jacobian of v is −H) in the flat order of
    /// [`crate::network`] into `out` (N × N, N = n(q + 1)), returning ℓ(θ); `None` when the
    /// field has no Hessian.
    fn hessian(&mut self, _net: &Network, _out: MatMut<'_, f64>) -> Option<f64> {
        None
    }

    /// Whether [`Field::hessian`] gives a Hessian, so that a caller allocates its N × N buffer
    /// only where it is used (N = n(q + 1): 22 GB at n = 2048, d = 25).
    fn has_hessian(&self) -> bool {
        false
    }

    /// y = H x for the H of [`Field::hessian`] (x, y of length N in the same flat order)
    /// without forming H, returning ℓ(θ); `None` when the field has no Hessian (minimisers then
    /// fall back to finite differences of the velocity).
    fn hessian_vector(&mut self, _net: &Network, _x: &[f64], _y: &mut [f64]) -> Option<f64> {
        None
    }
}
