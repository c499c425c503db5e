//! A new unit in one file: a sigmoid ridge unit φ(x, (a, b)) = s(a·x + b), s(u) = 1/(1 + e^{−u}),
//! trained with online SGD, stopped, and resumed from its checkpoint. Only the math is written
//! here (φ, ∇φ, the initial law and the unit's identity): without a kernel of its own the unit
//! runs on the reference batched passes (correct, not tuned for speed).
//! Run: `cargo run --release --example custom_unit`
use mf_core::faer::Par;
use mf_core::streams::StreamRng;
use mf_core::train::Extensions;
use mf_core::{Mode, TrainConfig, Trainer, Unit, UnitKind, UnitSpec};
use rand_distr::{Distribution, StandardNormal};

/// φ(x, (a, b)) = s(a·x + b): parameters z = (a, b) ∈ ℝ^{d+1}.
struct Sigmoid;

impl Sigmoid {
    fn pre(z: &[f64], x: &[f64]) -> f64 {
        z[..x.len()].iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + z[x.len()]
    }
}

impl Unit for Sigmoid {
    fn spec(&self) -> UnitSpec {
        UnitSpec::new("sigmoid", &[])
    }
    fn param_dim(&self, dim: usize) -> usize {
        dim + 1
    }
    fn phi(&self, z: &[f64], x: &[f64]) -> f64 {
        1.0 / (1.0 + (-Self::pre(z, x)).exp())
    }
    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]) {
        let s = self.phi(z, x);
        let ds = s * (1.0 - s); // ∂φ/∂a = s'(u) x, ∂φ/∂b = s'(u)
        for (o, xk) in out.iter_mut().zip(x) {
            *o = ds * xk;
        }
        out[x.len()] = ds;
    }
    fn init_params(&self, rng: &mut StreamRng, dim: usize, _radius: f64, z: &mut [f64]) {
        // a ~ N(0, I/d) so that a·x = O(1) on the sphere of radius √d; b ~ N(0, 1)
        for zk in z[..dim].iter_mut() {
            let g: f64 = StandardNormal.sample(rng);
            *zk = g / (dim as f64).sqrt();
        }
        z[dim] = StandardNormal.sample(rng);
    }
    fn state_parts(&self, dim: usize) -> Vec<(&'static str, usize)> {
        vec![("z", dim), ("b", 1)]
    }
}

/// Rebuilds the units this program knows from their spec (for resuming).
fn units(spec: &UnitSpec) -> Option<Box<dyn Unit>> {
    match spec.name.as_str() {
        "sigmoid" => Some(Box::new(Sigmoid)),
        _ => mf_core::unit::builtin_unit(spec),
    }
}

fn main() -> Result<(), mf_core::TrainError> {
    let mut cfg = TrainConfig::new(UnitKind::CUSTOM, 5, 64, 400, 0.5, 1);
    cfg.mode = Mode::Online;
    cfg.batch = 256;
    cfg.test_size = 10_000;
    let mut trainer = Trainer::with_unit(cfg, Box::new(Sigmoid), Par::rayon(0))?;
    trainer.run(200, &mut |_| {}, &mut |_| Ok(()))?;
    // stop, and continue from the checkpoint: the unit comes back from its spec
    let checkpoint = trainer.checkpoint();
    let ext = Extensions {
        units: &units,
        ..Extensions::default()
    };
    let mut trainer = Trainer::from_checkpoint_with(checkpoint, &ext, Par::rayon(0))?;
    trainer.run(400, &mut |_| {}, &mut |_| Ok(()))?;
    for r in trainer.trace() {
        println!(
            "t = {:>6.1}   relative test loss = {:.4}",
            r.time, r.relative_test_loss
        );
    }
    Ok(())
}
