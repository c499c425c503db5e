//! The W-rule (`ros34pw2`) on the exact 3-spin flow: its accuracy against the RODAS3 rule and a
//! fine explicit reference, bit-for-bit resume, and the same bits on one and two threads.

use mf_core::faer::Par;
use mf_core::{InitC, Mode, StepRule, TrainConfig, Trainer, UnitKind};

/// RBF, d = 5, n = 32, c(0) = 0, Δt = 0.5 (the first step of an adaptive rule), to t = steps/2.
fn config(rule: &'static str, steps: u64, tol: f64) -> TrainConfig {
    let mut c = TrainConfig::new(UnitKind::named("rbf"), 5, 32, steps, 0.5, 1);
    c.mode = Mode::Exact;
    c.test_size = 1000;
    c.init_c = InitC::Zero;
    c.evals_per_decade = 8;
    c.tol = tol;
    c.step_rule = Some(StepRule::named(rule));
    c
}

fn run(cfg: TrainConfig) -> Trainer {
    let steps = cfg.steps;
    let mut t = Trainer::new(cfg, Par::Seq).unwrap();
    t.run(steps, &mut |_| {}, &mut |_| Ok(())).unwrap();
    t
}

fn final_loss(cfg: TrainConfig) -> f64 {
    run(cfg).trace().last().unwrap().test_loss
}

fn bits(t: &Trainer) -> Vec<u64> {
    let net = t.network();
    let mut v: Vec<u64> = net.c.iter().map(|x| x.to_bits()).collect();
    for i in 0..net.width() {
        v.extend(net.z_row(i).iter().map(|x| x.to_bits()));
    }
    v.extend(t.trace().iter().map(|r| r.test_loss.to_bits()));
    v
}

fn relative(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn agrees_with_the_implicit_rule_at_t_1000_and_1e6() {
    for steps in [2000u64, 2_000_000] {
        let w = final_loss(config("ros34pw2", steps, 1e-5));
        let implicit = final_loss(config("implicit", steps, 1e-5));
        let r = relative(w, implicit);
        eprintln!("t = {}: {w} vs {implicit} ({r:.1e})", steps / 2);
        assert!(r < 1e-4, "t = {}: {w} vs {implicit}", steps / 2);
    }
}

#[test]
fn agrees_with_a_fine_explicit_reference_at_t_600() {
    let w = final_loss(config("ros34pw2", 1200, 1e-5));
    // Bogacki–Shampine at a tolerance 10⁴ times tighter: its time error is far below 1e-4
    let reference = final_loss(config("bogacki-shampine", 1200, 1e-9));
    let r = relative(w, reference);
    eprintln!("t = 600: {w} vs {reference} ({r:.1e})");
    assert!(r < 1e-4, "{w} vs {reference}");
}

#[test]
fn a_resumed_run_equals_the_uninterrupted_one_bit_for_bit() {
    let cfg = config("ros34pw2", 4000, 1e-5);
    let whole = run(cfg.clone());
    // interrupted at an evaluation of the whole run (where the CLI writes its checkpoints)
    let at = whole
        .trace()
        .iter()
        .map(|r| (r.time / cfg.dt).round() as u64)
        .find(|&g| g >= 1000)
        .unwrap();
    assert!(at < 4000, "{at}");
    let mut first = Trainer::new(cfg, Par::Seq).unwrap();
    first.run(at, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let json = serde_json::to_string(&first.checkpoint()).unwrap();
    assert!(
        json.contains("stepper_memory"),
        "the error model is checkpointed"
    );
    let mut resumed =
        Trainer::from_checkpoint(serde_json::from_str(&json).unwrap(), Par::Seq).unwrap();
    resumed.run(4000, &mut |_| {}, &mut |_| Ok(())).unwrap();
    assert_eq!(bits(&whole), bits(&resumed));
    assert_eq!(whole.stepper().state(), resumed.stepper().state());
}

#[test]
fn the_same_bits_on_one_and_two_threads() {
    let go = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let cfg = config("ros34pw2", 600, 1e-5);
            let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
            t.run(600, &mut |_| {}, &mut |_| Ok(())).unwrap();
            (bits(&t), t.stepper().work())
        })
    };
    let (one, two) = (go(1), go(2));
    assert_eq!(one, two);
    let work = one.1.unwrap();
    assert!(work.factorisations > 0 && work.solves >= 4 * work.factorisations);
}
