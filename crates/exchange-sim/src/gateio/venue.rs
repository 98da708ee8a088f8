//! [`GateioVenue`]: shared state, the book generator, faults and the private lifecycle.
//!
//! One std `Mutex` guards the state and is never held across an `.await`. Every push is
//! numbered and sent on one broadcast feed while the lock is held, so the feed order is
//! the order things happened in, and a connection that subscribed at sequence `s` sees
//! exactly the pushes numbered after `s`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::Response;
use market_types::{Decimal, Side, Symbol};
use tokio::sync::broadcast;
use tokio::time::MissedTickBehavior;
use tracing::warn;

use super::account::{
    Account, FuturesPosition, GateioSimError, OrderState, PrivateChannel, PrivateRecord,
    SimOrderId, SpotBalance,
};
use super::book::{BookSim, BookTruth, Depth, Grid, LevelChanges, Step, XorShift, view_diff};
use super::config::{GateioSimConfig, Market, SizeFormat};
use super::wire::{self, BookPush, Now, NumberedTrade, TickerStats};
use crate::venue::{HttpRequest, Venue, VenueConn, VenueFuture, VenueTasks};

/// A fault of the Gate protocol itself, applied once to one book's stream by
/// [`GateioVenue::inject`] (on top of the core's connection faults).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GateioFault {
    /// The next update's `U` skips [`GAP_SKIP`] ids (`U = previous u + 1 + GAP_SKIP`). The
    /// truth follows the same ids, so only a REST resync recovers.
    SequenceGap {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
    },
    /// The last update sent on every view of the book is sent again, byte for byte, just
    /// before the next one.
    Duplicate {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
    },
    /// The next tick makes two steps and sends them second first.
    OutOfOrder {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
    },
    /// The next `count` REST snapshots of the book return the book as it was one step before
    /// the latest subscription to its stream (older than anything that subscription
    /// buffers), so `first buffered U > id + 1`.
    StaleSnapshot {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
        /// How many snapshots.
        count: u32,
    },
    /// The next update is sent as a full push: `"full": true`, its usual `U`/`u`, and the
    /// whole view (every level of the subscribed depth) instead of the changes.
    FullPush {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
    },
    /// The next tick sends one bogus update instead of a step: `U = u = previous u + 1`, a bid
    /// at the best ask's price, no asks. The truth takes the id but not the level, so it
    /// stays uncrossed; a client that applies the update must resync to match it again.
    CrossedUpdate {
        /// Which market.
        market: Market,
        /// Which book.
        symbol: String,
    },
}

impl GateioFault {
    fn target(&self) -> (Market, &str) {
        match self {
            Self::SequenceGap { market, symbol }
            | Self::Duplicate { market, symbol }
            | Self::OutOfOrder { market, symbol }
            | Self::StaleSnapshot { market, symbol, .. }
            | Self::FullPush { market, symbol }
            | Self::CrossedUpdate { market, symbol } => (*market, symbol),
        }
    }
}

/// The Gate.io spot and USDT-futures venue; also its control handle (keep an `Arc`).
///
/// See the [module documentation](super) for paths and behaviour.
pub struct GateioVenue {
    pub(crate) config: GateioSimConfig,
    state: Mutex<State>,
    /// Venue clock minus the host clock, ms (the clock-offset fault).
    clock_offset_ms: AtomicI64,
    /// `futures.login` answers `NOT_SUPPORTED` (as for some accounts).
    futures_login_unsupported: AtomicBool,
}

