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
    /// Step size of the last accepted step (adaptive stepping).
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
