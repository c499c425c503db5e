//! The continuous spherical 3-spin model as a target (`spin3`, the default): f(x) =
//! κ Σ_pqr a_pqr x_p x_q x_r with a_pqr ~ N(0, 1) from the target stream of the run's seed,
//! x on S^{d−1}(√d), κ = 1/d (crate `spin-target`).

use super::{Target, TargetEntry};
use crate::config::TrainConfig;
use crate::error::TrainError;
use faer::{MatRef, Par};
use spin_target::{EnergyWorkspace, SpinModel};
use std::sync::{Arc, Mutex};

/// The target in the registry.
pub const ENTRY: TargetEntry = TargetEntry {
    name: "spin3",
    help: "the continuous spherical 3-spin model (1/d) Σ a_pqr x_p x_q x_r, a_pqr ~ N(0, 1) from --seed (the paper's target; exact mode has it in closed form)",
    build: spin_target_for,
};

/// The 3-spin target of a config: coefficients from the target stream of its seed.
fn spin_target_for(config: &TrainConfig) -> Result<Arc<dyn Target>, TrainError> {
    let model = SpinModel::new(config.dim, config.seed)
        .map_err(|e| TrainError::config("dim", e.to_string()))?;
    Ok(Arc::new(SpinTarget::new(model)))
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
