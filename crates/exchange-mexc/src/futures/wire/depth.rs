//! `push.depth` and `push.depth.full` bodies: `{"asks":[[p,c,n],…],"bids":[…],
//! "version":N}`, with `"begin"`/`"end"` when the venue merged several versions into one
//! push (`compress: true`).

use json_scan::read;
use json_scan::{Fault, FieldError, Scanner, Span};
use market_types::Symbol;

use super::levels::{DepthLevel, Levels, for_each_level, skip_levels};
use crate::futures::error::FuturesError;

/// The body of a depth push; the levels stay in the frame until read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthData<'a> {
    bytes: &'a [u8],
    asks: Span,
    bids: Span,
    version: u64,
    begin: u64,
    time_ms: u64,
}

/// A depth push with what its envelope says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthPush<'a> {
    /// The contract.
    pub symbol: Symbol,
    /// The envelope's `ts`, ms (0 when absent).
    pub time_ms: u64,
    /// The levels and versions.
    pub data: DepthData<'a>,
    /// Whether it came on `push.depth.full` (a whole top-N book, not a change).
    pub full: bool,
}

impl<'a> DepthData<'a> {
    /// The book version after this push.
    #[inline]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The body's own `timestamp` (REST snapshots), ms; 0 when absent.
    #[inline]
    pub const fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// The first version the push covers: `begin` of a merged push, else `version`.
    #[inline]
    pub const fn first_version(&self) -> u64 {
        self.begin
    }

    /// Every level, asks first; decoding errors stop the walk.
    pub fn levels(&self) -> impl Iterator<Item = Result<DepthLevel, FuturesError>> + 'a {
        let mut asks = Levels::new(self.bytes, self.asks, market_types::Side::Sell);
        let mut bids = Levels::new(self.bytes, self.bids, market_types::Side::Buy);
        let mut failed = false;
        core::iter::from_fn(move || {
            if failed {
                return None;
            }
            let next = match asks.next_level() {
                Ok(None) => bids.next_level(),
                other => other,
            };
            match next {
                Ok(level) => level.map(Ok),
                Err(fault) => {
                    failed = true;
                    Some(Err(FuturesError::from_fault("push.depth", fault)))
                }
            }
        })
    }

    /// Every level, asks first, into `f` without allocating; stops at the first error.
    ///
    /// # Errors
    /// The first error of `f`, or a level that does not decode.
    #[inline(always)]
    pub fn for_each_level<E: From<FuturesError>>(
        &self,
        mut f: impl FnMut(DepthLevel) -> Result<(), E>,
    ) -> Result<(), E> {
        for_each_level::<LevelError<E>>(self.bytes, self.asks, self.bids, |level| {
            f(level).map_err(LevelError::Caller)
        })
        .map_err(|error| match error {
            LevelError::Caller(error) => error,
            LevelError::Decode(fault) => E::from(FuturesError::from_fault("push.depth", fault)),
        })
    }

    /// The levels of one side.
    #[inline]
    pub(crate) fn side(&self, side: market_types::Side) -> Levels<'a> {
        match side {
            market_types::Side::Sell => Levels::new(self.bytes, self.asks, side),
            market_types::Side::Buy => Levels::new(self.bytes, self.bids, side),
        }
    }
}

/// A caller's error or a level that did not decode.
enum LevelError<E> {
    Caller(E),
    Decode(Fault),
}

impl<E> From<Fault> for LevelError<E> {
    #[inline]
    fn from(fault: Fault) -> Self {
        LevelError::Decode(fault)
    }
}

/// The depth object at the scanner.
#[inline(always)]
pub(crate) fn depth_data<'a>(sc: &mut Scanner<'a>) -> Result<DepthData<'a>, Fault> {
    let at = sc.pos();
    sc.begin_object()?;
    let mut asks = Span::default();
    let mut bids = Span::default();
    let mut version = None;
    let mut begin = None;
    let mut end = None;
    let mut time_ms = 0;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        match key.raw {
            b"asks" => asks = skip_levels(sc)?,
            b"bids" => bids = skip_levels(sc)?,
            b"version" => version = Some(read::uint(sc, "version")?),
            b"begin" => begin = Some(read::uint(sc, "begin")?),
            b"end" => end = Some(read::uint(sc, "end")?),
            b"timestamp" => time_ms = read::uint(sc, "timestamp")?,
            _ => sc.skip_value()?,
        }
    }
    // A merged push covers begin..=end; `version` is its end (either may be missing).
    let version = match (version, end) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => return Err(Fault::missing("version", at)),
    };
    let begin = begin.unwrap_or(version);
    if begin > version {
        return Err(Fault::invalid("begin", FieldError::OutOfRange, at));
    }
    Ok(DepthData {
        bytes: sc.bytes(),
        asks,
        bids,
        version,
        begin,
        time_ms,
    })
}
