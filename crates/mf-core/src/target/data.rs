//! A data set of your own as the target (`data`, `--data FILE [--test-data FILE]`): gd and
//! sgd take their points from it (module [`crate::data`] for the formats and the scale).

use super::{Target, TargetEntry};
use crate::config::TrainConfig;
use crate::data::{DataError, Dataset};
use crate::error::TrainError;
use crate::points::PointSet;
use faer::{MatRef, Par};
use std::sync::Arc;

/// The target in the registry.
pub const ENTRY: TargetEntry = TargetEntry {
    name: "data",
    help: "a training set of your own (--data FILE: .npz with x and y, X.npy,Y.npy, or CSV; --test-data FILE), gd and sgd only; set by --data",
    build: data_target_for,
};

/// The data target of a config: its files, read again and checked against their
/// fingerprints.
fn data_target_for(config: &TrainConfig) -> Result<Arc<dyn Target>, TrainError> {
    let sets = config.data.as_ref().ok_or_else(|| {
        TrainError::config("data", "a data set (--data FILE) for the target data")
    })?;
    let train = sets.train.load()?;
    let test = sets.test.as_ref().map(|t| t.load()).transpose()?;
    Ok(Arc::new(DataTarget::new(train, test)?))
}

/// A training set (and optionally a test set) as a [`Target`]. It has values only at its
/// points: [`Target::values_into`] writes NaN (online and exact modes, which would need
/// values elsewhere, refuse a data set in config validation).
#[derive(Clone, Debug)]
pub struct DataTarget {
    train: Arc<Dataset>,
    test: Option<Arc<Dataset>>,
}

impl DataTarget {
    /// The target of `train`, tested on `test` (the training set when `None`); the sets must
    /// have the same dimension.
    pub fn new(train: Dataset, test: Option<Dataset>) -> Result<Self, DataError> {
        if let Some(t) = &test
            && t.dim() != train.dim()
        {
            return Err(DataError::about(
                "test data",
                format!(
                    "its inputs have dimension {}, the training set's {}",
                    t.dim(),
                    train.dim()
                ),
            ));
        }
        Ok(Self {
            train: Arc::new(train),
            test: test.map(Arc::new),
        })
    }

    /// The training set.
    pub fn train(&self) -> &Dataset {
        &self.train
    }

    /// The test set, if one was given.
    pub fn test(&self) -> Option<&Dataset> {
        self.test.as_deref()
    }

    /// The training points in the layout of the batched passes.
    pub fn train_points(&self) -> PointSet {
        self.train.point_set()
    }

    /// The test points (the training points when no test set was given).
    pub fn test_points(&self) -> PointSet {
        self.test.as_deref().unwrap_or(&self.train).point_set()
    }

    /// Checks that this target holds the sets `config.data` records (same fingerprints).
    pub fn check(&self, config: &TrainConfig) -> Result<(), TrainError> {
        let sets = config
            .data
            .as_ref()
            .ok_or_else(|| TrainError::config("data", "a data set record for a data target"))?;
        sets.train.check(&self.train, "training data")?;
        match (&sets.test, self.test()) {
            (Some(r), Some(t)) => r.check(t, "test data")?,
            (None, None) => {}
            _ => {
                return Err(TrainError::config(
                    "test_data",
                    "given both to the config and the target, or to neither",
                ));
            }
        }
        Ok(())
    }
}

impl Target for DataTarget {
    fn dim(&self) -> usize {
        self.train.dim()
    }
    fn radius(&self) -> f64 {
        self.train.rms_radius()
    }
    fn values_into(&self, _x: MatRef<'_, f64>, out: &mut [f64], _par: Par) {
        out.fill(f64::NAN);
    }
    fn zero_network_loss(&self) -> f64 {
        self.train.zero_network_loss()
    }
    fn data(&self) -> Option<&DataTarget> {
        Some(self)
    }
}
