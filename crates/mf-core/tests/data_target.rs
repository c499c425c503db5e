//! Training on a data set of your own (`data` target): the loss is the empirical loss of the
//! set, gd learns a function it can represent, sgd draws from the set, resume is bit for bit,
//! and every misuse is refused naming its field.

use mf_core::data::{DataSets, Dataset};
use mf_core::faer::Par;
use mf_core::target::{DataTarget, TargetName};
use mf_core::{Mode, TrainConfig, TrainError, Trainer, UnitKind};
use std::sync::Arc;

/// P points in d = 3, off any sphere (radii 0.5–3), with y = a teacher of two bumps.
fn data(p: usize, shift: f64) -> Dataset {
    let d = 3;
    let mut x = Vec::with_capacity(p * d);
    let mut y = Vec::with_capacity(p);
    for i in 0..p {
        let t = i as f64 + shift;
        let r = 0.5 + 2.5 * ((t * 0.37).sin() * 0.5 + 0.5);
        let v = [(t * 1.3).cos(), (t * 0.7).sin(), (t * 2.1).cos()];
        let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let xi: Vec<f64> = v.iter().map(|a| r * a / norm).collect();
        let bump = |c: [f64; 3], s: f64| {
            let d2: f64 = xi.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum();
            (-d2 / (2.0 * s * s)).exp()
        };
        y.push(1.5 * bump([1.0, 0.0, 0.0], 0.8) - bump([0.0, -1.0, 0.5], 0.8));
        x.extend(xi);
    }
    Dataset::new(x, y, d, "arrays").unwrap()
}

fn config(set: &Dataset, test: Option<&Dataset>, mode: Mode, steps: u64) -> TrainConfig {
    let mut c = TrainConfig::new(UnitKind::named("rbf"), set.dim(), 24, steps, 0.05, 3);
    c.mode = mode;
    c.target = TargetName::named("data");
    c.train_size = set.len();
    c.test_size = test.unwrap_or(set).len();
    c.batch = 16;
    c.evals_per_decade = 10;
    c.data = Some(DataSets {
        train: set.source(None),
        test: test.map(|t| t.source(None)),
    });
    c
}

fn trainer(
    cfg: &TrainConfig,
    set: &Dataset,
    test: Option<&Dataset>,
) -> Result<Trainer, TrainError> {
    let target = Arc::new(DataTarget::new(set.clone(), test.cloned()).unwrap());
    let unit = cfg.builtin_unit().unwrap();
    Trainer::with_target(cfg.clone(), unit, target, Par::Seq)
}

/// ½ mean (y − f_n(x))² over `set`, from the particles alone.
fn empirical_loss(t: &Trainer, set: &Dataset) -> f64 {
    let sigma = t.unit().gaussian_width().unwrap();
    let d = set.dim();
    let net = t.network();
    let z = net.z_rows();
    let n = net.width();
    let s: f64 = (0..set.len())
        .map(|p| {
            let x = &set.x()[p * d..(p + 1) * d];
            // f_n(x) = (1/n) Σ c_i exp(−|x − z_i|²/(2σ²))
            let f: f64 = (0..n)
                .map(|i| {
                    let d2: f64 = x.iter().zip(&z[i]).map(|(a, b)| (a - b) * (a - b)).sum();
                    net.c[i] * (-d2 / (2.0 * sigma * sigma)).exp()
                })
                .sum::<f64>()
                / n as f64;
            let r = set.y()[p] - f;
            r * r
        })
        .sum();
    0.5 * s / set.len() as f64
}

