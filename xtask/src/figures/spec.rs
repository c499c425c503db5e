//! The types every figure shares — its spec, the loaded scans it is built from, its claims and
//! output — and loading a scan's cells. A leaf: it imports no figure.

use crate::configs::{FigureConfig, NamedScan};
use crate::plot::Figure;
use anyhow::{Context, Result};
use mf_stats::mf_core::PointSet;
use mf_stats::scan::{
    CellResult, FluctuationRow, ScanConfig, fluctuation_rows, load_cells, probe_set,
};
use mf_stats::verdict::{Measured, Verdict};
use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// A figure of the reproduction: what it is, the scans it needs and how it is built.
pub struct FigureSpec {
    /// Name (`--only NAME`, `data/configs/NAME.json`, `figures/NAME.*`).
    pub name: &'static str,
    /// What the figure shows (seeds the config's description).
    pub description: &'static str,
    /// Default scans at the smoke scale (`--quick`).
    pub quick: fn() -> Vec<NamedScan>,
    /// Default scans at the full scale.
    pub full: fn() -> Vec<NamedScan>,
    /// The figure and its claims from the loaded scans of its config (in config order).
    pub build: fn(&[ScanData]) -> Result<FigureOutput>,
}

impl FigureSpec {
    /// The default configuration of the figure: its description and default scans.
    pub fn default_config(&self) -> FigureConfig {
        FigureConfig {
            name: self.name.into(),
            description: self.description.into(),
            quick: (self.quick)(),
            full: (self.full)(),
        }
    }
}

/// Reads `dir/NAME.json` of figure `spec`, seeding it from the spec's defaults if missing.
pub fn load_or_seed(dir: &Path, spec: &FigureSpec) -> Result<FigureConfig> {
    crate::configs::load_or_seed(dir, spec.name, || spec.default_config())
}

/// The results of one scan, loaded from its folder.
pub struct ScanData {
    /// The scan's label (the stem of its folder; seeds its coverage simulations).
    pub label: String,
    /// α (sgd-batch).
    pub alpha: Option<f64>,
    /// Its config.
    pub cfg: ScanConfig,
    /// Cells per width.
    pub groups: Vec<(usize, Vec<CellResult>)>,
    /// Per width and time: fluctuations and mean losses.
    pub rows: Vec<FluctuationRow>,
    /// The probe points x_k of the fluctuation field, with their targets.
    pub probe: PointSet,
}

/// Folder of a scan: its label and the top 32 bits of the FNV-1a 64 hash of its config's JSON,
/// so that figures sharing a scan share its cells, and a changed config never reuses stale ones.
pub fn scan_dir(out: &Path, s: &NamedScan) -> PathBuf {
    let text = serde_json::to_string(&s.scan).expect("a scan config serialises");
    let mut h = fnv::FnvHasher::default();
    h.write(text.as_bytes());
    out.join("scans")
        .join(format!("{}-{:08x}", s.label, h.finish() >> 32))
}

/// The finished cells of a scan, per width (each file read and its checksum verified once).
pub fn cells(out: &Path, s: &NamedScan) -> Vec<(usize, Vec<CellResult>)> {
    load_cells(&s.scan, &scan_dir(out, s))
}

/// The number of cells in `groups` (as [`cells`] returns them).
pub fn count(groups: &[(usize, Vec<CellResult>)]) -> usize {
    groups.iter().map(|(_, c)| c.len()).sum()
}

/// The results of a scan from its cells (as [`cells`] returns them).
pub fn from_cells(s: &NamedScan, groups: Vec<(usize, Vec<CellResult>)>) -> Result<ScanData> {
    let cfg = s.scan.clone();
    let probe = probe_set(&cfg).with_context(|| format!("scan {}", s.label))?;
    let rows = fluctuation_rows(&cfg, &groups, &probe);
    Ok(ScanData {
        label: s.label.clone(),
        alpha: s.alpha,
        cfg,
        groups,
        rows,
        probe,
    })
}

/// One line of the report: a claim, its prediction, the measurement and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// Figure name.
    pub figure: &'static str,
    /// The claim.
    pub claim: String,
    /// The prediction.
    pub prediction: String,
    /// What was measured (its name).
    pub quantity: String,
    /// The measurement.
    pub measured: Measured,
    /// Settings it was measured at.
    pub settings: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What was measured against which prediction, where the row needs it (e.g. a loss
    /// exponent against an error exponent); empty otherwise.
    pub note: String,
    /// What the row's estimate rests on (empty for rows without an interval).
    pub basis: Basis,
}

/// The data a row's estimate uses, so that a script can check it against the committed CSVs:
/// the widths and the replicas of each (one group per scan: two for a difference of two
/// scans), how its interval was computed and the coverage of that interval measured by
/// simulation at these widths, replicas and spreads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Basis {
    /// Per scan: the widths used.
    pub widths: Vec<Vec<usize>>,
    /// Per scan: the replicas (distinct end states) of each width used.
    pub replicas: Vec<Vec<usize>>,
    /// How the interval was computed (empty without one).
    pub interval_method: String,
    /// Its coverage measured by simulation.
    pub coverage: Option<mf_stats::coverage::Coverage>,
}

impl Basis {
    /// `16;32;64`, scans separated by `|`.
    pub fn widths_field(&self) -> String {
        groups_field(&self.widths)
    }

    /// `8;8;8`, scans separated by `|`.
    pub fn replicas_field(&self) -> String {
        groups_field(&self.replicas)
    }
}

/// Groups of numbers: within a group `;`-separated, groups `|`-separated.
fn groups_field(g: &[Vec<usize>]) -> String {
    g.iter()
        .map(|v| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// A figure and its claims.
pub struct FigureOutput {
    /// What to draw.
    pub figure: Figure,
    /// Claims measured on it.
    pub claims: Vec<Claim>,
}

/// The first scan of a figure that uses one.
pub fn first<'a>(name: &str, data: &'a [ScanData]) -> Result<&'a ScanData> {
    data.first()
        .with_context(|| format!("figure {name}: its config lists no scan"))
}
