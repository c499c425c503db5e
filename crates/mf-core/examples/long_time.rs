//! Time to the answer for the long-time exact flow: the stiff `implicit` rule (RODAS3 with the
//! exact Hessian) against the explicit `adaptive` rule (Bogacki–Shampine 3(2)), RBF, d = 5,
//! σ = R/2, c(0) = 0, seed 1. Prints one markdown table row per (rule, n, t_end): wall seconds,
//! accepted and rejected steps, the mean step over the last decade and the relative loss.
//! Run: `cargo run --release --example long_time [-- N T_IMPLICIT T_ADAPTIVE]`
//! (defaults 32, 1e6, 2e4; the adaptive rule is stability-bound, so its time to 10⁶ is
//! extrapolated linearly from T_ADAPTIVE, a lower bound since its steps keep shrinking).
use mf_core::config::StepRule;
use mf_core::faer::Par;
use mf_core::{InitC, Mode, TrainConfig, Trainer, UnitKind};
use std::time::Instant;

fn run(rule: StepRule, n: usize, t_end: f64) -> (f64, u64, u64, f64, f64) {
    let dt = 0.5;
    let steps = (t_end / dt) as u64;
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), 5, n, steps, dt, 1);
    cfg.mode = Mode::Exact;
    cfg.init_c = InitC::Zero;
    cfg.test_size = 1000;
    cfg.evals_per_decade = 8;
    cfg.step_rule = Some(rule);
    let mut t = Trainer::new(cfg, Par::rayon(0)).expect("valid config");
    let start = Instant::now();
    t.run(steps, &mut |_| {}, &mut |_| Ok(()))
        .expect("the run completes");
    let wall = start.elapsed().as_secs_f64();
    let st = t.stepper().state().expect("adaptive rule");
    let tr = t.trace();
    let last = tr.last().expect("evaluated");
    let decade: Vec<_> = tr.iter().filter(|r| r.time >= last.time / 10.0).collect();
    let mean_dt = (last.time - decade[0].time) / (last.step - decade[0].step).max(1) as f64;
    (
        wall,
        st.accepted,
        st.rejected,
        mean_dt,
        last.relative_test_loss,
    )
}

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(32.0) as usize;
    let t_imp = args.get(1).copied().unwrap_or(1e6);
    let t_ad = args.get(2).copied().unwrap_or(2e4);
    println!("| rule | n | t_end | wall s | accepted | rejected | mean Δt, last decade | ℓ/C_f |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut walls = Vec::new();
    for (rule, t_end) in [
        (StepRule::named("implicit"), t_imp),
        (StepRule::named("adaptive"), t_ad),
    ] {
        let (wall, acc, rej, mean_dt, rel) = run(rule.clone(), n, t_end);
        walls.push((wall, t_end));
        println!(
            "| {rule} | {n} | {t_end:.0e} | {wall:.2} | {acc} | {rej} | {mean_dt:.3e} | {rel:.4e} |"
        );
    }
    let ((wi, ti), (wa, ta)) = (walls[0], walls[1]);
    let extrapolated = wa * ti / ta;
    println!(
        "\nadaptive to t = {ti:.0e}, extrapolated linearly from t = {ta:.0e}: ≥ {extrapolated:.0} s; speed-up of implicit ≥ {:.0}×",
        extrapolated / wi
    );
}
