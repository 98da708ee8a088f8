//! How a [`GateioVenue`](super::GateioVenue) is set up.

use std::fmt;
use std::time::Duration;

/// Which Gate market a symbol, a book or an order belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Market {
    /// Spot (`/ws/v4/`, `spot.*` channels, `/api/v4/spot/...`).
    Spot,
    /// USDT-settled perpetual futures (`/v4/ws/usdt`, `futures.*` channels,
    /// `/api/v4/futures/usdt/...`).
    Futures,
}

impl Market {
    /// The channel prefix: `"spot"` or `"futures"`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Futures => "futures",
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.prefix())
    }
}

/// How futures sizes go on the wire (spec §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeFormat {
    /// JSON integers (`"s": 12`), whole contracts only: the documented format.
    #[default]
    Integer,
    /// Decimal strings (`"s": "12.5"`), sizes in steps of 0.1 contract: the format of
    /// `X-Gate-Size-Decimal: 1`.
    DecimalString,
}

/// What a new `*.order_book_update` subscription gets first (spec §4.3 reports, from
/// third-party observation, that futures start with a full push).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirstPush {
    /// Only the updates that follow the subscription (the documented behaviour).
    #[default]
    Incremental,
    /// Right after the ack, a `"full": true` push of the subscribed view with
    /// `U = u = ` the book's current id; the following updates continue from there.
    Full,
}

/// Everything a [`GateioVenue`](super::GateioVenue) needs.
///
/// Build it with struct-update syntax:
/// `GateioSimConfig { seed: 7, ..GateioSimConfig::default() }`.
#[derive(Clone)]
pub struct GateioSimConfig {
    /// Spot currency pairs served, as Gate spells them (`"BTC_USDT"`).
    pub spot_symbols: Vec<String>,
    /// USDT futures contracts served (`"BTC_USDT"`).
    pub futures_contracts: Vec<String>,
    /// The API key private channels and REST calls must present.
    pub api_key: String,
    /// The secret signatures are checked with.
    pub api_secret: String,
    /// The user id reported in private pushes and in the login response.
    pub user_id: u64,
    /// Seed of every book's generator: the same seed gives the same books, step by step.
    pub seed: u64,
    /// How often every book takes one step (unless paused).
    pub update_interval: Duration,
    /// Levels kept per side of every book (the truth's depth); stream views and REST
    /// snapshots show at most this many.
    pub levels: usize,
    /// Futures sizes as integers or decimal strings.
    pub futures_sizes: SizeFormat,
    /// What a new book subscription gets first.
    pub first_push: FirstPush,
    /// Capacity of the shared push feed; a connection that falls further behind is closed
    /// with 1008.
    pub feed_capacity: usize,
    /// Orders placed and filled by the venue itself every this often, for the demo; `None`
    /// (the default) leaves the private side to the test.
    pub auto_trading: Option<Duration>,
    /// Largest allowed distance between a request's `time` and the venue clock, in seconds.
    pub max_clock_skew_secs: i64,
}

impl GateioSimConfig {
    /// Whether `symbol` is served on `market`.
    pub fn serves(&self, market: Market, symbol: &str) -> bool {
        self.symbols(market).iter().any(|known| known == symbol)
    }

    /// The symbols served on `market`.
    pub fn symbols(&self, market: Market) -> &[String] {
        match market {
            Market::Spot => &self.spot_symbols,
            Market::Futures => &self.futures_contracts,
        }
    }
}

impl Default for GateioSimConfig {
    fn default() -> Self {
        Self {
            spot_symbols: vec!["BTC_USDT".to_owned(), "ETH_USDT".to_owned()],
            futures_contracts: vec!["BTC_USDT".to_owned(), "ETH_USDT".to_owned()],
            api_key: "sim-key".to_owned(),
            api_secret: "sim-secret".to_owned(),
            user_id: 10_001,
            seed: 1,
            update_interval: Duration::from_millis(10),
            levels: 100,
            futures_sizes: SizeFormat::Integer,
            first_push: FirstPush::Incremental,
            feed_capacity: 8192,
            auto_trading: None,
            max_clock_skew_secs: 60,
        }
    }
}

impl fmt::Debug for GateioSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("GateioSimConfig")
            .field("spot_symbols", &self.spot_symbols)
            .field("futures_contracts", &self.futures_contracts)
            .field("api_key", &self.api_key)
            .field("user_id", &self.user_id)
            .field("seed", &self.seed)
            .field("update_interval", &self.update_interval)
            .field("levels", &self.levels)
            .field("futures_sizes", &self.futures_sizes)
            .field("first_push", &self.first_push)
            .field("feed_capacity", &self.feed_capacity)
            .field("auto_trading", &self.auto_trading)
            .finish_non_exhaustive()
    }
}
