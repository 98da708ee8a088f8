//! Binary frames: the venue gzips pushes unless asked not to (`"gzip": false`); they are
//! inflated into a reused buffer with a hard bound, so a small hostile frame cannot
//! expand without limit.

use std::io::Read;

use crate::futures::error::FuturesError;

/// The default bound on an inflated frame: far above any depth or deal push.
pub const MAX_INFLATED: usize = 4 << 20;

/// Inflates gzip frames into a buffer it keeps between frames.
#[derive(Debug, Clone)]
pub struct Inflater {
    buffer: Vec<u8>,
    limit: usize,
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater::new(MAX_INFLATED)
    }
}

impl Inflater {
    /// Inflates frames of at most `limit` bytes.
    pub fn new(limit: usize) -> Inflater {
        Inflater {
            buffer: Vec::new(),
            limit,
        }
    }

    /// The inflated bytes of `frame`.
    ///
    /// # Errors
    /// [`FuturesError::Gzip`] for a frame that is not gzip, is corrupt, or inflates past
    /// the bound.
    pub fn inflate(&mut self, frame: &[u8]) -> Result<&[u8], FuturesError> {
        self.buffer.clear();
        if frame.get(..2) != Some(&[0x1f, 0x8b]) {
            return Err(FuturesError::Gzip("not a gzip stream"));
        }
        let bound = u64::try_from(self.limit)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut reader = flate2::read::GzDecoder::new(frame).take(bound);
        reader
            .read_to_end(&mut self.buffer)
            .map_err(|_| FuturesError::Gzip("corrupt gzip stream"))?;
        if self.buffer.len() > self.limit {
            self.buffer.clear();
            return Err(FuturesError::Gzip("inflated frame exceeds the bound"));
        }
        Ok(&self.buffer)
    }
}
