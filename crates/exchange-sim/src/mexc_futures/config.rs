//! How a [`MexcFuturesVenue`](crate::mexc_futures::MexcFuturesVenue) is set up.

use std::fmt;
use std::time::Duration;

use market_types::Decimal;

use crate::error::SimError;
use crate::mexc::SymbolSpec;

/// Everything [`MexcFuturesVenue::new`](crate::mexc_futures::MexcFuturesVenue::new) needs.
/// Build it with struct-update syntax: `MexcFuturesConfig { ping_timeout: ms(200), ..Default::default() }`.
/// Its `Debug` leaves the secret out.
#[derive(Clone)]
pub struct MexcFuturesConfig {
    /// The contracts served; subscribing any other is `rs.error` "Contract doesn't exist!".
    pub contracts: Vec<ContractSpec>,
    /// The one API key login and signed REST accept.
    pub api_key: String,
    /// Its HMAC-SHA256 secret.
    pub api_secret: String,
    /// Generator period; each tick makes 1 to `max_versions_per_tick` versions per contract.
    pub tick_interval: Duration,
    /// Each tick advances every book by 1 to this many versions.
    pub max_versions_per_tick: u32,
    /// Whether the generator starts running or paused.
    pub generator: crate::mexc::Generator,
    /// `sub.depth.full` and `sub.ticker` push once per this many ticks.
    pub slow_every: u32,
    /// A connection that sends no `ping` for this long is closed (the venue's 60 s).
    pub ping_timeout: Duration,
    /// Whether pushes of a subscription that did not say `"gzip": false` are gzip-compressed
    /// binary frames (the venue's default is unconfirmed; `false` sends text unless a
    /// subscription asks `"gzip": true`).
    pub gzip_by_default: bool,
    /// Whether `sub.depth` without `"compress"` gets merged pushes (the venue's default
    /// since 2025-04-09).
    pub compress_by_default: bool,
    /// Whether `push.deal` carries one object per deal or an array of the tick's deals.
    pub deal_shape: DealShape,
    /// Capacity of the shared push feed; a connection further behind is closed (1008).
    pub feed_capacity: usize,
    /// Per-version changes kept for `depth_commits`.
    pub commits_kept: usize,
    /// Accepted distance between `reqTime` / `Request-Time` and the venue's clock, ms.
    pub recv_window_ms: i64,
    /// Starting available USDT of the one simulated account.
    pub start_balance: Decimal,
    /// When set, the venue trades by itself at this period (for the demo): open a long
    /// below the touch, fill it in two steps, close it above, then place and cancel a short.
    pub auto_trading: Option<Duration>,
}

impl fmt::Debug for MexcFuturesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MexcFuturesConfig")
            .field("contracts", &self.contracts)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("tick_interval", &self.tick_interval)
            .field("max_versions_per_tick", &self.max_versions_per_tick)
            .field("generator", &self.generator)
            .field("slow_every", &self.slow_every)
            .field("ping_timeout", &self.ping_timeout)
            .field("gzip_by_default", &self.gzip_by_default)
            .field("compress_by_default", &self.compress_by_default)
            .field("deal_shape", &self.deal_shape)
            .field("feed_capacity", &self.feed_capacity)
            .field("commits_kept", &self.commits_kept)
            .field("recv_window_ms", &self.recv_window_ms)
            .field("start_balance", &self.start_balance)
            .field("auto_trading", &self.auto_trading)
            .finish()
    }
}

impl Default for MexcFuturesConfig {
    fn default() -> Self {
        Self {
            contracts: vec![ContractSpec::btc_usdt(), ContractSpec::eth_usdt()],
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
            tick_interval: Duration::from_millis(10),
            max_versions_per_tick: 3,
            generator: crate::mexc::Generator::Running,
            slow_every: 10,
            ping_timeout: Duration::from_secs(60),
            gzip_by_default: false,
            compress_by_default: true,
            deal_shape: DealShape::Object,
            feed_capacity: 8192,
            commits_kept: 1000,
            recv_window_ms: 10_000,
            start_balance: Decimal::from(100_000u32),
            auto_trading: None,
        }
    }
}