impl GateioVenue {
    /// A venue with fresh books (one warm-up step each) and a fresh account.
    pub fn new(config: GateioSimConfig) -> Arc<Self> {
        let (feed, _) = broadcast::channel(config.feed_capacity.max(1));
        let mut books = BTreeMap::new();
        for market in [Market::Spot, Market::Futures] {
            for name in config.symbols(market) {
                match Symbol::new(name) {
                    Ok(symbol) => {
                        books.insert((market, symbol), BookStream::new(&config, market, name));
                    }
                    Err(err) => warn!(%err, name, "symbol not served"),
                }
            }
        }
        let account = Account::new(&config.spot_symbols, &config.futures_contracts);
        Arc::new(Self {
            state: Mutex::new(State {
                paused: false,
                publisher: Publisher {
                    seq: 0,
                    feed,
                    subscribers: HashMap::new(),
                },
                books,
                account,
                next_trade_id: FIRST_TRADE_ID,
                auto_orders: Vec::new(),
            }),
            config,
            clock_offset_ms: AtomicI64::new(0),
            futures_login_unsupported: AtomicBool::new(false),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &GateioSimConfig {
        &self.config
    }

    /// The book's truth now: every maintained level, best first, and the id of the last
    /// update. Pause first to compare it with a client that has caught up.
    pub fn book(&self, market: Market, symbol: &str) -> Option<BookTruth> {
        let state = self.lock();
        let stream = state.books.get(&(market, Symbol::new(symbol).ok()?))?;
        Some(stream.current.truth(stream.sim.grid))
    }

    /// Stops the generator: no book changes and no public pushes until [`resume`](Self::resume).
    /// Private calls still work.
    pub fn pause(&self) {
        self.lock().paused = true;
    }

    /// Restarts the generator.
    pub fn resume(&self) {
        self.lock().paused = false;
    }

    /// Whether the generator is paused.
    pub fn is_paused(&self) -> bool {
        self.lock().paused
    }

    /// Advances every book by `ticks` generator ticks now, paused or not, publishing as the
    /// timer would. For deterministic tests (pause, then advance).
    pub fn advance(&self, ticks: usize) {
        let mut state = self.lock();
        for _ in 0..ticks {
            state.tick(&self.config, Now::read());
        }
    }

    /// Fault: the venue's clock runs `offset_ms` ahead of the host's (negative: behind).
    /// Signed requests are checked against it, as the venue checks them against its own
    /// clock, and `GET /api/v4/spot/time` tells it.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.clock_offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// The venue clock minus the host clock, ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The venue's clock at host time `now`.
    pub(crate) fn venue_now(&self, now: Now) -> Now {
        Now::from_micros(
            now.us
                .saturating_add(self.clock_offset_ms().saturating_mul(1_000)),
        )
    }

    /// Fault: `futures.login` answers `NOT_SUPPORTED`, as the WebSocket trading API does
    /// for some accounts, so the user id cannot be learnt by logging in.
    pub fn set_futures_login_unsupported(&self, unsupported: bool) {
        self.futures_login_unsupported
            .store(unsupported, Ordering::Relaxed);
    }

    pub(crate) fn futures_login_unsupported(&self) -> bool {
        self.futures_login_unsupported.load(Ordering::Relaxed)
    }

    /// Queues a one-shot protocol fault for a book's stream.
    pub fn inject(&self, fault: GateioFault) -> Result<(), GateioSimError> {
        let (market, symbol) = fault.target();
        let mut state = self.lock();
        let stream = Symbol::new(symbol)
            .ok()
            .and_then(|key| state.books.get_mut(&(market, key)))
            .ok_or_else(|| GateioSimError::UnknownSymbol {
                market,
                symbol: symbol.to_owned(),
            })?;
        let pending = &mut stream.faults;
        match fault {
            GateioFault::SequenceGap { .. } => pending.gap = true,
            GateioFault::Duplicate { .. } => pending.duplicate = true,
            GateioFault::OutOfOrder { .. } => pending.out_of_order = true,
            GateioFault::StaleSnapshot { count, .. } => pending.stale += count,
            GateioFault::FullPush { .. } => pending.full = true,
            GateioFault::CrossedUpdate { .. } => pending.crossed = true,
        }
        Ok(())
    }

    /// Opens a limit order for the simulated user and pushes its creation (order, and for
    /// spot the balance lock). Futures: `side` gives the sign of `size`, `amount` is in
    /// contracts (whole unless sizes are decimal strings).
    pub fn place_order(
        &self,
        market: Market,
        symbol: &str,
        side: Side,
        price: Decimal,
        amount: Decimal,
    ) -> Result<SimOrderId, GateioSimError> {
        if !self.config.serves(market, symbol) {
            return Err(GateioSimError::UnknownSymbol {
                market,
                symbol: symbol.to_owned(),
            });
        }
        if market == Market::Futures && !on_size_grid(self.config.futures_sizes, amount) {
            return Err(GateioSimError::InvalidAmount(
                "futures size off the contract grid",
            ));
        }
        let mut state = self.lock();
        let (id, records) =
            state
                .account
                .place(market, symbol, side, price, amount, Now::read().ms)?;
        state.push_private(&self.config, &records);
        Ok(id)
    }

    /// Fills `amount` of an open order at its price (maker): pushes the order (`update`, or
    /// `finish` when nothing is left), a user trade with a new unique id, the balance
    /// changes, and for futures the position. Returns the trade id.
    pub fn fill(&self, order: SimOrderId, amount: Decimal) -> Result<u64, GateioSimError> {
        let mut state = self.lock();
        let market = state
            .account
            .orders
            .get(&order)
            .map(|o| o.market)
            .ok_or(GateioSimError::UnknownOrder(order))?;
        if market == Market::Futures && !on_size_grid(self.config.futures_sizes, amount) {
            return Err(GateioSimError::InvalidAmount(
                "futures size off the contract grid",
            ));
        }
        let trade_id = state.next_trade_id;
        let records = state
            .account
            .fill(order, amount, trade_id, Now::read().ms)?;
        state.next_trade_id += 1;
        state.push_private(&self.config, &records);
        Ok(trade_id)
    }

    /// Cancels an open order: pushes the order (`finish`, `cancelled`) and for spot the
    /// balance unlock.
    pub fn cancel(&self, order: SimOrderId) -> Result<(), GateioSimError> {
        let mut state = self.lock();
        let records = state.account.cancel(order, Now::read().ms)?;
        state.push_private(&self.config, &records);
        Ok(())
    }

    /// One order's current state.
    pub fn order(&self, order: SimOrderId) -> Option<OrderState> {
        self.lock().account.orders.get(&order).cloned()
    }

    /// The open orders, lowest id first.
    pub fn open_orders(&self) -> Vec<OrderState> {
        let state = self.lock();
        state
            .account
            .orders
            .values()
            .filter(|order| order.is_open())
            .cloned()
            .collect()
    }

    /// A spot currency's balance (`None` if the currency never appeared).
    pub fn spot_balance(&self, currency: &str) -> Option<SpotBalance> {
        self.lock().account.spot.get(currency).copied()
    }

    /// The futures account's USDT balance.
    pub fn futures_balance(&self) -> Decimal {
        self.lock().account.futures_balance
    }

    /// A futures contract's position.
    pub fn position(&self, contract: &str) -> Option<FuturesPosition> {
        self.lock().account.positions.get(contract).copied()
    }

    /// Every private event produced so far, in order: the ledger tests compare deliveries
    /// with (each record was pushed once to every connection subscribed to its channel).
    pub fn private_events(&self) -> Vec<PrivateRecord> {
        self.lock().account.ledger.clone()
    }

    /// The private events produced since the last call (all of them the first time),
    /// handed over and forgotten, with every closed order and the fill history: a long run
    /// calls it when it has checked what was delivered, so the records stay bounded. Open
    /// orders, balances and positions stay.
    pub fn take_private_events(&self) -> Vec<PrivateRecord> {
        self.lock().account.take_history()
    }

    /// How many connections are subscribed to `channel` (wire name, e.g.
    /// `"spot.order_book_update"` or `"futures.orders"`) for `symbol` (ignored for private
    /// channels), counting every level of book streams.
    pub fn subscribers(&self, market: Market, channel: &str, symbol: &str) -> usize {
        let state = self.lock();
        let symbol = Symbol::new(symbol).ok();
        state
            .publisher
            .subscribers
            .iter()
            .filter(|(topic, _)| topic.market() == market && topic.channel() == channel)
            .filter(|(topic, _)| topic.symbol().is_none() || topic.symbol() == symbol)
            .map(|(_, count)| *count)
            .sum()
    }

    // ------------------------------------------------------------ crate-internal API

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the books in a state worth refusing to read.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn feed(&self) -> broadcast::Receiver<Arc<Push>> {
        self.lock().publisher.feed.subscribe()
    }

    /// The REST snapshot of a book: `limit` levels, or a stale one if a fault asks for it.
    pub(crate) fn snapshot(
        &self,
        market: Market,
        symbol: &str,
        limit: usize,
    ) -> Option<(Depth, Grid)> {
        let mut state = self.lock();
        let stream = state.books.get_mut(&(market, Symbol::new(symbol).ok()?))?;
        let depth = if stream.faults.stale > 0 {
            stream.faults.stale -= 1;
            stream
                .stale_base
                .as_ref()
                .unwrap_or(&stream.previous)
                .top(limit)
        } else {
            stream.current.top(limit)
        };
        Some((depth, stream.sim.grid))
    }

    fn auto_step(&self, rng: &mut XorShift) {
        let mut state = self.lock();
        let now = Now::read();
        let open: Vec<SimOrderId> = state
            .auto_orders
            .iter()
            .copied()
            .filter(|id| {
                state
                    .account
                    .orders
                    .get(id)
                    .is_some_and(OrderState::is_open)
            })
            .collect();
        state.auto_orders = open;
        let records = if let Some(&id) = state.auto_orders.first() {
            let Some(order) = state.account.orders.get(&id) else {
                return;
            };
            let left = order.left();
            // Fill half (on the grid) or the rest.
            let half = Decimal::from_parts(left.mantissa() / 2, left.scale()).unwrap_or(left);
            let amount = if half.is_zero() || rng.next_u64().is_multiple_of(2) {
                left
            } else {
                half
            };
            let trade_id = state.next_trade_id;
            state.next_trade_id += 1;
            state.account.fill(id, amount, trade_id, now.ms)
        } else {
            let books: Vec<(Market, Symbol)> = state.books.keys().copied().collect();
            let pick = usize::try_from(rng.next_u64() % books.len().max(1) as u64).unwrap_or(0);
            let Some(&(market, symbol)) = books.get(pick) else {
                return;
            };
            let Some(stream) = state.books.get(&(market, symbol)) else {
                return;
            };
            let side = if rng.next_u64().is_multiple_of(2) {
                Side::Buy
            } else {
                Side::Sell
            };
            let Some((ticks, _)) = stream.current.best(side) else {
                return;
            };
            let grid = stream.sim.grid;
            let price = grid.price(ticks);
            let amount = match market {
                Market::Spot => grid.size(rng.range(1, 100)),
                Market::Futures => Decimal::from_parts(rng.range(2, 20), 0).unwrap_or(Decimal::ONE),
            };
            state
                .account
                .place(market, symbol.as_str(), side, price, amount, now.ms)
                .map(|(id, records)| {
                    state.auto_orders.push(id);
                    records
                })
        };
        match records {
            Ok(records) => state.push_private(&self.config, &records),
            Err(err) => warn!(%err, "automatic trading step refused"),
        }
    }
}

impl Venue for GateioVenue {
    fn start(self: Arc<Self>, tasks: &mut VenueTasks<'_>) {
        let generator = Arc::clone(&self);
        tasks.spawn(async move {
            let mut ticker =
                tokio::time::interval(generator.config.update_interval.max(MIN_INTERVAL));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                let mut state = generator.lock();
                if !state.paused {
                    state.tick(&generator.config, Now::read());
                }
            }
        });
        if let Some(period) = self.config.auto_trading {
            let venue = Arc::clone(&self);
            tasks.spawn(async move {
                let mut rng = XorShift::new(venue.config.seed ^ AUTO_SEED);
                let mut ticker = tokio::time::interval(period.max(MIN_INTERVAL));
                ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
                loop {
                    ticker.tick().await;
                    venue.auto_step(&mut rng);
                }
            });
        }
    }

    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture {
        Box::pin(super::session::serve(self, conn))
    }

    fn http(&self, request: &HttpRequest) -> Response<Bytes> {
        super::rest::handle(self, request)
    }
}

impl fmt::Debug for GateioVenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("GateioVenue")
            .field("config", &self.config)
            .field("paused", &state.paused)
            .field("seq", &state.publisher.seq)
            .field("books", &state.books.len())
            .field("clock_offset_ms", &self.clock_offset_ms())
            .finish_non_exhaustive()
    }
}

