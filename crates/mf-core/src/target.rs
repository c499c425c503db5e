//! Targets: the function f the network learns, on the sphere S^{d-1}(R) with ν uniform.
//!
//! The [`Target`] trait is the extension point for new targets: a dimension, a radius, values on a
//! batch of points and C_f = ½ ∫ f² dν (the unit of every relative loss). [`SpinTarget`] is the
//! continuous spherical 3-spin model of `spin-target`, the target of the paper.

use faer::{MatRef, Par};
use spin_target::{EnergyWorkspace, SpinModel};
use std::sync::Mutex;

/// A target function f on S^{d-1}(R).
pub trait Target: Send + Sync {
    /// Dimension d.
    fn dim(&self) -> usize;
    /// Radius R of the data sphere.
    fn radius(&self) -> f64;
    /// f at the rows of `x` (P × d) into `out` (length P). Called once per step in online mode:
    /// it should not allocate.
    fn values_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par);
    /// C_f = ½ ∫ f² dν (exact, or accurate enough to normalise losses).
    fn zero_network_loss(&self) -> f64;
    /// The 3-spin model behind this target, if it is one (exact mode and the coefficients of
    /// `state.json` need it).
    fn spin_model(&self) -> Option<&SpinModel> {
        None
    }
}

/// The spherical 3-spin model as a [`Target`], with its batched-energy work arrays.
#[derive(Debug)]
pub struct SpinTarget {
    model: SpinModel,
    ws: Mutex<EnergyWorkspace>,
}

impl SpinTarget {
    /// Wraps `model`.
    pub fn new(model: SpinModel) -> Self {
        let ws = Mutex::new(EnergyWorkspace::new(model.dim()));
        Self { model, ws }
    }
}

impl Target for SpinTarget {
    fn dim(&self) -> usize {
        self.model.dim()
    }
    fn radius(&self) -> f64 {
        self.model.radius()
    }
    fn values_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        let mut ws = self.ws.lock().unwrap_or_else(|e| e.into_inner());
        self.model.energies_into(x, out, &mut ws, par);
    }
    fn zero_network_loss(&self) -> f64 {
        self.model.zero_network_loss()
    }
    fn spin_model(&self) -> Option<&SpinModel> {
        Some(&self.model)
    }
}
