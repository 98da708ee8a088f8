//! How a [`MexcVenue`](crate::mexc::MexcVenue) is set up.

use std::time::Duration;

use market_types::{Asset, Decimal, Symbol};

use crate::error::SimError;

/// Everything [`MexcVenue::new`](crate::mexc::MexcVenue::new) needs. Build it with
/// struct-update syntax: `MexcConfig { idle_timeout: ms(200), ..MexcConfig::default() }`.
#[derive(Debug, Clone)]
pub struct MexcConfig {
    /// The pairs served; subscribing any other symbol is an error reply.
    pub symbols: Vec<SymbolSpec>,
    /// The one API key the signed REST endpoints accept (header `X-MEXC-APIKEY`).
    pub api_key: String,
    /// Its HMAC-SHA256 secret. The default is the docs' example secret (§1.8), so the
    /// spec's signing vectors apply.
    pub api_secret: String,
    /// Generator period; every tick produces one push per `10ms` channel.
    pub tick_interval: Duration,
    /// `100ms` channels push once per this many ticks (aggregating them).
    pub slow_every: u32,
    /// Each tick advances every book by 1 to this many versions.
    pub max_versions_per_tick: u32,
    /// Whether the generator starts running or paused.
    pub generator: Generator,
    /// Capacity of the shared push feed; a connection further behind is closed with
    /// `1008 slow consumer`.
    pub feed_capacity: usize,
    /// Subscriptions per connection (the venue's documented 30).
    pub max_subscriptions: usize,
    /// A connection without a valid subscription for this long is closed (the venue's 30 s).
    pub idle_timeout: Duration,
    /// How long a listen key lives after its creation or last keep-alive (the venue's 60 min).
    pub listen_key_lifetime: Duration,
    /// WebSocket connections per listen key (the venue's 5).
    pub max_connections_per_key: usize,
    /// Client messages per second per connection before it is closed (the venue's 100).
    pub max_messages_per_second: u32,
    /// Starting free balances of the one simulated account.
    pub balances: Vec<(Asset, Decimal)>,
    /// Which `privateOrders` field carries the order id.
    pub order_id_field: OrderIdField,
    /// Whether private events come only from the test's calls or also from a timer.
    pub private_flow: PrivateFlow,
}

impl Default for MexcConfig {
    fn default() -> Self {
        let asset = |code| Asset::new(code).unwrap_or_else(|_| unreachable!("static asset"));
        Self {
            symbols: vec![
                SymbolSpec::btcusdt(),
                SymbolSpec::ethusdt(),
                SymbolSpec::mxusdt(),
            ],
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
            tick_interval: Duration::from_millis(10),
            slow_every: 10,
            max_versions_per_tick: 3,
            generator: Generator::Running,
            feed_capacity: 8192,
            max_subscriptions: 30,
            idle_timeout: Duration::from_secs(30),
            listen_key_lifetime: Duration::from_secs(60 * 60),
            max_connections_per_key: 5,
            max_messages_per_second: 100,
            balances: vec![
                (asset("USDT"), Decimal::from(1_000_000u32)),
                (asset("BTC"), Decimal::from(10u32)),
                (asset("ETH"), Decimal::from(100u32)),
                (asset("MX"), Decimal::from(100_000u32)),
            ],
            order_id_field: OrderIdField::Id,
            private_flow: PrivateFlow::Manual,
        }
    }
}

impl MexcConfig {
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let checks = [
            (!self.symbols.is_empty(), "mexc: at least one symbol"),
            (
                !self.tick_interval.is_zero(),
                "mexc: tick_interval must be positive",
            ),
            (self.slow_every > 0, "mexc: slow_every must be positive"),
            (
                self.max_versions_per_tick > 0,
                "mexc: max_versions_per_tick must be positive",
            ),
            (
                self.feed_capacity > 0 && self.feed_capacity <= 1 << 20,
                "mexc: feed_capacity must be in 1..=1048576",
            ),
            (
                self.max_subscriptions > 0,
                "mexc: max_subscriptions must be positive",
            ),
            (!self.api_key.is_empty(), "mexc: api_key must not be empty"),
            (
                !self.api_secret.is_empty(),
                "mexc: api_secret must not be empty",
            ),
            (
                self.max_connections_per_key > 0,
                "mexc: max_connections_per_key must be positive",
            ),
            (
                self.max_messages_per_second > 0,
                "mexc: max_messages_per_second must be positive",
            ),
            (
                !matches!(self.private_flow, PrivateFlow::Automatic { every } if every.is_zero()),
                "mexc: the automatic private flow needs a positive period",
            ),
        ];
        if let Some((_, reason)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(SimError::InvalidConfig(reason));
        }
        for (index, spec) in self.symbols.iter().enumerate() {
            spec.validate()?;
            if self.symbols[..index]
                .iter()
                .any(|s| s.symbol == spec.symbol)
            {
                return Err(SimError::InvalidConfig("mexc: a symbol is listed twice"));
            }
        }
        Ok(())
    }
}

/// One pair and the shape of its generated book.
///
/// Prices and quantities are integers of `10^-scale` units, so the book stays on its
/// tick grid and the wire strings have a fixed number of decimals (`"65000.00"`,
/// `"0.00000000"`), as the venue's do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolSpec {
    /// As on the wire, upper case.
    pub symbol: Symbol,
    /// Base asset.
    pub base: Asset,
    /// Quote asset.
    pub quote: Asset,
    /// The wrapper's `symbolId` (a hex string on the venue).
    pub symbol_id: String,
    /// Decimals of prices on the wire.
    pub price_scale: u8,
    /// Tick size in price units (`10^-price_scale`).
    pub tick: i64,
    /// Starting mid price in price units.
    pub start_price: i64,
    /// Decimals of quantities on the wire.
    pub quantity_scale: u8,
    /// Lot size in quantity units (`10^-quantity_scale`).
    pub lot: i64,
    /// Largest level size in lots.
    pub max_lots: u32,
    /// Levels per side at start; the generator keeps between a half and twice as many.
    pub levels: usize,
    /// Version of the starting book (the first push covers the next one).
    pub start_version: u64,
    /// Seed of the book's xorshift generator.
    pub seed: u64,
}

