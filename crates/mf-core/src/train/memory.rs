//! The dense N × N matrices of a run, N = n(q + 1) parameters, and the refusal up front of a
//! size whose matrices this machine cannot hold.
//!
//! Only exact mode has a Hessian H = n∇²ℓ, so only exact mode holds N × N matrices:
//!
//! - a step rule declares the N × N matrices it keeps
//!   ([`crate::dynamics::StepRuleSpec::dense_matrices`]): RODAS3 keeps H, the stage matrix
//!   G = I/(γh) + H and its LU factors, 3; the W-rule (ROS34PW2) factorises G in the buffer
//!   H is written into, 1;
//! - the end-state diagnostics ([`super::end_state`]) form H once more, its eigenvectors Q and
//!   the eigensolver's work space: [`END_STATE_MATRICES`] = 3 (while the stepper's are alive).
//!
//! The sampled modes (gd, sgd, online) hold nothing N × N: their memory is O(n(d + P)) for the
//! step's points (P of them, or the test set), however wide the network.
//!
//! A run whose matrices need more than the memory the machine reports as available
//! (`MemAvailable` of `/proc/meminfo`) is refused before anything is allocated, with the
//! memory it would need, instead of a panic in the allocator hours later. Where the available
//! memory is unknown (no `/proc/meminfo`), nothing is refused.

use crate::config::{Mode, TrainConfig};
use crate::error::TrainError;

/// N × N matrices the end-state diagnostics hold at the end of an exact run (H, Q and the
/// eigensolver's work space).
pub const END_STATE_MATRICES: u64 = 3;

/// How many N × N matrices of f64 a run of `config` holds at its peak (0 outside exact mode).
pub fn dense_matrices(config: &TrainConfig) -> u64 {
    if config.mode != Mode::Exact {
        return 0;
    }
    let stepper = config.step_rule_spec().map_or(0, |r| r.dense_matrices);
    stepper + END_STATE_MATRICES
}

/// Bytes of the dense matrices of a run of `config` whose units have q parameters besides the
/// charge: [`dense_matrices`] × N² × 8 (saturating).
pub fn dense_bytes(config: &TrainConfig, q: usize) -> u64 {
    let big = (config.width as u64).saturating_mul(q as u64 + 1);
    dense_matrices(config)
        .saturating_mul(big.saturating_mul(big))
        .saturating_mul(8)
}

/// The memory this machine reports as available to a new allocation (`MemAvailable` of
/// `/proc/meminfo`, bytes); `None` where it is not reported.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

/// `MemAvailable:  123 kB` → 123 · 1024.
fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// Gigabytes, for messages.
fn gb(bytes: u64) -> f64 {
    bytes as f64 / 1e9
}

/// Refuses a run of `config` (units with q parameters besides the charge) whose dense
/// matrices need more than `available` bytes, naming the width and the memory it needs
/// (`available = None`: nothing is refused).
pub fn check_dense_memory(
    config: &TrainConfig,
    q: usize,
    available: Option<u64>,
) -> Result<(), TrainError> {
    let (Some(avail), need) = (available, dense_bytes(config, q)) else {
        return Ok(());
    };
    if need <= avail {
        return Ok(());
    }
    let big = config.width * (q + 1);
    Err(TrainError::config(
        "width",
        format!(
            "small enough for the dense N × N matrices of exact mode: n = {} with {} parameters per unit gives N = {big}, and its {} matrices of N² numbers need {:.1} GB, more than the {:.1} GB this machine has available (the sampled modes gd, sgd, online need no N × N matrix)",
            config.width,
            q + 1,
            dense_matrices(config),
            gb(need),
            gb(avail)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(width: usize, rule: &'static str) -> TrainConfig {
        let mut c = TrainConfig::new("rbf", 25, width, 10, 0.1, 1);
        c.mode = Mode::Exact;
        c.step_rule = Some(crate::config::StepRule::named(rule));
        c
    }

    #[test]
    fn only_exact_mode_holds_dense_matrices() {
        for mode in [Mode::Gd, Mode::Sgd, Mode::Online] {
            let mut c = TrainConfig::new("rbf", 25, 4096, 2, 0.1, 1);
            c.mode = mode;
            assert_eq!(dense_matrices(&c), 0, "{mode:?}");
            assert_eq!(dense_bytes(&c, 25), 0);
            check_dense_memory(&c, 25, Some(0)).unwrap();
        }
        assert_eq!(dense_matrices(&exact(8, "implicit")), 6);
        assert_eq!(dense_matrices(&exact(8, "adaptive")), 3);
        // n = 128, d = 25: N = 3328, 6 · 3328² · 8 bytes
        assert_eq!(
            dense_bytes(&exact(128, "implicit"), 25),
            6 * 3328 * 3328 * 8
        );
    }

    #[test]
    fn a_size_beyond_the_available_memory_is_refused_with_what_it_needs() {
        let c = exact(128, "implicit");
        let need = dense_bytes(&c, 25);
        check_dense_memory(&c, 25, Some(need)).unwrap();
        let e = check_dense_memory(&c, 25, Some(need - 1)).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("invalid --width"), "{text}");
        assert!(
            text.contains("N = 3328") && text.contains("0.5 GB"),
            "{text}"
        );
        // unknown memory: nothing refused; absurd sizes do not overflow
        check_dense_memory(&c, 25, None).unwrap();
        let huge = exact(usize::MAX / 2, "implicit");
        assert_eq!(dense_bytes(&huge, 25), u64::MAX);
        assert!(check_dense_memory(&huge, 25, Some(u64::MAX - 1)).is_err());
    }

    #[test]
    fn mem_available_is_read_from_meminfo() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(parse_mem_available(text), Some(20_000_000 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(available_bytes().is_some_and(|b| b > 0));
        }
    }
}
