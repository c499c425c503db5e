//! Units φ(x, z): the feature map of one particle.
//!
//! A network is f_n(x) = (1/n) Σ_i c_i φ(x, z_i); a particle is θ_i = (c_i, z_i) with z_i ∈ ℝ^q.
//! A unit is two separate things:
//!
//! - its **math** ([`Unit`]): φ and ∇_z φ at one point, the initial law of z, and its identity
//!   ([`UnitSpec`]: name and parameters, recorded in `state.json`, `summary.json` and the
//!   checkpoint, so that a resumed run rebuilds the very same unit);
//! - an optional **fast batched kernel** ([`UnitKernel`]) owning its buffer layout: the forward
//!   pass f_n(x_p) on a chunk of points and the contraction of the residuals against ∇_θ φ. A
//!   unit without one is run by the [`reference`](mod@reference) kernel, written from φ and ∇φ alone (correct
//!   for any unit, slow). Both passes of a kernel live in one object, so a unit cannot override
//!   one pass and silently disagree with the other; [`reference::check_kernel`] compares a
//!   kernel with the reference.
//!
//! The dynamics needs nothing else: with residuals r_p = f(x_p) − f_n(x_p) on P points,
//! g_i = Σ_p r_p φ(x_p, z_i), h_i = Σ_p r_p ∇_z φ(x_p, z_i), the velocity is dc_i/dt = g_i / P,
//! dz_i/dt = c_i h_i / P (module [`crate::dynamics::sampled`]).
//!
//! A new unit is one file: implement [`Unit::spec`], [`Unit::param_dim`], [`Unit::phi`],
//! [`Unit::grad_phi`] and [`Unit::init_params`] (see `examples/custom_unit.rs`); a kernel is an
//! optional speed-up in the same file. Shipping it is one more line: its [`UnitEntry`] in
//! [`UNITS`] (name, parameters with defaults, whether exact mode supports it, how to build it
//! from its spec), from which `--units`, `--unit-param`, configs and resume all follow. A unit
//! of your own runs through [`crate::Trainer::with_unit`] and resumes with
//! [`crate::Trainer::from_checkpoint_with`] and a factory that rebuilds it from its spec.

mod rbf;
pub mod reference;
mod relu;

pub use rbf::Rbf;
pub use relu::Relu;

use crate::streams::StreamRng;
use faer::{MatMut, MatRef, Par};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A unit's identity: its name and the parameters that define it (e.g. `rbf` with `sigma`).
/// Two units with equal specs compute the same φ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitSpec {
    /// Short name (`rbf`, `relu`, …), as written in `state.json`.
    pub name: String,
    /// Real parameters by name (empty for parameter-free units).
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

impl UnitSpec {
    /// A spec with the given name and parameters.
    pub fn new(name: impl Into<String>, params: &[(&str, f64)]) -> Self {
        Self {
            name: name.into(),
            params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    /// Parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<f64> {
        self.params.get(key).copied()
    }
}

impl std::fmt::Display for UnitSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            write!(f, "{}{k} = {v}", if i == 0 { " (" } else { ", " })?;
        }
        if !self.params.is_empty() {
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// The math of a unit φ(x, z) of a two-layer network (see the module docs).
pub trait Unit: Send + Sync {
    /// The unit's identity (name and parameters).
    fn spec(&self) -> UnitSpec;

    /// Number q of parameters z of one unit for inputs of dimension `dim`.
    fn param_dim(&self, dim: usize) -> usize;

    /// φ(x, z) at one point x ∈ ℝ^d.
    fn phi(&self, z: &[f64], x: &[f64]) -> f64;

    /// ∇_z φ(x, z) into `out` (length q).
    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]);

    /// Draws the initial z of one unit (length q) for data on S^{d-1}(`radius`).
    fn init_params(&self, rng: &mut StreamRng, dim: usize, radius: f64, z: &mut [f64]);

    /// How z_i is written in `state.json`: consecutive parts (name, length) covering 0..q; a
    /// part of length 1 is written as one number per unit. Default: all of z_i as `z`.
    fn state_parts(&self, dim: usize) -> Vec<(&'static str, usize)> {
        vec![("z", self.param_dim(dim))]
    }

    /// The fast batched kernel, if the unit has one (otherwise the [`reference`](mod@reference) kernel runs).
    fn kernel(&self) -> Option<&dyn UnitKernel> {
        None
    }

    /// Some(σ) when φ is the Gaussian exp(−|x − z|²/(2σ²)), whose population loss exact mode
    /// has in closed form.
    fn gaussian_width(&self) -> Option<f64> {
        None
    }
}