/// What a push is about; connections keep the topics they subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Topic {
    Book {
        market: Market,
        symbol: Symbol,
        level: u16,
    },
    BookTicker {
        market: Market,
        symbol: Symbol,
    },
    Trades {
        market: Market,
        symbol: Symbol,
    },
    Tickers {
        market: Market,
        symbol: Symbol,
    },
    Private {
        market: Market,
        channel: PrivateChannel,
    },
}

impl Topic {
    pub(crate) fn market(&self) -> Market {
        match self {
            Self::Book { market, .. }
            | Self::BookTicker { market, .. }
            | Self::Trades { market, .. }
            | Self::Tickers { market, .. }
            | Self::Private { market, .. } => *market,
        }
    }

    pub(crate) fn symbol(&self) -> Option<Symbol> {
        match self {
            Self::Book { symbol, .. }
            | Self::BookTicker { symbol, .. }
            | Self::Trades { symbol, .. }
            | Self::Tickers { symbol, .. } => Some(*symbol),
            Self::Private { .. } => None,
        }
    }

    fn channel(&self) -> &'static str {
        match (self, self.market()) {
            (Self::Book { .. }, Market::Spot) => "spot.order_book_update",
            (Self::Book { .. }, Market::Futures) => "futures.order_book_update",
            (Self::BookTicker { .. }, Market::Spot) => "spot.book_ticker",
            (Self::BookTicker { .. }, Market::Futures) => "futures.book_ticker",
            (Self::Trades { .. }, Market::Spot) => "spot.trades",
            (Self::Trades { .. }, Market::Futures) => "futures.trades",
            (Self::Tickers { .. }, Market::Spot) => "spot.tickers",
            (Self::Tickers { .. }, Market::Futures) => "futures.tickers",
            (Self::Private { market, channel }, _) => channel.name(*market),
        }
    }
}

