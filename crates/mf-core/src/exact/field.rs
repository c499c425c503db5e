//! The exact population field of an RBF network: [`ExactRbf`]'s closed forms behind the
//! [`Field`] trait.

use super::{ExactRbf, ExactWorkspace};
use crate::dynamics::Field;
use crate::network::{Network, Velocity};
use faer::{MatMut, Par};

/// ℓ and v = −n∇ℓ of the population loss, in closed form (no sampling: a deterministic
/// function of the state, as the adaptive and implicit steppers need).
pub struct ExactField<'a> {
    /// The closed forms.
    pub ex: &'a ExactRbf,
    /// Their work arrays.
    pub ws: &'a mut ExactWorkspace,
    /// Parallelism of the pair work and products.
    pub par: Par,
}

impl Field for ExactField<'_> {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        self.ex.velocity(net, self.ws, vel, self.par)
    }

    fn loss(&mut self, net: &Network) -> f64 {
        self.ex.loss(net, self.ws, self.par)
    }

    fn hessian(&mut self, net: &Network, out: MatMut<'_, f64>) -> Option<f64> {
        Some(self.ex.hessian(net, out, self.par))
    }

    fn has_hessian(&self) -> bool {
        true
    }

    fn hessian_vector(&mut self, net: &Network, x: &[f64], y: &mut [f64]) -> Option<f64> {
        Some(
            self.ex
                .hessian_vector_cached(net, x, y, &mut self.ws.hvp_cache, self.par),
        )
    }
}
