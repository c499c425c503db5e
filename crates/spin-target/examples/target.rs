//! Evaluate the 3-spin target on random points of the sphere, and its exact ‖f‖² against a
//! Monte-Carlo mean. Run: `cargo run --release --example target`
use spin_target::faer::Mat;
use spin_target::{Purpose, SpinModel, sample_sphere, stream};

fn main() {
    let (d, m) = (25, 200_000);
    let model = SpinModel::new(d, 1).expect("d in 1..=512");
    let mut x = Mat::<f64>::zeros(m, d);
    sample_sphere(
        &mut stream(1, 0, Purpose::Samples),
        model.radius(),
        x.as_mut(),
    );
    let f = model.energies(x.as_ref()); // batched: two matrix products
    println!("f at the first points: {:?}", &f[..4]);
    let mc = f.iter().map(|v| v * v).sum::<f64>() / m as f64;
    let var = f.iter().map(|v| (v * v - mc).powi(2)).sum::<f64>() / (m - 1) as f64;
    println!(
        "∫ f² dν: exact {:.6}, Monte-Carlo {:.6} ± {:.6}",
        model.mean_square(),
        mc,
        (var / m as f64).sqrt()
    );
    println!(
        "C_f = ½ ∫ f² dν = {:.6} (loss of the zero network)",
        model.zero_network_loss()
    );
}
