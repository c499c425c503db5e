//! Independent, reproducible random-number streams.
//!
//! Every random quantity of a run is drawn from a xoshiro256++ generator obtained from one base
//! seed by *jumps*, never by perturbing the seed (`seed + k` streams are correlated for many
//! generators and make "independent" replicas share structure):
//!
//! ```text
//! stream(seed, replica, purpose) = J_long^replica · J^purpose · SplitMix64(seed),
//! ```
//!
//! where J advances the generator by 2^128 draws and J_long by 2^192 draws. Purposes (target
//! coefficients, initial particles, training data, test set, ...) thus never overlap, and replica
//! k uses the k-th block of 2^192 draws: 2^64 replicas of 2^64 purposes each, all disjoint.

use rand::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus as StreamRng;

/// What a stream is used for. The numeric value is the number of 2^128 jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Purpose {
    /// The coefficients a_pqr of the target (shared by all replicas).
    Target = 0,
    /// Points printed by `mf target --samples`.
    Samples = 1,
    /// The initial particles θ_i(0).
    Init = 2,
    /// Training data: the fixed training set (gd/sgd) or the online batches.
    Data = 3,
    /// Minibatch selection from a fixed training set (sgd).
    Minibatch = 4,
    /// The test set on which the test loss is evaluated (shared by all replicas).
    Test = 5,
    /// Probe points for fluctuation estimators (shared by all replicas).
    Probe = 6,
    /// The jumps of birth–death dynamics (and their points in online mode).
    BirthDeath = 7,
}

/// The generator of `purpose` for `replica`, from the base `seed` (see the module docs).
pub fn stream(seed: u64, replica: u64, purpose: Purpose) -> StreamRng {
    let mut rng = StreamRng::seed_from_u64(seed);
    if replica > 0 {
        rng.jump_ce(replica, 192);
    }
    let p = purpose as u64;
    if p > 0 {
        rng.jump_ce(p, 128);
    }
    rng
}

/// Serialisable state of a stream (little-endian bytes of the four state words), for checkpoints.
pub fn stream_state(rng: &StreamRng) -> [u8; 32] {
    rng.state()
}

/// Rebuilds a stream from [`stream_state`].
pub fn stream_from_state(state: [u8; 32]) -> StreamRng {
    StreamRng::from_seed(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draws(mut r: StreamRng) -> Vec<u64> {
        (0..8).map(|_| r.next_u64()).collect()
    }

    #[test]
    fn streams_differ_and_are_reproducible() {
        let a = draws(stream(7, 0, Purpose::Init));
        let b = draws(stream(7, 0, Purpose::Data));
        let c = draws(stream(7, 1, Purpose::Init));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
        assert_eq!(a, draws(stream(7, 0, Purpose::Init)));
    }

    #[test]
    fn jump_is_not_seed_offset() {
        // stream 1 is a jump of the base generator, not the generator of seed + 1
        let jumped = draws(stream(7, 0, Purpose::Samples));
        let offset = draws(stream(8, 0, Purpose::Target));
        assert_ne!(jumped, offset);
        let mut manual = StreamRng::seed_from_u64(7);
        manual.jump();
        assert_eq!(jumped, draws(manual));
    }

    #[test]
    fn state_roundtrip() {
        let mut r = stream(3, 2, Purpose::Test);
        r.next_u64();
        let s = stream_state(&r);
        assert_eq!(draws(r), draws(stream_from_state(s)));
    }
}
