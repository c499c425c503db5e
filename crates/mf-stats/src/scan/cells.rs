//! Finished cells and their files `cells/n{n}_r{r}.json`.
//!
//! A cell file is `{"checksum": h, "cell": c}` where h is the FNV-1a 64-bit hash (16 hex
//! digits) of the compact JSON of c. A file is valid when it parses, its hash matches and it
//! is the cell asked for; anything else (missing, half-written, damaged) counts as absent, so a
//! rerun redoes it. Files are written atomically.
//!
//! A cell's end state is derived data: on reading, it is classified again by the current rule
//! from the cell's trace and end diagnostics ([`mf_core::train::end_state::reclassify`]), so
//! cells computed under an earlier rule read as the current rule classifies them (the file
//! itself is not changed).

use crate::error::ScanError;
use fnv::FnvHasher;
use mf_core::output::{TraceRow, write_atomic};
use serde::{Deserialize, Serialize};
use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// Network outputs on the probe set at one recorded time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeRow {
    /// Steps taken.
    pub step: u64,
    /// Mean-field time.
    pub time: f64,
    /// f_n(x_k) for every probe point.
    pub outputs: Vec<f64>,
}

/// A finished cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Width n.
    pub n: usize,
    /// Replica r.
    pub replica: u64,
    /// Batch size used.
    pub batch: usize,
    /// Trace of the run.
    pub trace: Vec<TraceRow>,
    /// Probe outputs at every recorded time.
    pub probe: Vec<ProbeRow>,
    /// Final charges c_i.
    pub final_c: Vec<f64>,
    /// Final unit parameters z_i.
    pub final_z: Vec<Vec<f64>>,
    /// End-state diagnostics of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<mf_core::output::EndDiagnostics>,
    /// The polish (`--polish`): its report, and the polished charges and parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polish: Option<mf_core::output::PolishReport>,
    /// Polished charges c_i (`--polish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polished_c: Option<Vec<f64>>,
    /// Polished unit parameters z_i (`--polish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polished_z: Option<Vec<Vec<f64>>>,
}

#[derive(Serialize, Deserialize)]
struct CellFile {
    checksum: String,
    cell: CellResult,
}

/// FNV-1a 64-bit hash of `bytes`, 16 lowercase hex digits.
fn checksum(bytes: &[u8]) -> String {
    let mut h = FnvHasher::default();
    h.write(bytes);
    format!("{:016x}", h.finish())
}

/// File of cell (n, r) under `dir`.
pub fn cell_path(dir: &Path, n: usize, replica: u64) -> PathBuf {
    dir.join("cells")
        .join(format!("n{n:06}_r{replica:05}.json"))
}

/// Reads a cell file; `None` when missing, unparsable, damaged or not the cell asked for.
pub fn read_cell(dir: &Path, n: usize, replica: u64) -> Option<CellResult> {
    let text = std::fs::read_to_string(cell_path(dir, n, replica)).ok()?;
    let file: CellFile = serde_json::from_str(&text).ok()?;
    let payload = serde_json::to_string(&file.cell).ok()?;
    (checksum(payload.as_bytes()) == file.checksum
        && file.cell.n == n
        && file.cell.replica == replica)
        .then(|| with_current_end_state(file.cell))
}

/// `cell` with its end state classified by the current rule (module docs).
pub fn with_current_end_state(mut cell: CellResult) -> CellResult {
    let q = cell.final_z.first().map_or(0, Vec::len);
    let params = cell.n * (q + 1);
    let cf = cell
        .trace
        .last()
        .map_or(f64::NAN, |r| r.test_loss / r.relative_test_loss);
    if let Some(end) = cell.end.as_mut() {
        let (state, reason) = mf_core::train::end_state::reclassify(&cell.trace, end, params, cf);
        end.end_state = state;
        end.end_state_reason = reason;
    }
    cell
}

/// Writes `cell` under `dir` (atomically, with its checksum).
pub(crate) fn write_cell(dir: &Path, cell: &CellResult) -> Result<(), ScanError> {
    let path = cell_path(dir, cell.n, cell.replica);
    let json = |source| ScanError::Json {
        path: path.clone(),
        source,
    };
    let payload = serde_json::to_string(cell).map_err(json)?;
    let file = CellFile {
        checksum: checksum(payload.as_bytes()),
        cell: cell.clone(),
    };
    let text = serde_json::to_string(&file).map_err(json)?;
    Ok(write_atomic(&path, text.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_fnv1a_of_the_files_already_written() {
        // values of the hand-written FNV-1a that wrote the cell files before `fnv`
        let old = [
            ("", "cbf29ce484222325"),
            ("a", "af63dc4c8601ec8c"),
            ("meanfield", "714af0a32b37f768"),
            (r#"{"n":8,"replica":0,"batch":2}"#, "a6c48f78882a5ca7"),
        ];
        for (bytes, hash) in old {
            assert_eq!(checksum(bytes.as_bytes()), hash, "{bytes:?}");
        }
    }

    #[test]
    fn a_written_cell_reads_back_and_a_damaged_one_is_absent() {
        let dir = std::env::temp_dir().join(format!("mf-stats-cells-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cells")).unwrap();
        let cell = CellResult {
            n: 3,
            replica: 1,
            batch: 2,
            trace: vec![],
            probe: vec![ProbeRow {
                step: 0,
                time: 0.0,
                outputs: vec![0.1, -2.5e-300],
            }],
            final_c: vec![1.0, 2.0, 3.0],
            final_z: vec![vec![0.5]; 3],
            end: None,
            polish: None,
            polished_c: None,
            polished_z: None,
        };
        write_cell(&dir, &cell).unwrap();
        assert_eq!(read_cell(&dir, 3, 1), Some(cell));
        assert_eq!(read_cell(&dir, 3, 0), None);
        let p = cell_path(&dir, 3, 1);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.replace("0.1", "0.2")).unwrap();
        assert_eq!(read_cell(&dir, 3, 1), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
