//! A step rule written outside the crate, run and resumed: the explicit midpoint rule
//! (second order, fixed step),
//!
//! ```text
//! k₁ = v(θ),  k₂ = v(θ + Δt/2 k₁),  θ ← θ + Δt k₂,
//! ```
//!
//! plugged in with `Trainer::with_stepper` (the config records its name, `midpoint`), stopped
//! at a checkpoint and continued with `Trainer::from_checkpoint_with` and a factory that
//! rebuilds the rule from that name; the continued run equals the uninterrupted one bit for
//! bit. Run: `cargo run --release --example custom_step_rule`
use mf_core::dynamics::{Field, RuleContext, StepError, StepOutcome, Stepper};
use mf_core::faer::Par;
use mf_core::train::Extensions;
use mf_core::{Mode, Network, TrainConfig, Trainer, Velocity};

/// The explicit midpoint rule (module docs).
struct Midpoint {
    k1: Velocity,
    k2: Velocity,
    stage: Network,
}

impl Midpoint {
    fn new(ctx: &RuleContext<'_>) -> Self {
        let (n, q) = (ctx.net.width(), ctx.net.param_dim());
        Self {
            k1: Velocity::zeros(n, q),
            k2: Velocity::zeros(n, q),
            stage: Network::zeros(n, q),
        }
    }
}

impl Stepper for Midpoint {
    fn name(&self) -> &'static str {
        "midpoint"
    }

    fn is_adaptive(&self) -> bool {
        false
    }

    fn step(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        span: f64,
    ) -> Result<StepOutcome, StepError> {
        let loss_before = field.velocity(net, &mut self.k1);
        self.stage.set_lincomb(net, span, &[(0.5, &self.k1)]);
        field.velocity(&self.stage, &mut self.k2);
        net.axpy(span, &self.k2);
        Ok(StepOutcome {
            dt: span,
            loss_before,
            loss_after: None,
        })
    }
}

/// Rebuilds the rules this program knows from the name a checkpoint records.
fn steppers(name: &str, ctx: &RuleContext<'_>) -> Option<Box<dyn Stepper>> {
    (name == "midpoint").then(|| Box::new(Midpoint::new(ctx)) as Box<dyn Stepper>)
}

fn main() -> Result<(), mf_core::TrainError> {
    let mut cfg = TrainConfig::new("rbf", 5, 32, 400, 0.5, 1);
    cfg.mode = Mode::Exact;
    cfg.test_size = 2000;
    let start = |cfg: TrainConfig| -> Result<Trainer, mf_core::TrainError> {
        let t = Trainer::new(cfg, Par::rayon(0))?;
        let ctx = RuleContext {
            net: t.network(),
            dt: t.config().dt,
            h_max: f64::INFINITY,
            tol: t.config().tol,
            floor: 0.0,
        };
        let rule = Box::new(Midpoint::new(&ctx));
        Ok(t.with_stepper(rule))
    };
    // uninterrupted
    let mut whole = start(cfg.clone())?;
    whole.run(400, &mut |_| {}, &mut |_| Ok(()))?;
    // stopped at step 200, continued from the checkpoint
    let mut first = start(cfg)?;
    first.run(200, &mut |_| {}, &mut |_| Ok(()))?;
    let checkpoint = first.checkpoint();
    println!(
        "the checkpoint records the rule {:?}",
        checkpoint.config.step_rule
    );
    let ext = Extensions {
        steppers: &steppers,
        ..Extensions::default()
    };
    let mut resumed = Trainer::from_checkpoint_with(checkpoint, &ext, Par::rayon(0))?;
    resumed.run(400, &mut |_| {}, &mut |_| Ok(()))?;
    assert_eq!(resumed.network(), whole.network(), "the same bits");
    for r in resumed.trace() {
        println!(
            "t = {:>6.1}   relative test loss = {:.6}",
            r.time, r.relative_test_loss
        );
    }
    println!("resumed run equals the uninterrupted one bit for bit");
    Ok(())
}
