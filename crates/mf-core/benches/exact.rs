//! One exact velocity evaluation (the n(n+1)/2 pair work plus products) at d = 5 and d = 25.
//! ns per pair = reported time / (n(n+1)/2).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faer::Par;
use mf_core::dynamics::Velocity;
use mf_core::exact::{ExactRbf, ExactWorkspace};
use mf_core::streams::{Purpose, stream};
use mf_core::{InitC, Network, Rbf};
use spin_target::SpinModel;

fn bench_exact(c: &mut Criterion) {
    let mut g = c.benchmark_group("exact_velocity");
    g.sample_size(10);
    for d in [5usize, 25] {
        for n in [256usize, 1024] {
            let model = SpinModel::new(d, 1).unwrap();
            let sigma = 0.5 * model.radius();
            let net = Network::init(
                &Rbf { sigma },
                n,
                d,
                model.radius(),
                InitC::Normal,
                &mut stream(1, 0, Purpose::Init),
            );
            let ex = ExactRbf::new(model, sigma);
            let mut ws = ExactWorkspace::new(n, d);
            let mut vel = Velocity::zeros(n, d);
            g.throughput(Throughput::Elements((n * (n + 1) / 2) as u64));
            g.bench_function(format!("d{d}_n{n}"), |b| {
                b.iter(|| ex.velocity(&net, &mut ws, &mut vel, Par::rayon(0)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_exact);
criterion_main!(benches);
