//! How the points of a step are chosen: the run's mode.

use serde::{Deserialize, Serialize};

/// How the points of a step are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Full-batch gradient descent on a fixed training set of M points.
    Gd,
    /// Minibatches of P points drawn (without replacement within a batch) from the training set.
    Sgd,
    /// A fresh batch of P points from ν at every step (online SGD, the paper's SGD).
    Online,
    /// The population gradient flow, every expectation in closed form (RBF units only).
    Exact,
}

impl Mode {
    /// Parses `gd`, `sgd` or `online`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gd" => Some(Self::Gd),
            "sgd" => Some(Self::Sgd),
            "online" => Some(Self::Online),
            "exact" => Some(Self::Exact),
            _ => None,
        }
    }

    /// Name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Sgd => "sgd",
            Self::Online => "online",
            Self::Exact => "exact",
        }
    }
}