/// One push on the shared feed, encoded once.
#[derive(Debug)]
pub(crate) struct Push {
    pub(crate) seq: u64,
    pub(crate) topic: Topic,
    /// For private pushes, the pair or contract it is about (`None` for balances).
    pub(crate) symbol: Option<Symbol>,
    pub(crate) payload: Bytes,
}

/// Numbers and sends pushes; counts subscribers so that nobody's views are not encoded.
#[derive(Debug)]
pub(crate) struct Publisher {
    pub(crate) seq: u64,
    feed: broadcast::Sender<Arc<Push>>,
    pub(crate) subscribers: HashMap<Topic, usize>,
}

impl Publisher {
    fn wanted(&self, topic: &Topic) -> bool {
        self.subscribers.get(topic).is_some_and(|count| *count > 0)
    }

    fn send(&mut self, topic: Topic, symbol: Option<Symbol>, payload: Bytes) {
        self.seq += 1;
        // No receiver only means nobody is connected.
        let _ = self.feed.send(Arc::new(Push {
            seq: self.seq,
            topic,
            symbol,
            payload,
        }));
    }
}

#[derive(Debug)]
pub(crate) struct State {
    paused: bool,
    pub(crate) publisher: Publisher,
    pub(crate) books: BTreeMap<(Market, Symbol), BookStream>,
    pub(crate) account: Account,
    next_trade_id: u64,
    auto_orders: Vec<SimOrderId>,
}

