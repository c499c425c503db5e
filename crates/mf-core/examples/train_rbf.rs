//! Train 128 Gaussian units on the 3-spin target in d = 5 with the library API (no CLI).
//! Run: `cargo run --release --example train_rbf`
use mf_core::faer::Par;
use mf_core::{Mode, TrainConfig, Trainer, UnitKind};

fn main() -> Result<(), mf_core::TrainError> {
    // units, dimension, width n, steps, mean-field Δt, seed
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), 5, 128, 2000, 0.25, 4);
    cfg.mode = Mode::Online; // P fresh points from the sphere every step
    cfg.batch = 512;
    cfg.test_size = 20_000;
    let mut trainer = Trainer::new(cfg, Par::rayon(0))?;
    trainer.run(2000, &mut |_| {}, &mut |t| {
        let r = t.trace().last().expect("an evaluation was just recorded");
        println!(
            "t = {:>7.2}   relative test loss = {:.4}",
            r.time, r.relative_test_loss
        );
        Ok(())
    })?;
    Ok(())
}
