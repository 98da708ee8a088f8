//! The venue: contracts' books and their generator, the account, faults, and the push
//! feed every connection reads.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::Response;
use market_types::{Decimal, Price, Symbol};
use tokio::sync::broadcast;
use tokio::time::MissedTickBehavior;

use crate::error::SimError;
use crate::mexc::Generator;
use crate::mexc::book::{BookTruth, Flush, SymbolBook};
use crate::mexc_futures::account::{
    Account, FuturesAsset, FuturesLedgerEntry, FuturesOrder, FuturesPosition, FuturesPrivate,
    OrderSide, PrivateKind, Terms,
};
use crate::mexc_futures::config::{ContractSpec, MexcFuturesConfig};
use crate::mexc_futures::error::MexcFuturesError;
use crate::mexc_futures::wire::{self, Ticker};
use crate::venue::{HttpRequest, Venue, VenueConn, VenueFuture, VenueTasks};

/// The MEXC USDT-M futures venue. Mount it (e.g. at [`MOUNT`](crate::mexc_futures::MOUNT))
/// and keep the `Arc`: it is the test's window on the truth.
pub struct MexcFuturesVenue {
    pub(crate) config: MexcFuturesConfig,
    state: Mutex<State>,
    pub(crate) feed: broadcast::Sender<Arc<Published>>,
}

/// A fault for [`MexcFuturesVenue::inject`]; each injection happens once. Connection
/// faults (drop, 1005 close, stall, malformed frames) are the core's
/// [`Fault`](crate::Fault)s and REST 429s the core's [`HttpFault`](crate::HttpFault).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MexcFuturesFault {
    /// At the contract's next generator tick, one version is applied to the truth (and to
    /// `depth_commits`) but never pushed on the per-version stream: the next `push.depth`
    /// of a `"compress": false` subscription has `version` = previous + 2. Merged
    /// (`compress: true`) pushes still cover it.
    VersionGap {
        /// The contract.
        symbol: Symbol,
    },
    /// The next per-version `push.depth` of the contract is sent twice (same version).
    DuplicateDepth {
        /// The contract.
        symbol: Symbol,
    },
    /// At the contract's next tick (or [`MexcFuturesVenue::advance`]), at least three
    /// versions are made and sent on the per-version stream as one merged push (latest
    /// size per level, `version` = the last one), as the venue may do despite
    /// `"compress": false`: the client sees `version` jump by the count. `depth_commits`
    /// still has every version.
    MergedDepth {
        /// The contract.
        symbol: Symbol,
    },
    /// The next `count` REST depth snapshots of the contract return the book as it is at
    /// injection time, however far the stream has moved since.
    StaleSnapshot {
        /// The contract.
        symbol: Symbol,
        /// How many snapshot requests get the old book.
        count: u32,
    },
}

/// Counters of the venue, read with [`MexcFuturesVenue::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MexcFuturesStats {
    /// Frames handed to the feed.
    pub pushes_published: u64,
    /// Faults that reached the wire (or the truth, for gaps).
    pub faults_applied: u64,
    /// REST depth snapshots served.
    pub snapshots_served: u64,
    /// Of those, stale ones.
    pub stale_snapshots_served: u64,
    /// Successful logins.
    pub logins: u64,
    /// Connections closed for not pinging within `ping_timeout`.
    pub ping_timeouts: u64,
    /// Connections closed for falling behind the feed.
    pub slow_consumers_closed: u64,
}

/// What a push is about; a connection forwards the topics it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Topic {
    /// `push.depth`, one version each (`"compress": false`).
    Depth(Symbol),
    /// `push.depth`, one per tick covering all its versions (`"compress": true`).
    DepthMerged(Symbol),
    /// `push.depth.full` with this many levels.
    DepthFull(Symbol, usize),
    /// `push.deal`.
    Deal(Symbol),
    /// `push.ticker`.
    Ticker(Symbol),
    /// A private push, about a contract (or `None` for the asset).
    Private(PrivateKind, Option<Symbol>),
}