impl State {
    /// Registers one subscription of a topic; returns the first push sequence it may see.
    pub(crate) fn add_subscriber(&mut self, topic: Topic) -> u64 {
        *self.publisher.subscribers.entry(topic).or_default() += 1;
        if let Topic::Book { market, symbol, .. } = topic
            && let Some(stream) = self.books.get_mut(&(market, symbol))
        {
            stream.stale_base = Some(stream.previous.clone());
        }
        self.publisher.seq + 1
    }

    /// A `"full": true` push of a book view as it is now, with `U = u = ` its current id.
    pub(crate) fn full_view(
        &self,
        config: &GateioSimConfig,
        topic: &Topic,
        now: Now,
    ) -> Option<Bytes> {
        let Topic::Book {
            market,
            symbol,
            level,
        } = *topic
        else {
            return None;
        };
        let stream = self.books.get(&(market, symbol))?;
        let view = stream.current.top(usize::from(level).min(config.levels));
        let push = BookPush {
            symbol: symbol.as_str(),
            level,
            first_id: view.update_id,
            last_id: view.update_id,
            full: Some(true),
            bids: &view.bids,
            asks: &view.asks,
        };
        Some(wire::book_update(
            market,
            stream.sim.grid,
            config.futures_sizes,
            &push,
            now,
        ))
    }

    pub(crate) fn remove_subscriber(&mut self, topic: &Topic) {
        if let Some(count) = self.publisher.subscribers.get_mut(topic) {
            *count = count.saturating_sub(1);
        }
    }

    /// One generator tick: every book takes a step (or plays its pending fault).
    fn tick(&mut self, config: &GateioSimConfig, now: Now) {
        let Self {
            publisher,
            books,
            next_trade_id,
            ..
        } = self;
        for (&(market, symbol), stream) in books.iter_mut() {
            stream.tick(config, market, symbol, publisher, next_trade_id, now);
        }
    }

    fn push_private(&mut self, config: &GateioSimConfig, records: &[PrivateRecord]) {
        let now = Now::read();
        for record in records {
            let channel = match record {
                PrivateRecord::Order { .. } => PrivateChannel::Orders,
                PrivateRecord::Trade { .. } => PrivateChannel::UserTrades,
                PrivateRecord::Balance { .. } => PrivateChannel::Balances,
                PrivateRecord::Position { .. } => PrivateChannel::Positions,
            };
            let topic = Topic::Private {
                market: record.market(),
                channel,
            };
            if !self.publisher.wanted(&topic) {
                continue;
            }
            let order = match record {
                PrivateRecord::Order { order_id, .. } => self.account.orders.get(order_id),
                _ => None,
            };
            // A trade carries the time REST reports for it too.
            let at = match record {
                PrivateRecord::Trade { trade_id, .. } => self
                    .account
                    .trade(*trade_id)
                    .map_or(now, |t| Now::from_millis(t.time_ms)),
                _ => now,
            };
            let payload =
                wire::private_push(record, config.user_id, config.futures_sizes, order, at);
            let symbol = record.symbol().and_then(|s| Symbol::new(s).ok());
            self.publisher.send(topic, symbol, payload);
        }
    }
}

