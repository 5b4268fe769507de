//! Seeded random streams that do not depend on thread scheduling.
//!
//! A run has one seed; unit of work `k` (a path, a scenario, a run) draws from
//! stream `k` of that seed, so results are identical whether the work is
//! spread over one thread or many.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every simulation in this crate draws from.
pub type Stream = ChaCha8Rng;

/// Stream `index` of `seed`: ChaCha's 64-bit stream id, so streams never overlap.
pub fn stream(seed: u64, index: u64) -> Stream {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// The generator of hot loops that draw a few dozen numbers per unit of work
/// (a Monte Carlo path), where re-keying ChaCha per unit would dominate.
pub type FastStream = Xoshiro256PlusPlus;

/// Counter-based seeding: unit `index` of a seed gets a Xoshiro256++ whose
/// state is SplitMix64-expanded from a bijective mix of (seed, index), so for
/// one seed no two units share a state, and any unit can be drawn alone.
#[derive(Debug, Clone, Copy)]
pub struct FastStreams {
    mixed_seed: u64,
}

impl FastStreams {
    /// The family of `seed`; mixing the seed once keeps per-unit seeding to
    /// one SplitMix64 expansion.
    pub fn new(seed: u64) -> Self {
        Self {
            mixed_seed: rand::RngCore::next_u64(&mut Xoshiro256PlusPlus::seed_from_u64(seed)),
        }
    }

    /// The stream of unit `index`.
    pub fn unit(&self, index: u64) -> FastStream {
        const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
        Xoshiro256PlusPlus::seed_from_u64(self.mixed_seed ^ index.wrapping_mul(GOLDEN_GAMMA))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, index| stream(seed, index).random::<u64>();
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(draw(7, 3), draw(7, 4));
        assert_ne!(draw(7, 3), draw(8, 3));
    }

    #[test]
    fn fast_streams_are_reproducible_and_distinct() {
        let draw = |seed, index| FastStreams::new(seed).unit(index).random::<u64>();
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(draw(7, 3), draw(7, 4));
        assert_ne!(draw(7, 3), draw(8, 3));
        // Neighbouring units are not shifted copies of each other.
        let draws = |index| {
            let mut rng = FastStreams::new(1).unit(index);
            (0..8).map(|_| rng.random()).collect::<Vec<u64>>()
        };
        let (first, second) = (draws(0), draws(1));
        assert!(first.iter().all(|x| !second.contains(x)));
    }
}