/// What the feed carries to every connection task.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) topic: Topic,
    /// The JSON text; the connection gzips it for subscriptions that want that.
    pub(crate) text: Bytes,
}

/// One contract's book, its recent changes and ticker statistics.
#[derive(Debug)]
pub(crate) struct ContractBook {
    pub(crate) spec: ContractSpec,
    pub(crate) book: SymbolBook,
    /// Newest last, at most `commits_kept`.
    pub(crate) commits: VecDeque<Flush>,
    pub(super) ticker: Ticker,
}

#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub(crate) version: u64,
    pub(crate) bids: Vec<(i64, i64)>,
    pub(crate) asks: Vec<(i64, i64)>,
    pub(crate) remaining: u32,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(super) paused: bool,
    pub(super) ticks: u64,
    pub(crate) books: BTreeMap<Symbol, ContractBook>,
    pub(super) subscribers: HashMap<Topic, usize>,
    pub(crate) account: Account,
    pub(super) gaps: VecDeque<Symbol>,
    pub(super) duplicates: VecDeque<Symbol>,
    pub(super) merged: VecDeque<Symbol>,
    auto: AutoFlow,
    pub(crate) stale: HashMap<Symbol, Snapshot>,
    pub(crate) stats: MexcFuturesStats,
}

impl MexcFuturesVenue {
    /// A venue with its books at their starting versions.
    ///
    /// # Errors
    /// [`SimError::InvalidConfig`] for an inconsistent configuration.
    pub fn new(config: MexcFuturesConfig) -> Result<Self, SimError> {
        config.validate()?;
        let books = config
            .contracts
            .iter()
            .map(|spec| {
                let book = SymbolBook::new(spec.book.clone());
                let (bid, ask) = book.touch();
                let bid = bid.map_or(spec.book.start_price, |l| l.0);
                let ask = ask.map_or(spec.book.start_price, |l| l.0);
                let ticker = Ticker {
                    contract_id: spec.contract_id,
                    last: bid,
                    bid,
                    ask,
                    high: ask,
                    low: bid,
                    volume24: 0,
                    hold_vol: 2_284_742,
                };
                let contract = ContractBook {
                    spec: spec.clone(),
                    book,
                    commits: VecDeque::new(),
                    ticker,
                };
                (spec.book.symbol, contract)
            })
            .collect();
        let (feed, _) = broadcast::channel(config.feed_capacity);
        let state = State {
            paused: config.generator == Generator::Paused,
            ticks: 0,
            books,
            subscribers: HashMap::new(),
            account: Account::new(config.start_balance),
            gaps: VecDeque::new(),
            duplicates: VecDeque::new(),
            merged: VecDeque::new(),
            auto: AutoFlow::default(),
            stale: HashMap::new(),
            stats: MexcFuturesStats::default(),
        };
        Ok(Self {
            config,
            state: Mutex::new(state),
            feed,
        })
    }

    /// The contract's whole book as the venue holds it (volumes in contracts).
    pub fn book(&self, symbol: &str) -> Option<BookTruth> {
        let symbol = Symbol::new(symbol).ok()?;
        self.lock().books.get(&symbol).map(|c| c.book.truth(None))
    }

    /// Base asset per contract.
    pub fn contract_size(&self, symbol: &str) -> Option<Decimal> {
        let symbol = Symbol::new(symbol).ok()?;
        self.lock().books.get(&symbol).map(|c| c.spec.contract_size)
    }

    /// Stops the generator (every change made so far has been pushed).
    pub fn pause(&self) {
        self.lock().paused = true;
    }

    /// Starts the generator again.
    pub fn resume(&self) {
        self.lock().paused = false;
    }