/// One book and its stream's state.
#[derive(Debug)]
pub(crate) struct BookStream {
    pub(crate) sim: BookSim,
    /// The book now (the truth).
    current: Depth,
    /// The book one step before `current`.
    previous: Depth,
    /// `previous` as it was when the latest subscription to the stream started.
    stale_base: Option<Depth>,
    faults: PendingFaults,
    /// The last book pushes sent, per level, for [`GateioFault::Duplicate`].
    last_sent: Vec<(u16, Bytes)>,
    next_id_market: u64,
    stats: TickerStats,
}

#[derive(Debug, Default)]
struct PendingFaults {
    gap: bool,
    duplicate: bool,
    out_of_order: bool,
    full: bool,
    crossed: bool,
    stale: u32,
}

impl BookStream {
    fn new(config: &GateioSimConfig, market: Market, name: &str) -> Self {
        let hash = fnv1a(market, name);
        let (grid, max_lots, mid) = match market {
            Market::Spot => (
                Grid {
                    price_scale: 2,
                    size_scale: 4,
                },
                10_000,
                1_000_000 + i64::try_from(hash % 1_000_000).unwrap_or(0),
            ),
            Market::Futures => (
                Grid {
                    price_scale: 1,
                    size_scale: match config.futures_sizes {
                        SizeFormat::Integer => 0,
                        SizeFormat::DecimalString => 1,
                    },
                },
                5_000,
                100_000 + i64::try_from(hash % 100_000).unwrap_or(0),
            ),
        };
        let first_id = 10_000_000 + hash % 1_000_000;
        let mut sim = BookSim::new(
            grid,
            config.levels,
            max_lots,
            mid,
            first_id,
            config.seed ^ hash,
        );
        let previous = sim.depth();
        // One warm-up step, so that an older state exists for stale snapshots.
        sim.step(0);
        let current = sim.depth();
        let mid_price = grid.price(mid);
        Self {
            sim,
            current,
            previous,
            stale_base: None,
            faults: PendingFaults::default(),
            last_sent: Vec::new(),
            next_id_market: 1 + hash % 100_000,
            stats: TickerStats {
                last: mid_price,
                open: mid_price,
                high: mid_price,
                low: mid_price,
                base_volume: Decimal::ZERO,
                quote_volume: Decimal::ZERO,
                best_bid: mid_price,
                best_ask: mid_price,
            },
        }
    }

    fn tick(
        &mut self,
        config: &GateioSimConfig,
        market: Market,
        symbol: Symbol,
        publisher: &mut Publisher,
        next_trade_id: &mut u64,
        now: Now,
    ) {
        let views: Vec<(u16, usize)> = stream_levels(market)
            .iter()
            .filter(|&&level| {
                publisher.wanted(&Topic::Book {
                    market,
                    symbol,
                    level,
                })
            })
            .map(|&level| (level, usize::from(level).min(config.levels)))
            .collect();
        let out = Outlet {
            market,
            symbol,
            sizes: config.futures_sizes,
            grid: self.sim.grid,
            now,
        };
        if std::mem::take(&mut self.faults.crossed) {
            self.send_crossed(&out, &views, publisher);
            return;
        }
        if std::mem::take(&mut self.faults.duplicate) {
            for (level, payload) in &self.last_sent {
                if views.iter().any(|(l, _)| l == level) {
                    publisher.send(out.topic(*level), None, payload.clone());
                }
            }
        }
        let skip = if std::mem::take(&mut self.faults.gap) {
            GAP_SKIP
        } else {
            0
        };
        let full = std::mem::take(&mut self.faults.full);
        let first = self.step(skip, &out, &views, full);
        let mut steps = vec![first];
        if std::mem::take(&mut self.faults.out_of_order) {
            let second = self.step(0, &out, &views, false);
            steps.insert(0, second);
        }
        for done in &steps {
            for (level, payload) in &done.messages {
                publisher.send(out.topic(*level), None, payload.clone());
            }
        }
        if let Some(last) = steps.last() {
            self.last_sent.clone_from(&last.messages);
        }
        // Trades, tickers and the book ticker follow the book, in step order.
        steps.sort_by_key(|done| done.step.first_id);
        for done in &steps {
            self.side_channels(&out, done, publisher, next_trade_id);
        }
    }

