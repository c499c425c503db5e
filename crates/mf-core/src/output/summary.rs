//! `summary.json`: the full config and the headline numbers of a run, its end state and polish
//! (filled from a trainer in [`super::run`]).

use crate::config::TrainConfig;
use crate::dynamics::StepWork;
use crate::train::end_state::EndDiagnostics;
use crate::unit::UnitSpec;
use serde::{Deserialize, Serialize};

/// What the polish (a minimiser after the flow) did. It descends from the flow's final state,
/// so its loss is at most ℓ_n(t_end), and equals lim ℓ_n(t) when the flow converges to the
/// minimiser it reaches; never a point of the flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolishReport {
    /// The minimiser's name.
    pub polish_method: String,
    /// Exact loss after the polish.
    pub polished_test_loss: f64,
    /// polished_test_loss / C_f.
    pub polished_relative_test_loss: f64,
    /// Iterations taken.
    pub polish_iterations: u64,
    /// ‖v‖ after the polish.
    pub polish_grad_norm: f64,
    /// max|c_i| after the polish.
    pub polish_max_abs_c: f64,
    /// Why it stopped: `converged` (‖v‖ ≤ --polish-tol), `stalled` (the loss stopped
    /// decreasing; `no-decrease` when it could not decrease it at all: the flow's state is
    /// kept) or `budget`.
    pub polish_stop: String,
}

/// `summary.json`: the full config and the headline numbers of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The config, flattened.
    #[serde(flatten)]
    pub config: TrainConfig,
    /// The unit's identity (name and parameters).
    pub unit: UnitSpec,
    /// RBF width in use (rbf only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_used: Option<f64>,
    /// C_f = ½ ∫ f² dν.
    pub zero_network_loss: f64,
    /// Test loss at step 0.
    pub initial_test_loss: f64,
    /// Final test loss.
    pub test_loss: f64,
    /// Final test loss / C_f.
    pub relative_test_loss: f64,
    /// Steps taken.
    pub steps: u64,
    /// Final mean-field time.
    pub time: f64,
    /// Wall-clock seconds of the run (all sittings).
    pub wall_seconds: f64,
    /// End-state diagnostics (after a completed run).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub end: Option<EndDiagnostics>,
    /// The polish, when asked for (`--polish`).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub polish: Option<PolishReport>,
    /// The stiff rules' work in this sitting (since the run started or was last resumed):
    /// Hessians, factorisations, solves and velocities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<StepWork>,
    /// Births and deaths of the birth–death term over the whole run (runs with
    /// `--birth-death`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_death: Option<crate::dynamics::birth_death::JumpCounts>,
}
