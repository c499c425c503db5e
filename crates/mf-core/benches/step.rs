//! One step of each mode (gd, sgd, online) for RBF and ReLU units at d = 25, P = 4096.

use criterion::{Criterion, criterion_group, criterion_main};
use faer::Par;
use mf_core::{Mode, TrainConfig, Trainer, UnitKind};

fn bench_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("step");
    g.sample_size(10);
    for units in [UnitKind::Rbf, UnitKind::Relu] {
        for mode in [Mode::Gd, Mode::Sgd, Mode::Online] {
            for n in [256usize, 1024] {
                let mut cfg = TrainConfig::new(units, 25, n, 1_000_000, 0.01, 1);
                cfg.mode = mode;
                cfg.batch = 4096;
                cfg.train_size = if mode == Mode::Sgd { 16_384 } else { 4096 };
                cfg.test_size = 1000;
                let mut t = Trainer::new(cfg, Par::rayon(0)).unwrap();
                let name = format!("{}_{}_n{n}_p4096_d25", units.as_str(), mode.as_str());
                g.bench_function(name, |b| b.iter(|| t.step_once().unwrap()));
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
