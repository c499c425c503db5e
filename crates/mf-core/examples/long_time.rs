//! Time to the answer for the long-time exact flow: the stiff rules `implicit` (RODAS3 with the
//! exact Hessian of every step) and `ros34pw2` (Rosenbrock-W, a reused factorisation) against
//! the explicit `adaptive` rule (Bogacki–Shampine 3(2)), RBF, σ = R/2, c(0) = 0, seed 1, on the
//! trainer's evaluation grid (8 per decade), single-threaded unless RAYON_NUM_THREADS says
//! otherwise. Prints one markdown row per rule: wall seconds, accepted and rejected steps, the
//! mean step over the last decade, the relative loss, and the stiff rules' work per accepted
//! step (Hessians, factorisations, solves, velocities).
//!
//! Run: `cargo run --release --example long_time [-- N D T TOL RULES T_ADAPTIVE]`, defaults
//! 32 5 1e6 1e-5 implicit,ros34pw2 2e4 (RULES comma-separated; `adaptive` is run to
//! T_ADAPTIVE only, being stability-bound, and its time to T extrapolated linearly, a lower
//! bound since its steps keep shrinking).
use mf_core::config::StepRule;
use mf_core::faer::Par;
use mf_core::{InitC, Mode, TrainConfig, Trainer, UnitKind};
use std::time::Instant;

struct Row {
    wall: f64,
    accepted: u64,
    rejected: u64,
    mean_dt: f64,
    relative_loss: f64,
    per_step: Option<[f64; 4]>,
}

fn run(rule: &'static str, n: usize, d: usize, t_end: f64, tol: f64) -> Row {
    let dt = 0.5;
    let steps = (t_end / dt) as u64;
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), d, n, steps, dt, 1);
    cfg.mode = Mode::Exact;
    cfg.init_c = InitC::Zero;
    cfg.test_size = 1000;
    cfg.evals_per_decade = 8;
    cfg.tol = tol;
    cfg.step_rule = Some(StepRule::named(rule));
    let par = if std::env::var("RAYON_NUM_THREADS").is_ok() {
        Par::rayon(0)
    } else {
        Par::Seq
    };
    let mut t = Trainer::new(cfg, par).expect("valid config");
    let start = Instant::now();
    t.run(steps, &mut |_| {}, &mut |_| Ok(()))
        .expect("the run completes");
    let wall = start.elapsed().as_secs_f64();
    let st = t.stepper().state().expect("adaptive rule");
    let tr = t.trace();
    let last = tr.last().expect("evaluated");
    let decade: Vec<_> = tr.iter().filter(|r| r.time >= last.time / 10.0).collect();
    let mean_dt = (last.time - decade[0].time) / (last.step - decade[0].step).max(1) as f64;
    let per_step = t.stepper().work().map(|w| {
        let a = st.accepted.max(1) as f64;
        [
            w.hessians as f64 / a,
            w.factorisations as f64 / a,
            w.solves as f64 / a,
            w.velocities as f64 / a,
        ]
    });
    Row {
        wall,
        accepted: st.accepted,
        rejected: st.rejected,
        mean_dt,
        relative_loss: last.relative_test_loss,
        per_step,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: f64| -> f64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let (n, d) = (num(0, 32.0) as usize, num(1, 5.0) as usize);
    let (t_end, tol) = (num(2, 1e6), num(3, 1e-5));
    let rules: Vec<&'static str> = args
        .get(4)
        .map(|r| r.as_str())
        .unwrap_or("implicit,ros34pw2")
        .split(',')
        .map(|r| &*Box::leak(r.to_string().into_boxed_str()))
        .collect();
    let t_adaptive = num(5, 2e4);
    println!(
        "| rule | n | d | t_end | tol | wall s | accepted | rejected | mean Δt, last decade | ℓ/C_f | Hessians / step | factorisations / step | solves / step | velocities / step |"
    );
    println!(
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for rule in rules {
        let t = if rule == "adaptive" {
            t_adaptive
        } else {
            t_end
        };
        let r = run(rule, n, d, t, tol);
        let work = match r.per_step {
            Some(w) => format!("{:.3} | {:.3} | {:.2} | {:.2}", w[0], w[1], w[2], w[3]),
            None => "— | — | — | —".into(),
        };
        println!(
            "| {rule} | {n} | {d} | {t:.0e} | {tol:.0e} | {:.2} | {} | {} | {:.3e} | {:.4e} | {work} |",
            r.wall, r.accepted, r.rejected, r.mean_dt, r.relative_loss
        );
        if rule == "adaptive" {
            println!(
                "\nadaptive to t = {t_end:.0e}, extrapolated linearly from t = {t:.0e}: ≥ {:.0} s\n",
                r.wall * t_end / t
            );
        }
    }
}