    /// Makes `versions` versions of every contract now, pushed as the generator would
    /// (one merged push per contract), whether paused or not.
    pub fn advance(&self, versions: u32) {
        let now = now_ms();
        let mut state = self.lock();
        let symbols: Vec<Symbol> = state.books.keys().copied().collect();
        for symbol in symbols {
            self.step_contract(&mut state, symbol, versions, now);
        }
    }

    /// Arms a fault.
    ///
    /// # Errors
    /// [`MexcFuturesError::UnknownContract`] for a contract the venue does not serve.
    pub fn inject(&self, fault: MexcFuturesFault) -> Result<(), MexcFuturesError> {
        let mut state = self.lock();
        let known = |state: &State, symbol: &Symbol| {
            state
                .books
                .contains_key(symbol)
                .then_some(())
                .ok_or_else(|| MexcFuturesError::UnknownContract(symbol.to_string()))
        };
        match fault {
            MexcFuturesFault::VersionGap { symbol } => {
                known(&state, &symbol)?;
                state.gaps.push_back(symbol);
            }
            MexcFuturesFault::DuplicateDepth { symbol } => {
                known(&state, &symbol)?;
                state.duplicates.push_back(symbol);
            }
            MexcFuturesFault::MergedDepth { symbol } => {
                known(&state, &symbol)?;
                state.merged.push_back(symbol);
            }
            MexcFuturesFault::StaleSnapshot { symbol, count } => {
                known(&state, &symbol)?;
                let contract = &state.books[&symbol];
                let (bids, asks) = contract.book.top(usize::MAX);
                let version = contract.book.version();
                state.stale.insert(
                    symbol,
                    Snapshot {
                        version,
                        bids,
                        asks,
                        remaining: count,
                    },
                );
            }
        }
        Ok(())
    }

    /// Places an order of the simulated user; returns its id. Pushes `push.personal.order`
    /// (and `push.personal.asset` for an opening order, whose margin is frozen).
    ///
    /// # Errors
    /// Unknown contract, a price off the tick grid, a close larger than the position, or
    /// not enough balance.
    pub fn place_order(
        &self,
        symbol: &str,
        side: OrderSide,
        price: Price,
        vol: u64,
    ) -> Result<String, MexcFuturesError> {
        self.place(symbol, side, PriceAt::Exact(price), vol)
    }

    fn place(
        &self,
        symbol: &str,
        side: OrderSide,
        price: PriceAt,
        vol: u64,
    ) -> Result<String, MexcFuturesError> {
        let now = now_ms();
        let mut state = self.lock();
        let symbol_key = Symbol::new(symbol)
            .map_err(|_| MexcFuturesError::UnknownContract(symbol.to_owned()))?;
        let contract = state
            .books
            .get(&symbol_key)
            .ok_or_else(|| MexcFuturesError::UnknownContract(symbol.to_owned()))?;
        let terms = terms(&contract.spec);
        let units = match price {
            PriceAt::Exact(price) => price_units(price.value(), terms.price_scale)?,
            PriceAt::FromTouch(ticks) => {
                let (bid, ask) = contract.book.touch();
                let tick = contract.spec.book.tick;
                let touch = if ticks < 0 { bid } else { ask };
                let (touch, _) = touch.ok_or(MexcFuturesError::InvalidAmount)?;
                touch
                    .checked_add(ticks.checked_mul(tick).ok_or(MexcFuturesError::Overflow)?)
                    .ok_or(MexcFuturesError::Overflow)?
            }
        };
        let pushes = state
            .account
            .place(symbol_key, side, units, vol, terms, now)?;
        let order_id = match pushes.first() {
            Some(FuturesPrivate::Order(order)) => order.order_id.clone(),
            _ => return Err(MexcFuturesError::Overflow),
        };
        self.publish_private(&mut state, pushes, now);
        Ok(order_id)
    }

