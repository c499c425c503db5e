//! Birth–death dynamics (`--birth-death`): the potential against the loss's derivative, the
//! dynamics in every mode and unit, α = 0 as today's bits, resume and threads bit for bit, and
//! the speed-up on a problem with a known answer.

use mf_core::dynamics::birth_death::{BirthDeath, Variant, potentials};
use mf_core::exact::{ExactRbf, ExactWorkspace};
use mf_core::faer::Par;
use mf_core::streams::{Purpose, stream};
use mf_core::target::{RbfTeacher, TargetName};
use mf_core::{InitC, Mode, Network, Rbf, StepRule, TrainConfig, Trainer, UnitKind, Velocity};
use std::sync::Arc;

fn bd(rate: f64, variant: Variant, until: Option<f64>) -> Option<BirthDeath> {
    Some(BirthDeath {
        rate,
        variant,
        until,
        every: None,
    })
}

/// RBF on a teacher of one unit, d = 5, n = 16, exact mode, c(0) = 0, to t = `time`.
fn one_unit_teacher(time: f64, birth_death: Option<BirthDeath>) -> TrainConfig {
    let mut c = TrainConfig::new(UnitKind::named("rbf"), 5, 16, (time / 0.5) as u64, 0.5, 1);
    c.mode = Mode::Exact;
    c.target = TargetName::named("teacher");
    c.teacher_width = Some(1);
    c.test_size = 200;
    c.init_c = InitC::Zero;
    c.evals_per_decade = 40;
    c.birth_death = birth_death;
    c
}

