//! Log-spaced evaluation steps.
//!
//! The grid is {0} ∪ {round(10^(j/E)) : j = 0, 1, ...} with E points per decade (duplicates
//! merged), independent of the run length, so a run stopped and resumed evaluates at the same
//! steps as an uninterrupted one. The last step of a run is always evaluated as well.

/// The first grid step strictly greater than `step`.
pub fn next_eval(step: u64, per_decade: u32) -> u64 {
    let e = per_decade.max(1) as f64;
    // start just below log10(step + 1) and walk up: at most a few iterations
    let mut j = ((step as f64 + 1.0).log10() * e).floor().max(0.0) as i64 - 2;
    loop {
        let k = grid_point(j.max(0) as u64, e);
        if k > step {
            return k;
        }
        j += 1;
    }
}

fn grid_point(j: u64, e: f64) -> u64 {
    10f64.powf(j as f64 / e).round() as u64
}

/// All grid steps in 0..=last, plus `last`.
pub fn eval_steps(last: u64, per_decade: u32) -> Vec<u64> {
    let mut v = vec![0];
    let mut k = 0;
    loop {
        k = next_eval(k, per_decade);
        if k >= last {
            break;
        }
        v.push(k);
    }
    if last > 0 {
        v.push(last);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_log_spaced_and_increasing() {
        let v = eval_steps(100_000, 10);
        assert_eq!(&v[..4], &[0, 1, 2, 3]);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*v.last().unwrap(), 100_000);
        // 10 per decade at large k: between 10^4 and 10^5 there are 10 grid points
        let decade = v
            .iter()
            .filter(|&&k| (10_000..100_000).contains(&k))
            .count();
        assert_eq!(decade, 10);
        assert!(v.contains(&1000) && v.contains(&10_000));
    }

    #[test]
    fn grid_does_not_depend_on_run_length() {
        let a = eval_steps(500, 7);
        let b = eval_steps(5000, 7);
        assert_eq!(&a[..a.len() - 1], &b[..a.len() - 1]);
    }
}
