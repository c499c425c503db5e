//! `trace.csv`: one row per evaluation of a run.

use super::io::csv_text;
use serde::{Deserialize, Serialize};

/// One row of `trace.csv`: the state after `step` steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    /// Number of steps taken.
    pub step: u64,
    /// Mean-field time t.
    pub time: f64,
    /// Test loss ½ mean (f − f_n)² on the test set (the exact population loss in exact mode).
    pub test_loss: f64,
    /// test_loss / C_f.
    pub relative_test_loss: f64,
    /// Loss on the whole training set (gd, sgd), if defined.
    pub train_loss: Option<f64>,
    /// Loss on the batch of the last step, before the move (none at step 0).
    pub batch_loss: Option<f64>,
    /// Adaptive stepping: the mean accepted step size since the previous row (elapsed time over
    /// accepted steps; the first rows are clipped to land on the evaluation grid).
    pub dt: Option<f64>,
    /// Rejected steps so far (adaptive stepping).
    pub rejected: Option<u64>,
    /// Monte-Carlo test loss (exact mode, for comparison).
    pub mc_test_loss: Option<f64>,
    /// ‖v‖, the Euclidean norm of the velocity v = −n∇ℓ (mean-field units) of the loss the run
    /// descends: the exact population loss (exact), the training loss (gd, sgd), the test-set
    /// estimate of the population loss (online).
    #[serde(default)]
    pub grad_norm: Option<f64>,
    /// max_i |c_i|.
    #[serde(default)]
    pub max_abs_c: Option<f64>,
    /// min over i ≠ j of |z_i − z_j|.
    #[serde(default)]
    pub min_pair_distance: Option<f64>,
}

/// CSV text of a trace: columns `step,time,test_loss,relative_test_loss,train_loss,batch_loss,
/// dt,rejected,mc_test_loss,grad_norm,max_abs_c,min_pair_distance`, one line per row; absent
/// values are empty fields.
pub fn trace_csv(rows: &[TraceRow]) -> String {
    csv_text(rows).expect("a trace serialises")
}
