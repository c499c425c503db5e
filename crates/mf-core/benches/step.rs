//! One step of each mode for RBF and ReLU units at d = 25, P = 4096, beside the unavoidable
//! kernels of that step measured alone in the same run (so the ratio step / kernels is stable on
//! a noisy machine), and the step on 1 and 2 threads.
//!
//! Kernels of an RBF step: S = Z Xᵀ (n × d · d × P), G = Φ · diag(r) X̃ (n × P · P × (d+1)) and one
//! exp over the n × P entries; of a ReLU step the same with max instead of exp. The products are
//! measured with faer's own parallel product (a reference: the step's own contraction,
//! `unit/contract.rs`, is faster than faer at this shape).

use criterion::{Criterion, criterion_group, criterion_main};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use mf_core::kernels::exp::exp_in_place_fused;
use mf_core::{Mode, TrainConfig, Trainer, UnitKind};
use std::hint::black_box;

const D: usize = 25;
const P: usize = 4096;

fn trainer(units: UnitKind, mode: Mode, n: usize) -> Trainer {
    let mut cfg = TrainConfig::new(units, D, n, 1_000_000, 0.01, 1);
    cfg.mode = mode;
    cfg.batch = P;
    cfg.train_size = if mode == Mode::Sgd { 4 * P } else { P };
    cfg.test_size = 1000;
    if mode == Mode::Exact {
        cfg.step_rule = Some(mf_core::config::StepRule::named("fixed"));
    }
    Trainer::new(cfg, Par::rayon(0)).unwrap()
}

fn bench_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("step");
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    for n in [256usize, 1024, 4096] {
        for units in [UnitKind::named("rbf"), UnitKind::named("relu")] {
            for mode in [Mode::Gd, Mode::Sgd, Mode::Online] {
                let mut t = trainer(units.clone(), mode, n);
                let name = format!("{}_{}_n{n}", units.as_str(), mode.as_str());
                g.bench_function(name, |b| b.iter(|| t.step_once().unwrap()));
            }
        }
        if n <= 1024 {
            let mut t = trainer(UnitKind::named("rbf"), Mode::Exact, n);
            g.bench_function(format!("rbf_exact_n{n}"), |b| {
                b.iter(|| t.step_once().unwrap())
            });
        }
        // the kernels alone
        let z = Mat::<f64>::from_fn(n, D, |i, j| ((i * 3 + j) % 7) as f64 * 0.1);
        let x = Mat::<f64>::from_fn(P, D + 1, |i, j| ((i + 2 * j) % 5) as f64 * 0.1);
        let mut s = Mat::<f64>::zeros(n, P);
        let mut out = Mat::<f64>::zeros(n, D + 1);
        let mut buf = vec![-0.5f64; n * P];
        g.bench_function(format!("kernel_zxt_n{n}"), |b| {
            b.iter(|| {
                matmul(
                    s.as_mut(),
                    Accum::Replace,
                    z.as_ref(),
                    x.as_ref().subcols(0, D).transpose(),
                    1.0,
                    Par::rayon(0),
                )
            })
        });
        g.bench_function(format!("kernel_phix_n{n}"), |b| {
            b.iter(|| {
                matmul(
                    out.as_mut(),
                    Accum::Replace,
                    s.as_ref(),
                    x.as_ref(),
                    1.0,
                    Par::rayon(0),
                )
            })
        });
        g.bench_function(format!("kernel_exp_n{n}"), |b| {
            b.iter(|| {
                use rayon::prelude::*;
                buf.par_chunks_mut(n).for_each(exp_in_place_fused);
                black_box(&buf);
            })
        });
        // the same exp work on one cache-resident 128 × 256 tile per thread (its compute limit)
        let tile = 128 * 256;
        let threads = rayon::current_num_threads();
        let mut tiles = vec![-0.5f64; threads * tile];
        let passes = (n * P).div_ceil(tile * threads);
        g.bench_function(format!("kernel_exp_in_cache_n{n}"), |b| {
            b.iter(|| {
                use rayon::prelude::*;
                tiles.par_chunks_mut(tile).for_each(|t| {
                    for _ in 0..passes {
                        t.iter_mut().for_each(|v| *v = -0.5 - 1e-3 * *v);
                        exp_in_place_fused(t);
                    }
                });
                black_box(&tiles);
            })
        });
        g.bench_function(format!("kernel_max_n{n}"), |b| {
            b.iter(|| {
                use rayon::prelude::*;
                buf.par_chunks_mut(n)
                    .for_each(|col| col.iter_mut().for_each(|v| *v = v.max(0.0)));
                black_box(&buf);
            })
        });
    }
    // the online step's other work: drawing P points and the 3-spin target on them
    let target = mf_core::SpinTarget::new(mf_core::spin_target::SpinModel::new(D, 1).unwrap());
    let mut rng = mf_core::streams::stream(1, 0, mf_core::streams::Purpose::Samples);
    let mut pts = mf_core::PointSet::zeros(P, D);
    g.bench_function("online_sample_points", |b| {
        b.iter(|| {
            mf_core::spin_target::sample_sphere(&mut rng, 5.0, pts.x_mut());
            black_box(&pts);
        })
    });
    g.bench_function("online_target_values", |b| {
        b.iter(|| pts.set_targets(&target, Par::rayon(0)))
    });
    // 1 thread vs 2 threads
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut t = pool.install(|| trainer(UnitKind::named("rbf"), Mode::Online, 1024));
        g.bench_function(format!("rbf_online_n1024_threads{threads}"), |b| {
            b.iter(|| pool.install(|| t.step_once().unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
