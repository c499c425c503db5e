//! The aggregate files of a scan folder, recomputed from the cells present:
//!
//! - `runs.csv`: every trace row of every cell,
//!   `n,replica,batch,step,time,test_loss,relative_test_loss,mc_test_loss,grad_norm,max_abs_c,
//!   min_pair_distance`;
//! - `ends.csv`: the end of every cell, `n,replica,time,test_loss,relative_test_loss,grad_norm,
//!   max_abs_c,min_pair_distance,hessian_min_eigenvalue,hessian_max_abs_eigenvalue,
//!   newton_decrease,end_state,
//!   polish_method,polished_test_loss,polished_relative_test_loss,polish_iterations,
//!   polish_grad_norm,polish_max_abs_c,polish_stop` (empty where not computed);
//! - `fluctuations.csv`: one [`FluctuationRow`] per width and common time,
//!   `n,step,time,n_var,bias_sq,bias_sq_unbiased,lln_distance_4n,mean_test_loss,test_loss_se,
//!   test_loss_ci_low,test_loss_ci_high,mean_relative_test_loss,replicas`;
//! - `fit.json`: the [`FitFile`].
//!
//! CSV numbers are shortest round-trip decimals; absent values are empty fields.

use super::aggregate::{FluctuationRow, fit_groups, fluctuation_rows, load_cells};
use super::cells::CellResult;
use super::config::{ScanConfig, probe_set};
use crate::error::ScanError;
use crate::fit::PowerLawFit;
use mf_core::output::{TraceRow, write_atomic, write_json};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `fit.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitFile {
    /// The fit (absent fields when fewer than two widths are complete).
    #[serde(flatten)]
    pub fit: Option<PowerLawFit>,
    /// What was fitted.
    pub quantity: String,
    /// Per width: [n, mean, SE, replicas].
    pub data: Vec<(usize, f64, f64, usize)>,
}

/// Columns of `runs.csv`.
const RUNS_COLUMNS: [&str; 11] = [
    "n",
    "replica",
    "batch",
    "step",
    "time",
    "test_loss",
    "relative_test_loss",
    "mc_test_loss",
    "grad_norm",
    "max_abs_c",
    "min_pair_distance",
];

/// One line of `runs.csv`: one trace row of one cell.
#[derive(Serialize)]
struct RunLine {
    n: usize,
    replica: u64,
    batch: usize,
    step: u64,
    time: f64,
    test_loss: f64,
    relative_test_loss: f64,
    mc_test_loss: Option<f64>,
    grad_norm: Option<f64>,
    max_abs_c: Option<f64>,
    min_pair_distance: Option<f64>,
}

impl RunLine {
    fn new(c: &CellResult, r: &TraceRow) -> Self {
        Self {
            n: c.n,
            replica: c.replica,
            batch: c.batch,
            step: r.step,
            time: r.time,
            test_loss: r.test_loss,
            relative_test_loss: r.relative_test_loss,
            mc_test_loss: r.mc_test_loss,
            grad_norm: r.grad_norm,
            max_abs_c: r.max_abs_c,
            min_pair_distance: r.min_pair_distance,
        }
    }
}

/// Columns of `ends.csv`.
const ENDS_COLUMNS: [&str; 19] = [
    "n",
    "replica",
    "time",
    "test_loss",
    "relative_test_loss",
    "grad_norm",
    "max_abs_c",
    "min_pair_distance",
    "hessian_min_eigenvalue",
    "hessian_max_abs_eigenvalue",
    "newton_decrease",
    "end_state",
    "polish_method",
    "polished_test_loss",
    "polished_relative_test_loss",
    "polish_iterations",
    "polish_grad_norm",
    "polish_max_abs_c",
    "polish_stop",
];

/// One line of `ends.csv`: the end of one cell.
#[derive(Serialize)]
struct EndLine {
    n: usize,
    replica: u64,
    time: Option<f64>,
    test_loss: Option<f64>,
    relative_test_loss: Option<f64>,
    grad_norm: Option<f64>,
    max_abs_c: Option<f64>,
    min_pair_distance: Option<f64>,
    hessian_min_eigenvalue: Option<f64>,
    hessian_max_abs_eigenvalue: Option<f64>,
    newton_decrease: Option<f64>,
    end_state: Option<&'static str>,
    polish_method: Option<String>,
    polished_test_loss: Option<f64>,
    polished_relative_test_loss: Option<f64>,
    polish_iterations: Option<u64>,
    polish_grad_norm: Option<f64>,
    polish_max_abs_c: Option<f64>,
    polish_stop: Option<String>,
}

impl EndLine {
    fn new(c: &CellResult) -> Self {
        let last = c.trace.last();
        let e = c.end.as_ref();
        let p = c.polish.as_ref();
        Self {
            n: c.n,
            replica: c.replica,
            time: last.map(|r| r.time),
            test_loss: last.map(|r| r.test_loss),
            relative_test_loss: last.map(|r| r.relative_test_loss),
            grad_norm: e.map(|e| e.grad_norm),
            max_abs_c: e.map(|e| e.max_abs_c),
            min_pair_distance: e.map(|e| e.min_pair_distance),
            hessian_min_eigenvalue: e.and_then(|e| e.hessian_min_eigenvalue),
            hessian_max_abs_eigenvalue: e.and_then(|e| e.hessian_max_abs_eigenvalue),
            newton_decrease: e.and_then(|e| e.newton_decrease),
            end_state: e.map(|e| e.end_state.as_str()),
            polish_method: p.map(|p| p.polish_method.clone()),
            polished_test_loss: p.map(|p| p.polished_test_loss),
            polished_relative_test_loss: p.map(|p| p.polished_relative_test_loss),
            polish_iterations: p.map(|p| p.polish_iterations),
            polish_grad_norm: p.map(|p| p.polish_grad_norm),
            polish_max_abs_c: p.map(|p| p.polish_max_abs_c),
            polish_stop: p.map(|p| p.polish_stop.clone()),
        }
    }
}

/// Columns of `fluctuations.csv`.
const FLUCTUATION_COLUMNS: [&str; 13] = [
    "n",
    "step",
    "time",
    "n_var",
    "bias_sq",
    "bias_sq_unbiased",
    "lln_distance_4n",
    "mean_test_loss",
    "test_loss_se",
    "test_loss_ci_low",
    "test_loss_ci_high",
    "mean_relative_test_loss",
    "replicas",
];

/// One line of `fluctuations.csv`: a [`FluctuationRow`] with its interval in two columns.
#[derive(Serialize)]
struct FluctuationLine {
    n: usize,
    step: u64,
    time: f64,
    n_var: f64,
    bias_sq: f64,
    bias_sq_unbiased: f64,
    lln_distance_4n: Option<f64>,
    mean_test_loss: f64,
    test_loss_se: f64,
    test_loss_ci_low: f64,
    test_loss_ci_high: f64,
    mean_relative_test_loss: f64,
    replicas: usize,
}

impl From<&FluctuationRow> for FluctuationLine {
    fn from(r: &FluctuationRow) -> Self {
        Self {
            n: r.n,
            step: r.step,
            time: r.time,
            n_var: r.n_var,
            bias_sq: r.bias_sq,
            bias_sq_unbiased: r.bias_sq_unbiased,
            lln_distance_4n: r.lln_distance_4n,
            mean_test_loss: r.mean_test_loss,
            test_loss_se: r.test_loss_se,
            test_loss_ci_low: r.test_loss_ci[0],
            test_loss_ci_high: r.test_loss_ci[1],
            mean_relative_test_loss: r.mean_relative_test_loss,
            replicas: r.replicas,
        }
    }
}

/// CSV text: the header `columns` (also when there are no lines), then one record per line.
fn csv_text<T: Serialize>(
    path: &Path,
    columns: &[&str],
    lines: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>, ScanError> {
    let err = |source| ScanError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(columns).map_err(err)?;
    for line in lines {
        w.serialize(line).map_err(err)?;
    }
    w.into_inner().map_err(|e| err(e.into_error().into()))
}

/// Writes the CSV file `path` atomically.
fn write_csv<T: Serialize>(
    path: &Path,
    columns: &[&str],
    lines: impl IntoIterator<Item = T>,
) -> Result<(), ScanError> {
    Ok(write_atomic(path, &csv_text(path, columns, lines)?)?)
}

/// Recomputes `runs.csv`, `ends.csv`, `fluctuations.csv` and `fit.json` from the cells in
/// `dir`.
pub fn write_aggregates(cfg: &ScanConfig, dir: &Path) -> Result<(), ScanError> {
    let groups = load_cells(cfg, dir);
    let probe = probe_set(cfg)?;
    let runs = groups
        .iter()
        .flat_map(|(_, cells)| cells)
        .flat_map(|c| c.trace.iter().map(move |r| RunLine::new(c, r)));
    write_csv(&dir.join("runs.csv"), &RUNS_COLUMNS, runs)?;
    let ends = groups.iter().flat_map(|(_, cells)| cells).map(EndLine::new);
    write_csv(&dir.join("ends.csv"), &ENDS_COLUMNS, ends)?;
    let rows = fluctuation_rows(cfg, &groups, &probe);
    write_csv(
        &dir.join("fluctuations.csv"),
        &FLUCTUATION_COLUMNS,
        rows.iter().map(FluctuationLine::from),
    )?;
    let (fit, data) = fit_groups(cfg, &groups, &probe);
    write_json(
        &dir.join("fit.json"),
        &FitFile {
            fit,
            quantity: cfg.quantity.as_str().to_string(),
            data,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header serde would write for `line`.
    fn serde_header<T: Serialize>(line: T) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(line).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn the_columns_are_the_fields_of_the_lines() {
        let run = RunLine {
            n: 1,
            replica: 0,
            batch: 1,
            step: 0,
            time: 0.0,
            test_loss: 1.0,
            relative_test_loss: 1.0,
            mc_test_loss: None,
            grad_norm: None,
            max_abs_c: None,
            min_pair_distance: None,
        };
        assert_eq!(serde_header(run), RUNS_COLUMNS.join(","));
        let cell = CellResult {
            n: 1,
            replica: 0,
            batch: 1,
            trace: vec![],
            probe: vec![],
            final_c: vec![],
            final_z: vec![],
            end: None,
            polish: None,
            polished_c: None,
            polished_z: None,
        };
        assert_eq!(serde_header(EndLine::new(&cell)), ENDS_COLUMNS.join(","));
        let row = FluctuationRow {
            n: 1,
            step: 0,
            time: 0.0,
            n_var: 0.0,
            bias_sq: 0.0,
            bias_sq_unbiased: 0.0,
            lln_distance_4n: None,
            mean_test_loss: 0.0,
            test_loss_se: 0.0,
            test_loss_ci: [0.0, 0.0],
            mean_relative_test_loss: 0.0,
            replicas: 2,
        };
        assert_eq!(
            serde_header(FluctuationLine::from(&row)),
            FLUCTUATION_COLUMNS.join(",")
        );
    }

    #[test]
    fn values_round_trip_and_absent_ones_are_empty() {
        let v = [
            1.7745551565274724,
            8.392497208503151e-17,
            0.0,
            -2.5e300,
            f64::NAN,
        ];
        let lines = v.iter().map(|&x| RunLine {
            n: 8,
            replica: 3,
            batch: 2,
            step: 10,
            time: 0.25,
            test_loss: x,
            relative_test_loss: x,
            mc_test_loss: (x != 0.0).then_some(x),
            grad_norm: None,
            max_abs_c: None,
            min_pair_distance: None,
        });
        let text =
            String::from_utf8(csv_text(Path::new("x"), &RUNS_COLUMNS, lines).unwrap()).unwrap();
        let mut it = text.lines();
        assert_eq!(it.next(), Some(RUNS_COLUMNS.join(",").as_str()));
        for (line, x) in it.zip(v) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(&f[..5], ["8", "3", "2", "10", "0.25"]);
            let back: f64 = f[5].parse().unwrap();
            assert!(back == x || (back.is_nan() && x.is_nan()), "{line}");
            assert_eq!(f[7].is_empty(), x == 0.0, "{line}");
        }
        assert!(text.ends_with('\n') && !text.contains('\r'));
        let empty = csv_text::<RunLine>(Path::new("x"), &RUNS_COLUMNS, []).unwrap();
        assert_eq!(empty, format!("{}\n", RUNS_COLUMNS.join(",")).into_bytes());
    }
}
