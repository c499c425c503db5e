//! `checkpoint.json`: everything needed to continue a run bit for bit.

use super::trace::TraceRow;
use crate::config::TrainConfig;
use crate::dynamics::StepperState;
use crate::unit::UnitSpec;
use serde::{Deserialize, Serialize};

/// Everything needed to continue a run bit for bit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The run's config.
    pub config: TrainConfig,
    /// The unit's identity; resuming rebuilds exactly this unit (absent in checkpoints of
    /// older versions: then the config's built-in unit).
    #[serde(default)]
    pub unit: Option<UnitSpec>,
    /// Steps taken.
    pub step: u64,
    /// Charges c_i.
    pub c: Vec<f64>,
    /// Unit parameters z_i, one array per unit.
    pub z: Vec<Vec<f64>>,
    /// State of the data stream.
    pub data_rng: [u8; 32],
    /// State of the minibatch stream.
    pub batch_rng: [u8; 32],
    /// Loss on the last batch.
    pub last_batch_loss: Option<f64>,
    /// Trace so far.
    pub trace: Vec<TraceRow>,
    /// Test loss at step 0.
    pub initial_test_loss: f64,
    /// Mean-field time reached.
    #[serde(default)]
    pub time: f64,
    /// Adaptive stepper state: (next step size, accepted, rejected).
    #[serde(default)]
    pub adaptive: Option<(f64, u64, u64)>,
    /// What else the step rule carries between steps ([`StepperState::memory`]: the W-rule's
    /// error model), absent for the other rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stepper_memory: Option<[f64; 2]>,
    /// The birth–death stream and the births and deaths so far (runs with `--birth-death`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_death: Option<BirthDeathState>,
}

impl Checkpoint {
    /// The stepper state stored in `adaptive`.
    pub fn stepper_state(&self) -> Option<StepperState> {
        self.adaptive.map(|(h, accepted, rejected)| StepperState {
            h,
            accepted,
            rejected,
            memory: self.stepper_memory,
        })
    }
}

/// The birth–death part of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BirthDeathState {
    /// Its stream.
    pub rng: [u8; 32],
    /// Births and deaths so far.
    pub counts: crate::dynamics::birth_death::JumpCounts,
    /// Time since the last jumps (runs with `every`).
    #[serde(default)]
    pub since: f64,
}

/// A checkpoint with the wall time spent so far, as written to `checkpoint.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// The trainer's checkpoint.
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    /// Wall-clock seconds spent so far.
    pub wall_seconds: f64,
}