impl SymbolSpec {
    /// `BTCUSDT` around 65000.00, tick 0.01, lot 0.00001.
    pub fn btcusdt() -> SymbolSpec {
        Self::preset(
            "BTCUSDT", "BTC", "USDT", 6_500_000, 2, 8, 1_000, 50_000, 0xB7C,
        )
    }

    /// `ETHUSDT` around 3500.00, tick 0.01, lot 0.0001.
    pub fn ethusdt() -> SymbolSpec {
        Self::preset(
            "ETHUSDT", "ETH", "USDT", 350_000, 2, 8, 10_000, 20_000, 0xE7E,
        )
    }

    /// `MXUSDT` around 3.6962, tick 0.0001, lot 0.01.
    pub fn mxusdt() -> SymbolSpec {
        Self::preset("MXUSDT", "MX", "USDT", 36_962, 4, 2, 1, 100_000, 0x3A7)
    }

    /// A pair with BTC-like defaults; adjust the fields as needed.
    ///
    /// # Errors
    /// [`SimError::InvalidConfig`] when a name is not a valid symbol or asset code.
    pub fn new(symbol: &str, base: &str, quote: &str) -> Result<SymbolSpec, SimError> {
        let invalid = |_| SimError::InvalidConfig("mexc: invalid symbol or asset name");
        let mut spec = Self::btcusdt();
        spec.symbol = Symbol::new(symbol).map_err(invalid)?;
        spec.base = Asset::new(base).map_err(invalid)?;
        spec.quote = Asset::new(quote).map_err(invalid)?;
        spec.symbol_id = symbol_id(symbol);
        spec.seed = symbol.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Ok(spec)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "a private table of presets, one call per preset"
    )]
    fn preset(
        symbol: &str,
        base: &str,
        quote: &str,
        start_price: i64,
        price_scale: u8,
        quantity_scale: u8,
        lot: i64,
        max_lots: u32,
        seed: u64,
    ) -> SymbolSpec {
        let name = |text| Symbol::new(text).unwrap_or_else(|_| unreachable!("static symbol"));
        let asset = |text| Asset::new(text).unwrap_or_else(|_| unreachable!("static asset"));
        SymbolSpec {
            symbol: name(symbol),
            base: asset(base),
            quote: asset(quote),
            symbol_id: symbol_id(symbol),
            price_scale,
            tick: 1,
            start_price,
            quantity_scale,
            lot,
            max_lots,
            levels: 40,
            start_version: 10_000_000_000,
            seed,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let checks = [
            (
                self.price_scale <= 12 && self.quantity_scale <= 12,
                "mexc: scales must be at most 12",
            ),
            (self.tick > 0, "mexc: tick must be positive"),
            (self.lot > 0, "mexc: lot must be positive"),
            (self.max_lots > 0, "mexc: max_lots must be positive"),
            (
                self.levels >= 4 && self.levels <= 1000,
                "mexc: levels must be in 4..=1000",
            ),
            (
                self.start_price > self.tick * 4 * (self.levels as i64 + 1),
                "mexc: start_price too low for the levels",
            ),
            (
                self.start_price < i64::MAX / 4
                    && self.lot.checked_mul(i64::from(self.max_lots)).is_some(),
                "mexc: values too large",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, reason)) => Err(SimError::InvalidConfig(reason)),
            None => Ok(()),
        }
    }
}

/// Whether the book generator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Generator {
    /// Books move every tick.
    #[default]
    Running,
    /// Books stay still until [`MexcVenue::resume`](crate::mexc::MexcVenue::resume) (or
    /// move by [`MexcVenue::advance`](crate::mexc::MexcVenue::advance)).
    Paused,
}

/// Which `privateOrders` field carries the order id: the 2025 docs show it in `id`
/// (field 1), the 2026 docs in `clientId` (field 2); the venue's practice is unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderIdField {
    /// Field 1, `id`.
    #[default]
    Id,
    /// Field 2, `clientId`.
    ClientId,
    /// Both fields.
    Both,
}

/// Where private events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateFlow {
    /// Only [`MexcVenue::place_order`](crate::mexc::MexcVenue::place_order),
    /// `fill` and `cancel`.
    #[default]
    Manual,
    /// Also a timer (for the demo): every period one lifecycle step on the first symbol
    /// (place a buy below the touch, fill half, fill the rest, place a sell above, cancel).
    Automatic {
        /// Time between steps.
        every: Duration,
    },
}

/// A deterministic 32-hex-digit id standing in for the venue's internal ids.
pub(crate) fn symbol_id(name: &str) -> String {
    let mut hash = 0x9e37_79b9_7f4a_7c15_u64;
    let mut out = String::with_capacity(32);
    for round in 0..2u64 {
        for byte in name.bytes() {
            hash = (hash ^ u64::from(byte) ^ round).wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out
}

/// The default API key.
pub const DEFAULT_API_KEY: &str = "mx0vglSIMULATORKEY";
/// The default secret: the docs' example secret (§1.8).
pub const DEFAULT_API_SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";
