//! The files of a run, as data: `trace.csv` rows, `state.json`, `summary.json` and the
//! checkpoint; atomic writes and JSON reading. (The trainer fills these structs; this module
//! knows nothing of training.)

use crate::config::TrainConfig;
use crate::dynamics::StepperState;
use crate::error::TrainError;
use crate::unit::UnitSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (`tempfile`),
/// synced, then renamed over `path`, so a reader never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |e: std::io::Error| TrainError::Io(format!("cannot write {}: {e}", path.display()));
    let mut f = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.as_file().sync_all().map_err(io)?;
    f.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| TrainError::Io(format!("cannot serialise {}: {e}", path.display())))?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// Reads and parses a JSON file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, TrainError> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| TrainError::Io(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&s)
        .map_err(|e| TrainError::Io(format!("cannot parse {}: {e}", path.display())))
}

/// Serialises `rows` as CSV (a header from the field names, absent values as empty fields).
pub fn csv_text<T: Serialize>(rows: &[T]) -> Result<String, TrainError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| TrainError::Io(format!("cannot write CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| TrainError::Io(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| TrainError::Io(e.to_string()))
}

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

/// The target as written in `state.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetJson {
    /// Radius R of the data sphere.
    pub radius: f64,
    /// Scale κ of the cubic form (3-spin target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// a_pqr, flat, index (p·d + q)·d + r (3-spin target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<Vec<f64>>,
}

/// `state.json`: everything needed to evaluate f and f_n with no code of ours:
/// f(x) = scale Σ_pqr a_pqr x_p x_q x_r and f_n(x) = (1/n) Σ_i c_i φ(x, z_i) with
/// φ = exp(−|x − z_i|²/(2 sigma²)) (rbf) or max(0, z_i·x + b_i) (relu). The unit's parameters
/// (`sigma`) and the parts of z_i other than `z` (`b`) are written by the unit
/// ([`crate::Unit::spec`], [`crate::Unit::state_parts`]). Written, not read, by this code
/// (read it as JSON).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateJson {
    /// The unit's name (`rbf`, `relu`, …).
    pub units: String,
    /// Dimension d.
    pub dim: usize,
    /// The unit's parameters (`sigma` for rbf).
    #[serde(flatten)]
    pub params: BTreeMap<String, f64>,
    /// The target.
    pub target: TargetJson,
    /// Charges c_i.
    pub c: Vec<f64>,
    /// Centres (rbf) or weights a_i (relu): the part `z` of every z_i.
    pub z: Vec<Vec<f64>>,
    /// The other parts of z_i by name (`b` for relu: one number per unit).
    #[serde(flatten)]
    pub parts: BTreeMap<String, serde_json::Value>,
    /// Test loss at this state.
    pub test_loss: f64,
    /// Steps taken.
    pub step: u64,
    /// Mean-field time.
    pub time: f64,
    /// The polished particles (`--polish`), same layout as `c`, `z` above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polished: Option<ParticlesJson>,
}

/// Splits the rows z_i into the named parts of `state.json` (see [`crate::Unit::state_parts`]):
/// the part `z` as rows, every other part as a JSON array (numbers for parts of length 1).
pub fn state_parts(
    rows: &[Vec<f64>],
    parts: &[(&str, usize)],
) -> (Vec<Vec<f64>>, BTreeMap<String, serde_json::Value>) {
    let mut z = Vec::new();
    let mut other = BTreeMap::new();
    let mut at = 0;
    for &(name, len) in parts {
        let piece: Vec<Vec<f64>> = rows.iter().map(|r| r[at..at + len].to_vec()).collect();
        if name == "z" {
            z = piece;
        } else if len == 1 {
            other.insert(
                name.to_string(),
                serde_json::json!(piece.iter().map(|p| p[0]).collect::<Vec<_>>()),
            );
        } else {
            other.insert(name.to_string(), serde_json::json!(piece));
        }
        at += len;
    }
    (z, other)
}

/// What the end of a run looks like (see [`crate::train::end_state`] for the rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndState {
    /// The gradient is below the stationarity tolerance (also in the Newton norm) and the
    /// Hessian is positive semi-definite within round-off (exact mode).
    Stationary,
    /// The loss is still falling while max|c_i| grows like a power of t: the loss approaches
    /// an infimum at infinity (no minimiser at this width).
    Diverging,
    /// Neither: the flow is still on its way.
    Running,
}

impl EndState {
    /// Name as written in `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stationary => "stationary",
            Self::Diverging => "diverging",
            Self::Running => "running",
        }
    }
}

/// The end-state diagnostics of a run (in `summary.json` and in scan cells).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndDiagnostics {
    /// ‖v‖ at the end (see [`TraceRow::grad_norm`]).
    pub grad_norm: f64,
    /// max_i |c_i| at the end.
    pub max_abs_c: f64,
    /// min_{i≠j} |z_i − z_j| at the end.
    pub min_pair_distance: f64,
    /// Smallest eigenvalue of H = n∇²ℓ at the end (exact mode).
    pub hessian_min_eigenvalue: Option<f64>,
    /// Largest |eigenvalue| of H (the scale of the round-off allowance).
    #[serde(default)]
    pub hessian_max_abs_eigenvalue: Option<f64>,
    /// The loss decrease a Newton step predicts, ½ gᵀ(∇²ℓ)⁻¹g (exact mode; see the end-state
    /// rule).
    #[serde(default)]
    pub newton_decrease: Option<f64>,
    /// The end state.
    pub end_state: EndState,
    /// Why that end state, in words (the numbers the rule saw).
    #[serde(default)]
    pub end_state_reason: String,
}

/// The particles of a state in the layout of `state.json` (`c`, `z` and the unit's other
/// parts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticlesJson {
    /// Charges c_i.
    pub c: Vec<f64>,
    /// The part `z` of every z_i.
    pub z: Vec<Vec<f64>>,
    /// The other parts by name (`b` for relu).
    #[serde(flatten)]
    pub parts: BTreeMap<String, serde_json::Value>,
}

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
}

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
}

impl Checkpoint {
    /// The stepper state stored in `adaptive`.
    pub fn stepper_state(&self) -> Option<StepperState> {
        self.adaptive.map(|(h, accepted, rejected)| StepperState {
            h,
            accepted,
            rejected,
        })
    }
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
