//! Batched 3-spin energy at d = 25, P = 8192, beside one faer product with the same flop count
//! (and one with the flops of the unreduced Kronecker form, for scale).

use criterion::{Criterion, criterion_group, criterion_main};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use spin_target::{EnergyWorkspace, Purpose, SpinModel, sample_sphere, stream};
use std::hint::black_box;

fn bench_energy(c: &mut Criterion) {
    let (d, p) = (25usize, 8192usize);
    let model = SpinModel::new(d, 1).unwrap();
    let mut x = Mat::<f64>::zeros(p, d);
    sample_sphere(
        &mut stream(1, 0, Purpose::Samples),
        model.radius(),
        x.as_mut(),
    );
    let mut ws = EnergyWorkspace::new(d);
    let mut out = vec![0.0; p];
    let mut g = c.benchmark_group("spin_energy");
    g.sample_size(20);
    g.bench_function("energies_d25_p8192", |b| {
        b.iter(|| model.energies_into(black_box(x.as_ref()), &mut out, &mut ws, Par::rayon(0)))
    });
    // the same flops: H = X Tᵀ is (P × d)·(d × m), m = d(d+1)/2; and the product of the
    // unreduced Kronecker form (P × d²)·(d² × d) that ignores the symmetry of the tensor
    for (name, k, cols) in [
        ("matmul_same_flops", d, d * (d + 1) / 2),
        ("matmul_kronecker_form", d * d, d),
    ] {
        let a = Mat::<f64>::from_fn(p, k, |i, j| ((i + j) % 7) as f64);
        let bm = Mat::<f64>::from_fn(cols, k, |i, j| ((i * j) % 5) as f64);
        let mut cm = Mat::<f64>::zeros(p, cols);
        g.bench_function(name, |b| {
            b.iter(|| {
                matmul(
                    cm.as_mut(),
                    Accum::Replace,
                    a.as_ref(),
                    bm.transpose(),
                    1.0,
                    Par::rayon(0),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_energy);
criterion_main!(benches);
