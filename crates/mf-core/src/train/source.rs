//! Where a step's field comes from: the points of gd (the training set), sgd (a minibatch of
//! it), online SGD (fresh points) — or the closed forms of exact mode.

use crate::dynamics::{Field, SampledField, Workspace};
use crate::exact::{ExactField, ExactRbf, ExactWorkspace};
use crate::network::{Network, Velocity};
use crate::points::PointSet;
use crate::streams::StreamRng;
use crate::target::Target;
use crate::unit::Unit;
use faer::{MatMut, Par};
use rand::RngExt;

/// The data of a run's steps.
pub(crate) enum Source {
    /// gd: the training set, every step.
    Train(PointSet),
    /// sgd: minibatches of P points drawn without replacement from the training set.
    Minibatch {
        train: PointSet,
        perm: Vec<usize>,
        batch: PointSet,
        size: usize,
    },
    /// online: P fresh points from ν every step.
    Online(PointSet),
    /// exact: the population loss in closed form (boxed: its work arrays are large).
    Exact(Box<(ExactRbf, ExactWorkspace)>),
}

/// The field of one step (no allocation: an enum over the two fields).
pub(crate) enum StepField<'a> {
    Sampled(SampledField<'a>),
    Exact(ExactField<'a>),
}

impl Field for StepField<'_> {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        match self {
            Self::Sampled(f) => f.velocity(net, vel),
            Self::Exact(f) => f.velocity(net, vel),
        }
    }

    fn loss(&mut self, net: &Network) -> f64 {
        match self {
            Self::Sampled(f) => f.loss(net),
            Self::Exact(f) => f.loss(net),
        }
    }

    fn hessian(&mut self, net: &Network, out: MatMut<'_, f64>) -> Option<f64> {
        match self {
            Self::Sampled(f) => f.hessian(net, out),
            Self::Exact(f) => f.hessian(net, out),
        }
    }

    fn has_hessian(&self) -> bool {
        match self {
            Self::Sampled(f) => f.has_hessian(),
            Self::Exact(f) => f.has_hessian(),
        }
    }

    fn hessian_vector(&mut self, net: &Network, x: &[f64], y: &mut [f64]) -> Option<f64> {
        match self {
            Self::Sampled(f) => f.hessian_vector(net, x, y),
            Self::Exact(f) => f.hessian_vector(net, x, y),
        }
    }
}

/// The streams a source draws from.
pub(crate) struct Streams<'a> {
    pub data: &'a mut StreamRng,
    pub batch: &'a mut StreamRng,
}

impl Source {
    /// Draws the step's points (sgd, online) and returns the step's field.
    pub fn step_field<'a>(
        &'a mut self,
        unit: &'a dyn Unit,
        target: &dyn Target,
        ws: &'a mut Workspace,
        rng: Streams<'_>,
        par: Par,
    ) -> StepField<'a> {
        let points: &PointSet = match self {
            Self::Exact(e) => {
                let (ex, ews) = &mut **e;
                return StepField::Exact(ExactField { ex, ws: ews, par });
            }
            Self::Train(train) => train,
            Self::Minibatch {
                train,
                perm,
                batch,
                size,
            } => {
                draw_minibatch(perm, *size, rng.batch);
                batch.gather(train, &perm[..*size]);
                undo_minibatch(perm);
                batch
            }
            Self::Online(batch) => {
                batch.resample(target, rng.data, par);
                batch
            }
        };
        StepField::Sampled(SampledField {
            unit,
            points,
            ws,
            par,
        })
    }

    /// The field whose loss does not change from step to step, for minimisers: the exact
    /// population loss, or gd's training loss (`None` in sgd and online modes).
    pub fn fixed_field<'a>(
        &'a mut self,
        unit: &'a dyn Unit,
        ws: &'a mut Workspace,
        par: Par,
    ) -> Option<StepField<'a>> {
        match self {
            Self::Exact(e) => {
                let (ex, ews) = &mut **e;
                Some(StepField::Exact(ExactField { ex, ws: ews, par }))
            }
            Self::Train(points) => Some(StepField::Sampled(SampledField {
                unit,
                points,
                ws,
                par,
            })),
            _ => None,
        }
    }

    /// The field of the loss the run descends, for diagnostics: the exact population loss, the
    /// training loss (gd, sgd) or the test-set estimate of the population loss (online).
    pub fn objective_field<'a>(
        &'a mut self,
        unit: &'a dyn Unit,
        test: &'a PointSet,
        ws: &'a mut Workspace,
        par: Par,
    ) -> StepField<'a> {
        let points = match self {
            Self::Exact(e) => {
                let (ex, ews) = &mut **e;
                return StepField::Exact(ExactField { ex, ws: ews, par });
            }
            Self::Train(t) | Self::Minibatch { train: t, .. } => &*t,
            Self::Online(_) => test,
        };
        StepField::Sampled(SampledField {
            unit,
            points,
            ws,
            par,
        })
    }

    /// The training set (gd, sgd).
    pub fn train_set(&self) -> Option<&PointSet> {
        match self {
            Self::Train(t) | Self::Minibatch { train: t, .. } => Some(t),
            _ => None,
        }
    }

    /// The closed forms (exact mode).
    pub fn exact(&mut self) -> Option<(&ExactRbf, &mut ExactWorkspace)> {
        match self {
            Self::Exact(e) => {
                let (ex, ws) = &mut **e;
                Some((ex, ws))
            }
            _ => None,
        }
    }
}

/// Partial Fisher–Yates: after the call, `perm[..p]` is a uniform random p-subset of the
/// indices, in random order (no repeats within a minibatch). [`undo_minibatch`] then restores
/// the identity, so the permutation carries no state from one step to the next.
fn draw_minibatch(perm: &mut [usize], p: usize, rng: &mut StreamRng) {
    let m = perm.len();
    for k in 0..p {
        let j = rng.random_range(k..m);
        perm.swap(k, j);
    }
}

/// Restores `perm` to the identity (O(m) but allocation-free).
fn undo_minibatch(perm: &mut [usize]) {
    for (k, v) in perm.iter_mut().enumerate() {
        *v = k;
    }
}
