//! Targets: the function f the network learns, on the sphere S^{d-1}(R) with ν uniform.
//!
//! The [`Target`] trait is the extension point for new targets: a dimension, a radius, values on a
//! batch of points and C_f = ½ ∫ f² dν (the unit of every relative loss). A shipped target is one
//! file (its [`Target`] and a `pub const ENTRY: TargetEntry`) and one line in [`TARGETS`], from
//! which `--target`, configs and resume follow; [`SpinTarget`] (`spin3`) is the continuous
//! spherical 3-spin model of `spin-target`, the target of the paper; [`RbfTeacher`] (`teacher`) is a mean-field RBF network, a target for
//! which the paper's setting holds exactly; [`DataTarget`] (`data`) is a training set of your own
//! (`--data FILE`, module [`crate::data`]), for gd and sgd. A target of your own runs
//! through [`crate::Trainer::with_target`].

pub mod data;
mod spin3;
pub mod teacher;

pub use data::DataTarget;
pub use spin3::SpinTarget;
pub use teacher::{DEFAULT_TEACHER_WIDTH, MAX_TEACHER_WIDTH, RbfTeacher};

use crate::config::TrainConfig;
use crate::error::TrainError;
use faer::{MatRef, Par};
use serde::{Deserialize, Serialize};
use spin_target::SpinModel;
use std::borrow::Cow;
use std::sync::Arc;

/// A target function f on S^{d-1}(R).
pub trait Target: Send + Sync {
    /// Dimension d.
    fn dim(&self) -> usize;
    /// Radius R of the data sphere.
    fn radius(&self) -> f64;
    /// f at the rows of `x` (P × d) into `out` (length P). Called once per step in online mode:
    /// it should not allocate.
    fn values_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par);
    /// C_f = ½ ∫ f² dν (exact, or accurate enough to normalise losses).
    fn zero_network_loss(&self) -> f64;
    /// The 3-spin model behind this target, if it is one (exact mode and the coefficients of
    /// `state.json` need it).
    fn spin_model(&self) -> Option<&SpinModel> {
        None
    }
    /// The RBF teacher network behind this target, if it is one (exact mode and `state.json`
    /// need it).
    fn teacher(&self) -> Option<&RbfTeacher> {
        None
    }
    /// The data sets behind this target, if it is one (gd and sgd take their points from
    /// them instead of drawing from a law).
    fn data(&self) -> Option<&DataTarget> {
        None
    }
}

/// A shipped target of the registry.
#[derive(Debug)]
pub struct TargetEntry {
    /// Its name (`--target NAME`).
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// Builds the target of a config (from its dimension and seed).
    pub build: fn(&TrainConfig) -> Result<Arc<dyn Target>, TrainError>,
}

/// Every shipped target; the first is the default.
pub const TARGETS: &[&TargetEntry] = &[&spin3::ENTRY, &teacher::ENTRY, &data::ENTRY];

/// The shipped target called `name`.
pub fn target_entry(name: &str) -> Option<&'static TargetEntry> {
    TARGETS.iter().copied().find(|t| t.name == name)
}

/// The names `--target` accepts.
pub fn target_names() -> Vec<&'static str> {
    TARGETS.iter().map(|t| t.name).collect()
}

/// The target a config names (`--target`), serialised as the plain name; the default is the
/// first of [`TARGETS`], the 3-spin model, which configs leave out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetName(Cow<'static, str>);

impl TargetName {
    /// The target called `name` (not checked).
    pub const fn named(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// Parses a `--target` value (a shipped target's name).
    pub fn parse(s: &str) -> Option<Self> {
        target_entry(s).map(|t| Self::named(t.name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the default target (left out of configs).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for TargetName {
    fn default() -> Self {
        Self::named(TARGETS[0].name)
    }
}

/// The target of `config`, built by its registry entry.
pub fn target_for(config: &TrainConfig) -> Result<Arc<dyn Target>, TrainError> {
    let entry = target_entry(config.target.as_str()).ok_or_else(|| {
        TrainError::config("target", format!("one of {}", target_names().join(", ")))
    })?;
    (entry.build)(config)
}