fn run(cfg: TrainConfig, par: Par) -> Trainer {
    let steps = cfg.steps;
    let mut t = Trainer::new(cfg, par).unwrap();
    t.run(steps, &mut |_| {}, &mut |_| Ok(())).unwrap();
    t
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

/// The first recorded time with relative loss ≤ `level`.
fn time_to(t: &Trainer, level: f64) -> Option<f64> {
    t.trace()
        .iter()
        .find(|r| r.relative_test_loss <= level)
        .map(|r| r.time)
}

#[test]
fn the_potential_is_n_c_times_the_loss_derivative_in_c() {
    // V_i = −c_i v^c_i = n c_i ∂ℓ/∂c_i: the first variation of the loss at particle i
    let (d, n) = (5, 9);
    let sigma = 0.5 * (d as f64).sqrt();
    let teacher = Arc::new(RbfTeacher::random(d, 40, sigma, 2).unwrap());
    let ex = ExactRbf::with_teacher(teacher);
    let unit = Rbf { sigma };
    let net = Network::init(
        &unit,
        n,
        d,
        (d as f64).sqrt(),
        InitC::Normal,
        &mut stream(4, 0, Purpose::Init),
    );
    let mut ws = ExactWorkspace::new(n, d);
    let mut vel = Velocity::zeros(n, d);
    ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
    let mut v = vec![0.0; n];
    potentials(&net.c, &vel.c, &mut v);
    let h = 1e-6;
    for (i, vi) in v.iter().enumerate() {
        let (mut a, mut b) = (net.clone(), net.clone());
        a.c[i] += h;
        b.c[i] -= h;
        let fd = (ex.loss(&a, &mut ws, Par::Seq) - ex.loss(&b, &mut ws, Par::Seq)) / (2.0 * h);
        let want = n as f64 * net.c[i] * fd;
        assert!(
            (vi - want).abs() < 1e-7 * (1.0 + want.abs()),
            "unit {i}: {vi} vs {want}"
        );
    }
}

#[test]
fn a_zero_rate_is_todays_dynamics_bit_for_bit() {
    for (mode, rule) in [
        (Mode::Exact, None),
        (Mode::Online, Some("euler")),
        (Mode::Sgd, Some("euler")),
    ] {
        let mut base = TrainConfig::new(UnitKind::named("rbf"), 4, 8, 60, 0.5, 3);
        base.mode = mode;
        base.test_size = 100;
        base.train_size = 256;
        base.batch = 32;
        base.init_c = InitC::Normal;
        base.step_rule = rule.map(StepRule::named);
        let mut zero = base.clone();
        zero.birth_death = bd(0.0, Variant::Prior, None);
        assert_eq!(
            bits(&run(base, Par::Seq)),
            bits(&run(zero, Par::Seq)),
            "{mode:?}"
        );
    }
}

#[test]
fn every_mode_and_unit_keeps_n_units_and_counts_its_jumps() {
    for (units, mode) in [
        ("rbf", Mode::Exact),
        ("rbf", Mode::Gd),
        ("rbf", Mode::Sgd),
        ("rbf", Mode::Online),
        ("relu", Mode::Gd),
        ("relu", Mode::Online),
    ] {
        for variant in [Variant::Clone, Variant::Prior] {
            let mut c = TrainConfig::new(UnitKind::named(units), 4, 12, 200, 0.05, 5);
            c.mode = mode;
            c.test_size = 100;
            c.train_size = 256;
            c.batch = 32;
            c.init_c = InitC::Normal;
            c.step_rule = Some(StepRule::named("euler"));
            c.birth_death = bd(50.0, variant, None);
            let t = run(c, Par::Seq);
            assert_eq!(t.network().width(), 12);
            let counts = t.birth_death_counts();
            assert!(
                counts.births + counts.deaths > 0,
                "{units} {mode:?} {variant:?}: no jumps"
            );
            assert!(t.trace().iter().all(|r| r.test_loss.is_finite()));
        }
    }
}

#[test]
fn birth_death_reaches_the_one_unit_teacher_faster() {
    // units start on the sphere with c = 0; the teacher is one unit: transport alone must move
    // a unit onto it, birth–death clones the units that are closest
    let alone = run(one_unit_teacher(400.0, None), Par::Seq);
    let clone = run(
        one_unit_teacher(400.0, bd(1.0, Variant::Clone, None)),
        Par::Seq,
    );
    let prior = run(
        one_unit_teacher(400.0, bd(1.0, Variant::Prior, None)),
        Par::Seq,
    );
    let level = 0.1;
    let t0 = time_to(&alone, level).expect("transport alone gets there by t = 400");
    for (t, what) in [(&clone, "clone"), (&prior, "prior")] {
        let t1 = time_to(t, level).expect("birth–death gets there");
        eprintln!(
            "{what}: time to ℓ/C_f ≤ {level}: {t1} vs {t0} alone ({:.2}×)",
            t0 / t1
        );
        assert!(t0 / t1 >= 1.5, "{what}: speed-up {:.2}", t0 / t1);
    }
}

#[test]
fn the_quench_stops_the_jumps() {
    let t = run(
        one_unit_teacher(100.0, bd(1.0, Variant::Clone, Some(1e-3))),
        Par::Seq,
    );
    // only the first step (t < 10⁻³ at its start) may jump, and c = 0 there gives V = 0
    assert_eq!(
        t.birth_death_counts().births + t.birth_death_counts().deaths,
        0
    );
    let jumping = run(
        one_unit_teacher(100.0, bd(1.0, Variant::Clone, Some(60.0))),
        Par::Seq,
    );
    let always = run(
        one_unit_teacher(100.0, bd(1.0, Variant::Clone, None)),
        Par::Seq,
    );
    let (a, b) = (jumping.birth_death_counts(), always.birth_death_counts());
    assert!(
        a.births + a.deaths > 0 && a.births + a.deaths < b.births + b.deaths,
        "{a:?} {b:?}"
    );
}

#[test]
fn a_resumed_run_and_two_threads_give_the_same_bits() {
    for (mode, rule, every) in [
        (Mode::Exact, "bogacki-shampine", None),
        (Mode::Exact, "ros34pw2", None),
        (Mode::Exact, "ros34pw2", Some(7.0)),
        (Mode::Online, "euler", None),
    ] {
        let mut cfg = one_unit_teacher(300.0, bd(2.0, Variant::Prior, None));
        if let Some(b) = cfg.birth_death.as_mut() {
            b.every = every;
        }
        cfg.mode = mode;
        cfg.step_rule = Some(StepRule::named(rule));
        cfg.batch = 64;
        cfg.evals_per_decade = 8;
        let whole = run(cfg.clone(), Par::Seq);
        let at = whole
            .trace()
            .iter()
            .map(|r| (r.time / cfg.dt).round() as u64)
            .find(|&g| g >= 200)
            .unwrap();
        let mut first = Trainer::new(cfg.clone(), Par::Seq).unwrap();
        first.run(at, &mut |_| {}, &mut |_| Ok(())).unwrap();
        let json = serde_json::to_string(&first.checkpoint()).unwrap();
        assert!(json.contains("birth_death"));
        let mut resumed =
            Trainer::from_checkpoint(serde_json::from_str(&json).unwrap(), Par::Seq).unwrap();
        resumed
            .run(cfg.steps, &mut |_| {}, &mut |_| Ok(()))
            .unwrap();
        assert_eq!(bits(&whole), bits(&resumed), "{mode:?} {rule}: resume");
        assert_eq!(whole.birth_death_counts(), resumed.birth_death_counts());
        assert!(
            whole.birth_death_counts().births > 0,
            "{mode:?} {rule}: jumps happened"
        );
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| run(cfg.clone(), Par::rayon(0)));
        assert_eq!(bits(&whole), bits(&two), "{mode:?} {rule}: threads");
    }
}

#[test]
fn jumps_at_an_interval_are_drawn_once_per_interval() {
    let with = |every: Option<f64>| {
        let mut cfg = one_unit_teacher(400.0, bd(1.0, Variant::Clone, None));
        cfg.step_rule = Some(StepRule::named("ros34pw2"));
        if let Some(b) = cfg.birth_death.as_mut() {
            b.every = every;
        }
        let t = run(cfg, Par::Seq);
        (
            t.birth_death_counts(),
            t.stepper().state().unwrap().accepted,
        )
    };
    let (each, steps) = with(None);
    let (tau, _) = with(Some(20.0));
    assert_eq!(each.occasions, steps, "after every step");
    // every occasion covers at least 20 of the 400 (a step may carry past an interval's end)
    assert!((1..=20).contains(&tau.occasions), "{}", tau.occasions);
    assert!(tau.occasions < each.occasions);
    assert!(tau.births + tau.deaths > 0, "it still jumps");
}
