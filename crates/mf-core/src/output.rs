//! Files written by a run: atomic writes, `trace.csv`, `state.json`, `summary.json`.

use crate::error::TrainError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename, so a
/// reader never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io = |e: std::io::Error| TrainError::Io(format!("cannot write {}: {e}", path.display()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
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
}

/// CSV text of a trace: a header and one line per row; absent values are empty fields. The
/// columns `dt,rejected,mc_test_loss` appear only when some row has them.
pub fn trace_csv(rows: &[TraceRow]) -> String {
    let has_dt = rows.iter().any(|r| r.dt.is_some());
    let has_mc = rows.iter().any(|r| r.mc_test_loss.is_some());
    let opt = |v: Option<f64>| v.map(|x| format!("{x:e}")).unwrap_or_default();
    let mut s = String::from("step,time,test_loss,relative_test_loss,train_loss,batch_loss");
    if has_dt {
        s.push_str(",dt,rejected");
    }
    if has_mc {
        s.push_str(",mc_test_loss");
    }
    s.push('\n');
    for r in rows {
        s.push_str(&format!(
            "{},{},{:e},{:e},{},{}",
            r.step,
            r.time,
            r.test_loss,
            r.relative_test_loss,
            opt(r.train_loss),
            opt(r.batch_loss)
        ));
        if has_dt {
            s.push_str(&format!(
                ",{},{}",
                opt(r.dt),
                r.rejected.map(|v| v.to_string()).unwrap_or_default()
            ));
        }
        if has_mc {
            s.push_str(&format!(",{}", opt(r.mc_test_loss)));
        }
        s.push('\n');
    }
    s
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
/// φ = exp(−|x − z_i|²/(2 sigma²)) (rbf) or max(0, z_i·x + b_i) (relu).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateJson {
    /// `rbf` or `relu`.
    pub units: String,
    /// Dimension d.
    pub dim: usize,
    /// RBF width σ (rbf only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// The target.
    pub target: TargetJson,
    /// Charges c_i.
    pub c: Vec<f64>,
    /// Centres (rbf) or weights a_i (relu), n arrays of d numbers.
    pub z: Vec<Vec<f64>>,
    /// Biases b_i (relu only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Vec<f64>>,
    /// Test loss at this state.
    pub test_loss: f64,
    /// Steps taken.
    pub step: u64,
    /// Mean-field time.
    pub time: f64,
}

/// `summary.json`: the full config and the headline numbers of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The config, flattened.
    #[serde(flatten)]
    pub config: crate::config::TrainConfig,
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
}

impl StateJson {
    /// The state of a trainer.
    pub fn of(t: &crate::train::Trainer) -> Self {
        let cfg = t.config();
        let net = t.network();
        let d = cfg.dim;
        let relu = t.unit().name() == "relu";
        let rows: Vec<Vec<f64>> = (0..net.width()).map(|i| net.z_row(i)).collect();
        let target = t.target();
        let model = target.spin_model();
        Self {
            units: t.unit().name().to_string(),
            dim: d,
            sigma: (!relu).then(|| cfg.resolved_sigma()),
            target: TargetJson {
                radius: target.radius(),
                scale: model.map(|m| m.scale()),
                coefficients: model.map(|m| m.coefficients().to_vec()),
            },
            c: net.c.clone(),
            z: rows.iter().map(|r| r[..d].to_vec()).collect(),
            b: relu.then(|| rows.iter().map(|r| r[d]).collect()),
            test_loss: t.trace().last().map(|r| r.test_loss).unwrap_or(f64::NAN),
            step: t.step(),
            time: t.time(),
        }
    }
}

impl Summary {
    /// The summary of a trainer after `wall_seconds`.
    pub fn of(t: &crate::train::Trainer, wall_seconds: f64) -> Self {
        let cfg = t.config().clone();
        let last = t.trace().last();
        Self {
            sigma_used: (cfg.units == crate::unit::UnitKind::Rbf).then(|| cfg.resolved_sigma()),
            config: cfg,
            zero_network_loss: t.target().zero_network_loss(),
            initial_test_loss: t.initial_test_loss(),
            test_loss: last.map(|r| r.test_loss).unwrap_or(f64::NAN),
            relative_test_loss: last.map(|r| r.relative_test_loss).unwrap_or(f64::NAN),
            steps: t.step(),
            time: t.time(),
            wall_seconds,
        }
    }
}

/// A checkpoint with the wall time spent so far, as written to `checkpoint.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// The trainer's checkpoint.
    #[serde(flatten)]
    pub checkpoint: crate::train::Checkpoint,
    /// Wall-clock seconds spent so far.
    pub wall_seconds: f64,
}

/// Writes `trace.csv`, `state.json`, `summary.json` and `checkpoint.json` of a run into `dir`,
/// each atomically.
pub fn write_run_files(
    dir: &Path,
    t: &crate::train::Trainer,
    wall_seconds: f64,
) -> Result<(), TrainError> {
    write_atomic(&dir.join("trace.csv"), trace_csv(t.trace()).as_bytes())?;
    write_json(&dir.join("state.json"), &StateJson::of(t))?;
    write_json(&dir.join("summary.json"), &Summary::of(t, wall_seconds))?;
    write_json(
        &dir.join("checkpoint.json"),
        &CheckpointFile {
            checkpoint: t.checkpoint(),
            wall_seconds,
        },
    )
}