    /// Steps the book and encodes the views (full views if `full`).
    fn step(&mut self, skip: u64, out: &Outlet, views: &[(u16, usize)], full: bool) -> Stepped {
        let before = std::mem::take(&mut self.current);
        let step = self.sim.step(skip);
        self.current = self.sim.depth();
        let after = &self.current;
        let messages = views
            .iter()
            .map(|&(level, depth)| {
                let (bids, asks) = if full {
                    let view = after.top(depth);
                    (view.bids, view.asks)
                } else {
                    view_diff(&before, after, depth)
                };
                let push = BookPush {
                    symbol: out.symbol.as_str(),
                    level,
                    first_id: step.first_id,
                    last_id: step.last_id,
                    full: full.then_some(true),
                    bids: &bids,
                    asks: &asks,
                };
                (
                    level,
                    wire::book_update(out.market, out.grid, out.sizes, &push, out.now),
                )
            })
            .collect();
        let best_changed = [Side::Buy, Side::Sell]
            .iter()
            .any(|&side| before.best(side) != after.best(side));
        let ticker = best_changed.then(|| after.clone());
        self.previous = before;
        Stepped {
            step,
            messages,
            ticker,
        }
    }

    fn send_crossed(&mut self, out: &Outlet, views: &[(u16, usize)], publisher: &mut Publisher) {
        let id = self.sim.burn_id();
        let bogus: LevelChanges = self
            .current
            .best(Side::Sell)
            .map(|(ticks, _)| vec![(ticks, 1)])
            .unwrap_or_default();
        let empty = LevelChanges::new();
        for &(level, _) in views {
            let push = BookPush {
                symbol: out.symbol.as_str(),
                level,
                first_id: id,
                last_id: id,
                full: None,
                bids: &bogus,
                asks: &empty,
            };
            let payload = wire::book_update(out.market, out.grid, out.sizes, &push, out.now);
            publisher.send(out.topic(level), None, payload);
        }
        self.previous = self.current.clone();
        self.current.update_id = id;
    }

    fn side_channels(
        &mut self,
        out: &Outlet,
        done: &Stepped,
        publisher: &mut Publisher,
        next_trade_id: &mut u64,
    ) {
        let (market, symbol) = (out.market, out.symbol);
        let trades: Vec<NumberedTrade> = done
            .step
            .trades
            .iter()
            .map(|&trade| {
                let numbered = NumberedTrade {
                    id: *next_trade_id,
                    id_market: self.next_id_market,
                    trade,
                };
                *next_trade_id += 1;
                self.next_id_market += 1;
                numbered
            })
            .collect();
        for trade in &trades {
            let (price, size) = (
                out.grid.price(trade.trade.ticks),
                out.grid.size(trade.trade.lots),
            );
            let stats = &mut self.stats;
            stats.last = price;
            stats.high = stats.high.max(price);
            stats.low = stats.low.min(price);
            stats.base_volume = stats
                .base_volume
                .checked_add(size)
                .unwrap_or(stats.base_volume);
            stats.quote_volume = price
                .checked_mul(size)
                .and_then(|quote| stats.quote_volume.checked_add(quote))
                .unwrap_or(stats.quote_volume);
        }
        let trades_topic = Topic::Trades { market, symbol };
        if !trades.is_empty() && publisher.wanted(&trades_topic) {
            match market {
                Market::Spot => {
                    for trade in &trades {
                        let payload = wire::spot_trade(out.grid, symbol.as_str(), trade, out.now);
                        publisher.send(trades_topic, None, payload);
                    }
                }
                Market::Futures => {
                    let payload = wire::futures_trades(
                        out.grid,
                        out.sizes,
                        symbol.as_str(),
                        &trades,
                        out.now,
                    );
                    publisher.send(trades_topic, None, payload);
                }
            }
        }
        if let Some(depth) = &done.ticker {
            let grid = out.grid;
            if let Some((ticks, _)) = depth.best(Side::Buy) {
                self.stats.best_bid = grid.price(ticks);
            }
            if let Some((ticks, _)) = depth.best(Side::Sell) {
                self.stats.best_ask = grid.price(ticks);
            }
            let topic = Topic::BookTicker { market, symbol };
            if publisher.wanted(&topic) {
                let payload =
                    wire::book_ticker(market, grid, out.sizes, symbol.as_str(), depth, out.now);
                publisher.send(topic, None, payload);
            }
        }
        let tickers = Topic::Tickers { market, symbol };
        if !trades.is_empty() && publisher.wanted(&tickers) {
            let payload = wire::ticker(market, symbol.as_str(), &self.stats, out.now);
            publisher.send(tickers, None, payload);
        }
    }
}