#[test]
fn gd_descends_the_empirical_loss_of_the_set() {
    let set = data(200, 0.0);
    let test = data(100, 1000.5);
    let cfg = config(&set, Some(&test), Mode::Gd, 3000);
    let mut t = trainer(&cfg, &set, Some(&test)).unwrap();
    // the scale of the run is the data's: R = RMS radius, σ = R/2
    assert_eq!(t.target().radius(), set.rms_radius());
    assert_eq!(t.unit().gaussian_width(), Some(0.5 * set.rms_radius()));
    t.run(cfg.steps, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let first = &t.trace()[0];
    // zero charges: the loss of the zero network, C_f = ½ mean y² of the training set
    assert_eq!(first.train_loss, Some(set.zero_network_loss()));
    assert!(
        (first.relative_test_loss - test.zero_network_loss() / set.zero_network_loss()).abs()
            < 1e-12
    );
    let last = t.trace().last().unwrap();
    let train = empirical_loss(&t, &set);
    let held_out = empirical_loss(&t, &test);
    assert!(
        (last.train_loss.unwrap() - train).abs() <= 1e-10 * train,
        "{last:?} {train}"
    );
    assert!((last.test_loss - held_out).abs() <= 1e-10 * held_out);
    // it learns: the training loss falls by more than 5×
    assert!(
        train < 0.2 * set.zero_network_loss(),
        "{train} vs {}",
        set.zero_network_loss()
    );
}

#[test]
fn sgd_draws_minibatches_from_the_set_and_resumes_bit_for_bit() {
    let set = data(64, 0.0);
    let cfg = config(&set, None, Mode::Sgd, 400);
    let mut whole = trainer(&cfg, &set, None).unwrap();
    whole.run(400, &mut |_| {}, &mut |_| Ok(())).unwrap();
    assert!(whole.trace().last().unwrap().test_loss < set.zero_network_loss());
    // without a test set the test loss is the training loss
    let last = whole.trace().last().unwrap();
    assert_eq!(Some(last.test_loss), last.train_loss);
    let mut half = trainer(&cfg, &set, None).unwrap();
    half.run(150, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let target = Arc::new(DataTarget::new(set.clone(), None).unwrap());
    let ext = mf_core::train::Extensions {
        target: Some(target),
        ..Default::default()
    };
    let mut resumed =
        Trainer::from_checkpoint_with(half.checkpoint(), &ext, Par::rayon(2)).unwrap();
    resumed.run(400, &mut |_| {}, &mut |_| Ok(())).unwrap();
    let bits = |t: &Trainer| {
        t.network()
            .c
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&resumed), bits(&whole));
    assert_eq!(resumed.network().z_rows(), whole.network().z_rows());
}

#[test]
fn misuse_is_refused_naming_the_field() {
    let set = data(50, 0.0);
    let field = |cfg: &TrainConfig| match trainer(cfg, &set, None) {
        Err(TrainError::Config { field, .. }) => field,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted"),
    };
    for mode in [Mode::Online, Mode::Exact] {
        assert_eq!(field(&config(&set, None, mode, 10)), "mode");
    }
    let mut c = config(&set, None, Mode::Gd, 10);
    c.train_size = 49;
    assert_eq!(field(&c), "train_size");
    let mut c = config(&set, None, Mode::Gd, 10);
    c.test_size = 1000;
    assert_eq!(field(&c), "test_size");
    let mut c = config(&set, None, Mode::Gd, 10);
    c.dim = 4;
    assert_eq!(field(&c), "dim");
    let mut c = config(&set, None, Mode::Gd, 10);
    c.target = TargetName::default();
    assert_eq!(field(&c), "target");
    let mut c = config(&set, None, Mode::Gd, 10);
    c.data = None;
    assert_eq!(field(&c), "data");
    // a config recording another set than the target holds
    let other = data(50, 7.0);
    let c = config(&other, None, Mode::Gd, 10);
    match trainer(&c, &set, None) {
        Err(TrainError::Data(e)) => assert!(e.to_string().contains("changed"), "{e}"),
        other => panic!("{:?}", other.err()),
    }
    // from a config alone, a set given as arrays cannot be found again
    match Trainer::new(config(&set, None, Mode::Gd, 10), Par::Seq) {
        Err(TrainError::Data(e)) => assert!(e.to_string().contains("give them again"), "{e}"),
        other => panic!("{:?}", other.err()),
    }
}