    /// Fills `vol` contracts of an open order at its price. Pushes, in order,
    /// `push.personal.order.deal`, `push.personal.order`, `push.personal.position`,
    /// `push.personal.asset`.
    ///
    /// # Errors
    /// Unknown or closed order, or more than it has left.
    pub fn fill(&self, order_id: &str, vol: u64) -> Result<(), MexcFuturesError> {
        let now = now_ms();
        let mut state = self.lock();
        let terms = order_terms(&state, order_id)?;
        let pushes = state.account.fill(order_id, vol, terms, now)?;
        self.publish_private(&mut state, pushes, now);
        Ok(())
    }

    /// Cancels an open order. Pushes `push.personal.order` (state 4), and the asset for an
    /// opening order.
    ///
    /// # Errors
    /// Unknown or closed order.
    pub fn cancel(&self, order_id: &str) -> Result<(), MexcFuturesError> {
        let now = now_ms();
        let mut state = self.lock();
        let terms = order_terms(&state, order_id)?;
        let pushes = state.account.cancel(order_id, terms, now)?;
        self.publish_private(&mut state, pushes, now);
        Ok(())
    }

    /// Every private push so far, in order, with its exact frame.
    pub fn private_events(&self) -> Vec<FuturesLedgerEntry> {
        self.lock().account.ledger.clone()
    }

    /// The private pushes produced since the last call (all of them the first time), handed
    /// over and forgotten, with every closed order and the fill history: a long run calls
    /// it when it has checked what was delivered, so the records stay bounded. Open orders,
    /// positions and the asset stay; [`FuturesLedgerEntry::seq`] keeps counting.
    pub fn take_private_events(&self) -> Vec<FuturesLedgerEntry> {
        self.lock().account.take_history()
    }

    /// The account's open orders, oldest first.
    pub fn open_orders(&self) -> Vec<FuturesOrder> {
        self.lock()
            .account
            .open_orders(None)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Every order, open or not.
    pub fn orders(&self) -> Vec<FuturesOrder> {
        self.lock().account.orders.values().cloned().collect()
    }

    /// The account's open positions.
    pub fn positions(&self) -> Vec<FuturesPosition> {
        self.lock()
            .account
            .open_positions(None)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The USDT asset.
    pub fn asset(&self) -> FuturesAsset {
        self.lock().account.asset
    }

    /// The venue's counters.
    pub fn stats(&self) -> MexcFuturesStats {
        self.lock().stats
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the books in a state worth refusing to read.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the contract is served.
    pub(crate) fn serves(&self, symbol: Symbol) -> bool {
        self.lock().books.contains_key(&symbol)
    }

    /// Counts a subscription to `topic`, so its pushes get built.
    pub(crate) fn hold(&self, topic: Topic) {
        *self.lock().subscribers.entry(topic).or_insert(0) += 1;
    }

    /// Releases a subscription counted by [`Self::hold`].
    pub(crate) fn release(&self, topic: Topic) {
        let mut state = self.lock();
        if let Some(count) = state.subscribers.get_mut(&topic) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.subscribers.remove(&topic);
            }
        }
    }

    fn publish_private(&self, state: &mut State, pushes: Vec<FuturesPrivate>, now: i64) {
        for push in pushes {
            let frame = wire::private(&push, now);
            let topic = Topic::Private(push.kind(), push.symbol());
            state.account.record(push, frame.clone());
            self.publish(&mut state.stats, topic, frame);
        }
    }
}

impl MexcFuturesVenue {
    /// One step of the automatic flow on the first contract: open a long 5 ticks under
    /// the bid, fill it in two steps, close it 5 ticks over the ask, fill that, place a
    /// short 5 ticks over the ask and cancel it.
    fn auto_step(&self) {
        let (symbol, step, order) = {
            let state = self.lock();
            let Some(symbol) = state.books.keys().next().copied() else {
                return;
            };
            (symbol, state.auto.step, state.auto.order.clone())
        };
        let symbol = symbol.as_str();
        let outcome = match (step % 7, order) {
            (0, _) => self
                .place(symbol, OrderSide::OpenLong, PriceAt::FromTouch(-5), 2)
                .map(Some),
            (1 | 2 | 4, Some(id)) => self
                .fill(&id, if step % 7 == 4 { 2 } else { 1 })
                .map(|()| None),
            (3, _) => self
                .place(symbol, OrderSide::CloseLong, PriceAt::FromTouch(5), 2)
                .map(Some),
            (5, _) => self
                .place(symbol, OrderSide::OpenShort, PriceAt::FromTouch(5), 1)
                .map(Some),
            (6, Some(id)) => self.cancel(&id).map(|()| None),
            _ => Ok(None),
        };
        let mut state = self.lock();
        match outcome {
            Ok(Some(order_id)) => state.auto.order = Some(order_id),
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(%err, "automatic futures trading step failed, starting over");
                state.auto = AutoFlow::default();
                return;
            }
        }
        state.auto.step += 1;
    }
}