/// Where a book's pushes go and how they are written.
struct Outlet {
    market: Market,
    symbol: Symbol,
    sizes: SizeFormat,
    grid: Grid,
    now: Now,
}

impl Outlet {
    fn topic(&self, level: u16) -> Topic {
        Topic::Book {
            market: self.market,
            symbol: self.symbol,
            level,
        }
    }
}

/// One step and its encoded views.
struct Stepped {
    step: Step,
    messages: Vec<(u16, Bytes)>,
    /// The book after the step, if its best levels changed.
    ticker: Option<Depth>,
}

/// The stream levels a market offers (`l`).
pub(crate) fn stream_levels(market: Market) -> &'static [u16] {
    match market {
        Market::Spot => &[20, 100],
        Market::Futures => &[20, 50, 100],
    }
}

fn on_size_grid(format: SizeFormat, amount: Decimal) -> bool {
    match format {
        SizeFormat::Integer => amount.scale() == 0,
        SizeFormat::DecimalString => amount.scale() <= 1,
    }
}

/// FNV-1a of the market and symbol: per-book parameters that do not depend on config order.
fn fnv1a(market: Market, name: &str) -> u64 {
    market
        .prefix()
        .bytes()
        .chain([b':'])
        .chain(name.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// How many ids [`GateioFault::SequenceGap`] leaves out.
pub const GAP_SKIP: u64 = 5;
/// The first trade id (public and user trades share the sequence).
const FIRST_TRADE_ID: u64 = 300_000_001;
/// The shortest generator or automatic-trading period accepted.
const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1);
/// Mixed into the seed of the automatic trader.
const AUTO_SEED: u64 = 0x5eed_a070;

#[cfg(test)]
mod tests {
    use super::*;

    fn venue() -> Arc<GateioVenue> {
        GateioVenue::new(GateioSimConfig {
            levels: 30,
            ..GateioSimConfig::default()
        })
    }

    #[test]
    fn truth_is_deterministic_per_seed() {
        let (a, b) = (venue(), venue());
        a.advance(50);
        b.advance(50);
        assert_eq!(
            a.book(Market::Spot, "BTC_USDT"),
            b.book(Market::Spot, "BTC_USDT")
        );
        let truth = a
            .book(Market::Futures, "ETH_USDT")
            .unwrap_or_else(|| panic!("no book"));
        assert_eq!(truth.bids.len(), 30);
        assert!(!truth.is_crossed());
        assert!(a.book(Market::Spot, "NOPE_USDT").is_none());
    }

    #[test]
    fn crossed_fault_burns_an_id_but_keeps_the_truth() {
        let venue = venue();
        let before = venue
            .book(Market::Spot, "BTC_USDT")
            .unwrap_or_else(|| panic!("no book"));
        let fault = GateioFault::CrossedUpdate {
            market: Market::Spot,
            symbol: "BTC_USDT".to_owned(),
        };
        assert!(venue.inject(fault).is_ok());
        venue.advance(1);
        let after = venue
            .book(Market::Spot, "BTC_USDT")
            .unwrap_or_else(|| panic!("no book"));
        assert_eq!(after.update_id, before.update_id + 1);
        assert_eq!(after.bids, before.bids);
        assert!(
            venue
                .inject(GateioFault::Duplicate {
                    market: Market::Futures,
                    symbol: "XRP_USDT".to_owned(),
                })
                .is_err()
        );
    }

    #[test]
    fn gap_fault_skips_ids_in_the_truth() {
        let venue = venue();
        let before = venue
            .book(Market::Futures, "BTC_USDT")
            .map_or(0, |t| t.update_id);
        let fault = GateioFault::SequenceGap {
            market: Market::Futures,
            symbol: "BTC_USDT".to_owned(),
        };
        assert!(venue.inject(fault).is_ok());
        venue.advance(1);
        let after = venue
            .book(Market::Futures, "BTC_USDT")
            .map_or(0, |t| t.update_id);
        assert!(after > before + GAP_SKIP);
    }
}