impl MexcFuturesConfig {
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let checks = [
            (
                !self.contracts.is_empty(),
                "mexc futures: at least one contract",
            ),
            (
                !self.tick_interval.is_zero(),
                "mexc futures: tick_interval must be positive",
            ),
            (
                self.max_versions_per_tick > 0,
                "mexc futures: max_versions_per_tick must be positive",
            ),
            (
                self.slow_every > 0,
                "mexc futures: slow_every must be positive",
            ),
            (
                self.feed_capacity > 0 && self.feed_capacity <= 1 << 20,
                "mexc futures: feed_capacity must be in 1..=1048576",
            ),
            (
                self.commits_kept > 0 && self.commits_kept <= 100_000,
                "mexc futures: commits_kept must be in 1..=100000",
            ),
            (
                !self.api_key.is_empty() && !self.api_secret.is_empty(),
                "mexc futures: empty API key or secret",
            ),
            (
                self.recv_window_ms > 0,
                "mexc futures: recv_window_ms must be positive",
            ),
            (
                self.auto_trading.is_none_or(|every| !every.is_zero()),
                "mexc futures: auto_trading needs a positive period",
            ),
            (
                !self.start_balance.is_negative(),
                "mexc futures: negative start balance",
            ),
        ];
        if let Some((_, reason)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(SimError::InvalidConfig(reason));
        }
        for (index, contract) in self.contracts.iter().enumerate() {
            contract.book.validate()?;
            if contract.book.quantity_scale != 0 {
                return Err(SimError::InvalidConfig(
                    "mexc futures: volumes are whole contracts (quantity_scale 0)",
                ));
            }
            if !contract.contract_size.is_positive() {
                return Err(SimError::InvalidConfig(
                    "mexc futures: contract_size must be positive",
                ));
            }
            if self.contracts[..index]
                .iter()
                .any(|c| c.book.symbol == contract.book.symbol)
            {
                return Err(SimError::InvalidConfig(
                    "mexc futures: a contract is listed twice",
                ));
            }
        }
        Ok(())
    }
}

/// One perpetual contract: the shape of its generated book (the spot venue's
/// [`SymbolSpec`], with whole contracts as volumes) and its contract size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractSpec {
    /// The book generator's parameters; `symbol` is the contract (`BTC_USDT`),
    /// `quantity_scale` must be 0 and `lot` is one contract.
    pub book: SymbolSpec,
    /// Base asset per contract (`contractSize` of `/api/v1/contract/detail`).
    pub contract_size: Decimal,
    /// The ticker's `contractId`.
    pub contract_id: u32,
}

impl ContractSpec {
    /// `BTC_USDT` around 65000.0, tick 0.1, 0.0001 BTC per contract.
    pub fn btc_usdt() -> ContractSpec {
        Self::preset("BTC_USDT", "BTC", 650_000, 1, 1, 0xF07B, 96_801_927)
    }

    /// `ETH_USDT` around 3500.00, tick 0.01, 0.01 ETH per contract.
    pub fn eth_usdt() -> ContractSpec {
        Self::preset("ETH_USDT", "ETH", 350_000, 2, 2, 0xF0E7, 51_200_000)
    }

    fn preset(
        symbol: &str,
        base: &str,
        start_price: i64,
        price_scale: u8,
        contract_id: u32,
        seed: u64,
        start_version: u64,
    ) -> ContractSpec {
        let mut book = SymbolSpec::new(symbol, base, "USDT")
            .unwrap_or_else(|_| unreachable!("static contract names are valid"));
        book.symbol_id = symbol.to_owned();
        book.price_scale = price_scale;
        book.tick = 1;
        book.start_price = start_price;
        book.quantity_scale = 0;
        book.lot = 1;
        book.max_lots = 5_000;
        book.levels = 40;
        book.start_version = start_version;
        book.seed = seed;
        let contract_size = match base {
            "BTC" => Decimal::from_parts(1, 4),
            _ => Decimal::from_parts(1, 2),
        }
        .unwrap_or(Decimal::ONE);
        ContractSpec {
            book,
            contract_size,
            contract_id,
        }
    }
}

/// The shape of `push.deal`'s `data` (the venue's is unconfirmed; clients accept both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DealShape {
    /// One push per deal, `data` an object.
    #[default]
    Object,
    /// One push per tick with deals, `data` an array of them.
    Array,
}

/// The default API key.
pub const DEFAULT_API_KEY: &str = "mx0vglFUTURESSIMKEY";
/// The default secret.
pub const DEFAULT_API_SECRET: &str = "f5b2c6e1a9d84f3c8e7b0a1d2c3e4f50";