/// The price of an order placed by [`MexcFuturesVenue::place`].
#[derive(Debug, Clone, Copy)]
enum PriceAt {
    Exact(Price),
    /// This many ticks from the touch: under the bid when negative, over the ask otherwise.
    FromTouch(i64),
}

impl Venue for MexcFuturesVenue {
    fn start(self: Arc<Self>, tasks: &mut VenueTasks<'_>) {
        if let Some(every) = self.config.auto_trading {
            let venue = Arc::clone(&self);
            tasks.spawn(async move {
                let mut ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    venue.auto_step();
                }
            });
        }
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(self.config.tick_interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                self.tick();
            }
        });
    }

    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture {
        Box::pin(crate::mexc_futures::session::serve(self, conn))
    }

    fn http(&self, request: &HttpRequest) -> Response<Bytes> {
        crate::mexc_futures::rest::handle(self, request, now_ms())
    }
}

impl fmt::Debug for MexcFuturesVenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MexcFuturesVenue")
            .field("contracts", &state.books.keys().collect::<Vec<_>>())
            .field("paused", &state.paused)
            .field("stats", &state.stats)
            .finish_non_exhaustive()
    }
}

/// Where the automatic trading flow is.
#[derive(Debug, Default)]
struct AutoFlow {
    step: u64,
    order: Option<String>,
}

/// The `sub.depth.full` limits served.
pub(crate) const DEPTH_FULL_LIMITS: [usize; 3] = [5, 10, 20];

pub(crate) fn terms(spec: &ContractSpec) -> Terms {
    Terms {
        price_scale: spec.book.price_scale,
        contract_size: spec.contract_size,
    }
}

fn order_terms(state: &State, order_id: &str) -> Result<Terms, MexcFuturesError> {
    let order = state
        .account
        .orders
        .get(order_id)
        .ok_or_else(|| MexcFuturesError::UnknownOrder(order_id.to_owned()))?;
    state
        .books
        .get(&order.symbol)
        .map(|c| terms(&c.spec))
        .ok_or_else(|| MexcFuturesError::UnknownContract(order.symbol.to_string()))
}

/// A price in `10^-scale` units; an error if it has finer digits or does not fit.
fn price_units(price: Decimal, scale: u8) -> Result<i64, MexcFuturesError> {
    let (mantissa, own) = (price.mantissa(), price.scale());
    let units = if own <= scale {
        10i64
            .checked_pow(u32::from(scale - own))
            .and_then(|factor| mantissa.checked_mul(factor))
    } else {
        let factor = 10i64
            .checked_pow(u32::from(own - scale))
            .ok_or(MexcFuturesError::Overflow)?;
        (mantissa % factor == 0).then(|| mantissa / factor)
    };
    units
        .filter(|u| *u > 0)
        .ok_or(MexcFuturesError::InvalidAmount)
}

/// Wall-clock milliseconds, read only at the edges (never in frame builders).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