/// A fast batched implementation of a unit's two passes over a chunk of B points x_1..x_B,
/// owning the layout of its n × B buffer (see the module docs).
///
/// Points are the rows of X̃ = [X, 1] (B × (d+1), the last column all ones). `buf` has at least
/// [`UnitKernel::buffer_len`] entries and `scratch` at least [`UnitKernel::scratch_len`].
pub trait UnitKernel: Send + Sync {
    /// Entries of the buffer `forward` leaves for `contract`, for n units and B points.
    fn buffer_len(&self, n: usize, b: usize) -> usize;

    /// Entries of scratch space `forward` needs.
    fn scratch_len(&self, n: usize, b: usize) -> usize;

    /// f_n on a chunk: writes `fn_out[p] = (1/n) Σ_i c_i φ(x_p, z_i)` and fills `buf` with what
    /// [`UnitKernel::contract`] reads.
    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        c: &[f64],
        scratch: &mut [f64],
        buf: &mut [f64],
        fn_out: &mut [f64],
        par: Par,
    );

    /// h_i = Σ_p r_p ∇_z φ(x_p, z_i) into columns 0..q of row i of `out` (n × (q+1)) and
    /// g_i = Σ_p r_p φ(x_p, z_i) into its column q, from the `buf` left by
    /// [`UnitKernel::forward`] on the same chunk. `xr` (B × (d+1)) is scratch.
    #[allow(clippy::too_many_arguments)]
    fn contract(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        buf: &[f64],
        r: &[f64],
        xr: MatMut<'_, f64>,
        out: MatMut<'_, f64>,
        par: Par,
    );
}

/// The unit a config names (`--units`): a shipped unit of [`UNITS`] by its name, or
/// `custom` for a unit given by the caller ([`crate::Trainer::with_unit`], identified by its
/// [`UnitSpec`]). Serialised as the plain name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitKind(Cow<'static, str>);

impl UnitKind {
    /// A unit of the caller's.
    pub const CUSTOM: Self = Self(Cow::Borrowed("custom"));

    /// The unit called `name` (not checked: see [`UnitKind::parse`]).
    pub const fn named(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// Parses a `--units` value: a shipped unit's name, or `custom`.
    pub fn parse(s: &str) -> Option<Self> {
        (unit_entry(s).is_some() || s == "custom").then(|| Self(Cow::Owned(s.to_string())))
    }

    /// The name as written in configs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `custom`.
    pub fn is_custom(&self) -> bool {
        self.0 == "custom"
    }
}

impl From<&'static str> for UnitKind {
    fn from(name: &'static str) -> Self {
        Self::named(name)
    }
}

impl std::fmt::Display for UnitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A real parameter of a shipped unit (`--unit-param NAME=VALUE`; `sigma` also `--sigma`).
#[derive(Debug)]
pub struct UnitParam {
    /// Its name, as in the unit's [`UnitSpec`].
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// Its default for data on the sphere of radius R.
    pub default: fn(radius: f64) -> f64,
}

/// A shipped unit of the registry: everything the CLI, configs and resume need to know of it.
#[derive(Debug)]
pub struct UnitEntry {
    /// The unit's name (`--units NAME`, [`UnitSpec::name`]).
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// Its parameters.
    pub params: &'static [UnitParam],
    /// Whether exact mode has its population loss in closed form.
    pub exact: bool,
    /// Builds it from its spec (`None` for parameters it does not accept).
    pub build: fn(&UnitSpec) -> Option<Box<dyn Unit>>,
}

impl UnitEntry {
    /// Its parameters' names, for messages (`none` without any).
    pub fn param_names(&self) -> String {
        if self.params.is_empty() {
            "none".into()
        } else {
            self.params
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// Every shipped unit. A new unit is one file (its [`Unit`], optionally a [`UnitKernel`], and a
/// `pub const ENTRY: UnitEntry`) and one line here.
pub const UNITS: &[&UnitEntry] = &[&rbf::ENTRY, &relu::ENTRY];

/// The shipped unit called `name`.
pub fn unit_entry(name: &str) -> Option<&'static UnitEntry> {
    UNITS.iter().copied().find(|u| u.name == name)
}

/// Rebuilds a unit from its spec (`None` when the spec is not one this factory knows).
pub type UnitFactory = dyn Fn(&UnitSpec) -> Option<Box<dyn Unit>>;

/// The factory of the shipped units ([`UNITS`]): the entry of the spec's name builds it, and
/// the unit built must have exactly that spec.
pub fn builtin_unit(spec: &UnitSpec) -> Option<Box<dyn Unit>> {
    let unit = (unit_entry(&spec.name)?.build)(spec)?;
    (unit.spec() == *spec).then_some(unit)
}

/// True when `name` is the name of a shipped unit (custom units must use other names, so that a
/// spec identifies its unit).
pub fn is_builtin_name(name: &str) -> bool {
    unit_entry(name).is_some()
}
