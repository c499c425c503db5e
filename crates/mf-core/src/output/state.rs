//! `state.json`: everything needed to evaluate f and f_n with no code of ours (filled from a
//! trainer in [`super::run`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// The teacher network (teacher target): f(x) = (1/k) Σ_a c_a exp(−|x − z_a|²/(2 sigma²)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<TeacherJson>,
    /// The data sets (data target): files, sizes and fingerprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<crate::data::DataSets>,
}

/// A teacher target in `state.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeacherJson {
    /// RBF width σ.
    pub sigma: f64,
    /// Charges c*_a (k values).
    pub c: Vec<f64>,
    /// Centres z*_a (k rows of d).
    pub z: Vec<Vec<f64>>,
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
