//! Jitter samples for the backoff.

/// A small deterministic generator for jitter samples (xorshift64*), seeded per connection.
/// Not for cryptography.
#[derive(Debug, Clone)]
pub struct JitterSource(u64);

impl JitterSource {
    /// Seeds the generator; a zero seed is replaced by a constant.
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Seeded from the operating system's randomness (through std's `RandomState`, whose
    /// keys come from the OS once per thread and differ per instance): every process, and
    /// every generator within one, draws its own sequence.
    pub fn from_os() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x6A09_E667_F3BC_C908);
        Self::new(hasher.finish())
    }

    /// The next sample in `[0, 1)`.
    pub fn sample(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }
}
