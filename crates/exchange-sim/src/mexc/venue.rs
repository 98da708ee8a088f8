//! [`MexcVenue`]: the shared state, the generator tick, publishing, and the control
//! surface tests drive.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::Response;
use market_types::{Decimal, Price, Quantity, Side, Symbol};
use tokio::sync::broadcast;
use tokio::time::MissedTickBehavior;
use tracing::warn;

use crate::error::SimError;
use crate::event::ConnId;
use crate::mexc::account::{Account, BalanceTruth, LedgerEntry, OrderTruth, PrivatePush};
use crate::mexc::auth::ListenKeys;
use crate::mexc::book::{BookTruth, Flush, SymbolBook};
use crate::mexc::channel::{Channel, DepthLevels, Interval};
use crate::mexc::config::{Generator, MexcConfig, PrivateFlow, SymbolSpec};
use crate::mexc::control::{self, Refusal};
use crate::mexc::error::MexcError;
use crate::mexc::fault::{MexcFault, PbDefect};
use crate::mexc::feed;
use crate::mexc::pb::PushDataWrapper;
use crate::venue::{HttpRequest, Venue, VenueConn, VenueFuture, VenueTasks};

/// The MEXC spot v3 venue: WebSocket at `<prefix>/ws` (`?listenKey=K` for private
/// channels), REST under `<prefix>/api/v3/…`; also the test's handle on the truth.
///
/// See the [module documentation](crate::mexc) for the wire behaviour.
pub struct MexcVenue {
    pub(crate) config: MexcConfig,
    pub(crate) feed: broadcast::Sender<Arc<Published>>,
    state: Mutex<State>,
    /// Venue clock minus the host clock, ms (the clock-offset fault).
    clock_offset_ms: AtomicI64,
}

impl MexcVenue {
    /// A venue with `config`; mount it with
    /// `SimConfig::default().mount("/mexc", Arc::new(venue))` and keep a clone of the `Arc`.
    ///
    /// # Errors
    /// [`SimError::InvalidConfig`] for an out-of-range setting.
    pub fn new(config: MexcConfig) -> Result<MexcVenue, SimError> {
        config.validate()?;
        let (feed, _) = broadcast::channel(config.feed_capacity);
        let books = config
            .symbols
            .iter()
            .map(|spec| (spec.symbol, SymbolBook::new(spec.clone())))
            .collect();
        let state = State {
            paused: config.generator == Generator::Paused,
            ticks: 0,
            books,
            subscribers: HashMap::new(),
            conns: BTreeMap::new(),
            keys: ListenKeys::default(),
            account: Account::new(&config.balances, config.order_id_field),
            armed: Armed::default(),
            stale: HashMap::new(),
            auto: AutoFlow::default(),
            stats: MexcStats::default(),
        };
        Ok(MexcVenue {
            config,
            feed,
            state: Mutex::new(state),
            clock_offset_ms: AtomicI64::new(0),
        })
    }

    /// Fault: the venue's clock runs `offset_ms` ahead of the host's (negative: behind).
    /// SIGNED requests are checked against it (700003 outside `recvWindow`), and
    /// `GET /api/v3/time` tells it.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.clock_offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// The venue clock minus the host clock, ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &MexcConfig {
        &self.config
    }

    // ------------------------------------------------------------ the truth

    /// The symbol's whole book as the venue holds it, best first; `None` for an unknown
    /// symbol. Pause first to compare with a client: [`MexcVenue::pause`] pushes every
    /// pending window, so the last push's `toVersion` equals this `version`.
    pub fn book(&self, symbol: &str) -> Option<BookTruth> {
        let symbol = Symbol::new(symbol).ok()?;
        self.lock().books.get(&symbol).map(|book| book.truth(None))
    }

    /// Stops the generator and pushes every pending window (depth, deals, tickers and
    /// snapshots), so subscribers can reach the truth's version.
    pub fn pause(&self) {
        let now_ms = now_ms();
        let mut state = self.lock();
        state.paused = true;
        let symbols: Vec<Symbol> = state.books.keys().copied().collect();
        for symbol in symbols {
            for interval in Interval::ALL {
                self.publish_window(&mut state, symbol, interval, now_ms);
            }
        }
    }

    /// Restarts the generator.
    pub fn resume(&self) {
        self.lock().paused = false;
    }

    /// Whether the generator is paused.
    pub fn is_paused(&self) -> bool {
        self.lock().paused
    }

    /// Moves every book by `versions` versions at once (pending faults first) and pushes
    /// every window, whether or not the generator is paused.
    pub fn advance(&self, versions: u32) {
        let now_ms = now_ms();
        let mut state = self.lock();
        let symbols: Vec<Symbol> = state.books.keys().copied().collect();
        for symbol in symbols {
            self.apply_book_faults(&mut state, symbol, now_ms);
            if let Some(book) = state.books.get_mut(&symbol) {
                for _ in 0..versions {
                    book.step();
                }
            }
            for interval in Interval::ALL {
                self.publish_window(&mut state, symbol, interval, now_ms);
            }
        }
    }

    /// Arms a fault; see [`MexcFault`] for each one's wire effect.
    ///
    /// # Errors
    /// [`MexcError::UnknownSymbol`] for a symbol the venue does not list.
    pub fn inject(&self, fault: MexcFault) -> Result<(), MexcError> {
        let mut state = self.lock();
        let known = |state: &State, symbol: &Symbol| {
            if state.books.contains_key(symbol) {
                Ok(*symbol)
            } else {
                Err(MexcError::UnknownSymbol(symbol.to_string()))
            }
        };
        match fault {
            MexcFault::VersionGap { symbol } => {
                let symbol = known(&state, &symbol)?;
                state.armed.gaps.push_back(symbol);
            }
            MexcFault::CrossedUpdate { symbol } => {
                let symbol = known(&state, &symbol)?;
                state.armed.crossed.push_back(symbol);
            }
            MexcFault::StaleSnapshot { symbol, count } => {
                let symbol = known(&state, &symbol)?;
                if let Some(book) = state.books.get(&symbol) {
                    let (bids, asks) = book.top(usize::MAX);
                    let snapshot = Snapshot {
                        version: book.version(),
                        bids,
                        asks,
                        remaining: count,
                    };
                    state.stale.insert(symbol, snapshot);
                }
            }
            MexcFault::MalformedProtobuf(defect) => state.armed.malformed.push_back(defect),
            MexcFault::TruncatedProtobuf => state.armed.truncated += 1,
            MexcFault::UnknownFields => state.armed.unknown_fields += 1,
        }
        Ok(())
    }

    // ------------------------------------------------------------ private lifecycle

    /// Places a limit order for the one simulated account, locking its funds; pushes
    /// `privateOrders` (status 1) and `privateAccount` (`ENTRUST_PLACE`). Returns the
    /// venue's order id.
    ///
    /// # Errors
    /// Unknown symbol, non-positive price or quantity, insufficient balance.
    pub fn place_order(
        &self,
        symbol: &str,
        side: Side,
        price: Price,
        quantity: Quantity,
    ) -> Result<String, MexcError> {
        let now_ms = now_ms();
        let mut state = self.lock();
        let symbol = parse_symbol(symbol)?;
        let spec = state
            .books
            .get(&symbol)
            .map(|book| book.spec.clone())
            .ok_or_else(|| MexcError::UnknownSymbol(symbol.to_string()))?;
        let (order_id, pushes) = state.account.place(&spec, side, price, quantity, now_ms)?;
        self.publish_private(&mut state, pushes, now_ms);
        Ok(order_id)
    }

    /// Fills `quantity` of an open order at its price; pushes `privateDeals` (a new
    /// `tradeId`), `privateOrders` (status 3, or 2 once complete) and two
    /// `privateAccount` (`ENTRUST`: the locked asset paid, the other received).
    ///
    /// # Errors
    /// Unknown or closed order, non-positive quantity, more than what is left.
    pub fn fill(&self, order_id: &str, quantity: Quantity) -> Result<(), MexcError> {
        let now_ms = now_ms();
        let mut state = self.lock();
        let spec = self.order_spec(&state, order_id)?;
        let pushes = state.account.fill(&spec, order_id, quantity, now_ms)?;
        self.publish_private(&mut state, pushes, now_ms);
        Ok(())
    }

    /// Cancels an open order; pushes `privateOrders` (status 4, or 5 after a partial
    /// fill) and `privateAccount` (`ENTRUST_CANCEL`, the remainder unlocked).
    ///
    /// # Errors
    /// Unknown or closed order.
    pub fn cancel(&self, order_id: &str) -> Result<(), MexcError> {
        let now_ms = now_ms();
        let mut state = self.lock();
        let spec = self.order_spec(&state, order_id)?;
        let pushes = state.account.cancel(&spec, order_id, now_ms)?;
        self.publish_private(&mut state, pushes, now_ms);
        Ok(())
    }

    /// Every private push produced so far, in order, with its exact frame. Each was
    /// published once, to every connection then subscribed to its channel with a valid
    /// listen key.
    pub fn private_events(&self) -> Vec<LedgerEntry> {
        self.lock().account.ledger().to_vec()
    }

    /// The private pushes produced since the last call (all of them the first time), handed
    /// over and forgotten, with every closed order and the fill history: a long run calls
    /// it when it has checked what was delivered, so the records stay bounded. Open orders
    /// and balances stay; [`LedgerEntry::seq`] keeps counting.
    pub fn take_private_events(&self) -> Vec<LedgerEntry> {
        self.lock().account.take_history()
    }

    /// One order, open or not.
    pub fn order(&self, order_id: &str) -> Option<OrderTruth> {
        self.lock().account.order(order_id).cloned()
    }

    /// Open orders, oldest first, of one symbol or all.
    pub fn open_orders(&self, symbol: Option<&str>) -> Vec<OrderTruth> {
        let symbol = symbol.and_then(|s| Symbol::new(s).ok());
        self.lock().account.open_orders(symbol)
    }

    /// The account's balances, by asset.
    pub fn balances(&self) -> Vec<BalanceTruth> {
        self.lock().account.balances()
    }

    // ------------------------------------------------------------ connections and keys

    /// Every open WebSocket connection of this venue with its subscriptions, lowest id first.
    pub fn connections(&self) -> Vec<ConnSubscriptions> {
        self.lock()
            .conns
            .iter()
            .map(|(conn, record)| ConnSubscriptions {
                conn: *conn,
                listen_key: record.listen_key.clone(),
                channels: record.channels.iter().copied().collect(),
            })
            .collect()
    }

    /// How many channels one connection holds; `None` if it is not open.
    pub fn subscription_count(&self, conn: ConnId) -> Option<usize> {
        self.lock().conns.get(&conn).map(|r| r.channels.len())
    }

    /// Creates a listen key directly (what a signed `POST /api/v3/userDataStream` does).
    pub fn create_listen_key(&self) -> String {
        let salt = now_ms();
        let mut state = self.lock();
        state.keys.create(
            &self.config.api_secret,
            salt,
            Instant::now(),
            self.config.listen_key_lifetime,
        )
    }

    /// The live listen keys, sorted.
    pub fn listen_keys(&self) -> Vec<String> {
        self.lock().keys.live(Instant::now())
    }

    /// Counters.
    pub fn stats(&self) -> MexcStats {
        self.lock().stats
    }

    // ------------------------------------------------------------ crate internals

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection; refuses an unknown or expired listen key, or one
    /// with `max_connections_per_key` connections already.
    pub(crate) fn register(
        self: &Arc<Self>,
        conn: ConnId,
        listen_key: Option<&str>,
        now: Instant,
    ) -> Result<Registration, &'static str> {
        let mut state = self.lock();
        let key_expiry = match listen_key {
            None => None,
            Some(key) => {
                let expiry = state.keys.expiry(key, now).ok_or("Invalid listen key")?;
                let in_use = state
                    .conns
                    .values()
                    .filter(|r| r.listen_key.as_deref() == Some(key))
                    .count();
                if in_use >= self.config.max_connections_per_key {
                    return Err("Too many connections for this listen key");
                }
                Some(expiry)
            }
        };
        state.conns.insert(
            conn,
            ConnRecord {
                listen_key: listen_key.map(str::to_owned),
                channels: BTreeSet::new(),
            },
        );
        Ok(Registration {
            venue: Arc::clone(self),
            conn,
            key_expiry,
        })
    }

    /// When a listen key expires, if it is still live.
    pub(crate) fn key_expiry(&self, key: &str, now: Instant) -> Option<Instant> {
        self.lock().keys.expiry(key, now)
    }

    /// Applies a SUBSCRIPTION; returns the replies in order and the connection's channels.
    pub(crate) fn subscribe(
        &self,
        conn: ConnId,
        id: u64,
        params: &[String],
    ) -> (Vec<Bytes>, BTreeSet<Channel>) {
        let mut state = self.lock();
        let State {
            books,
            conns,
            subscribers,
            ..
        } = &mut *state;
        let Some(record) = conns.get_mut(&conn) else {
            return (Vec::new(), BTreeSet::new());
        };
        let max = self.config.max_subscriptions;
        let mut accepted = Vec::new();
        let mut refused: [Vec<String>; 4] = Default::default();
        for text in params {
            let refusal = match Channel::parse(text) {
                None => Some(Refusal::Blocked),
                Some(channel) if channel.is_private() && record.listen_key.is_none() => {
                    Some(Refusal::ListenKeyRequired)
                }
                Some(channel) if channel.symbol().is_some_and(|s| !books.contains_key(&s)) => {
                    Some(Refusal::UnknownSymbol)
                }
                Some(channel) if record.channels.contains(&channel) => None,
                Some(_) if record.channels.len() >= max => Some(Refusal::Limit),
                Some(channel) => {
                    record.channels.insert(channel);
                    *subscribers.entry(channel).or_default() += 1;
                    None
                }
            };
            match refusal {
                None => accepted.push(text.clone()),
                Some(refusal) => refused[refusal as usize].push(text.clone()),
            }
        }
        let mut replies = Vec::new();
        if !accepted.is_empty() || refused.iter().all(Vec::is_empty) {
            replies.push(control::reply(id, 0, &accepted.join(",")));
        }
        for refusal in Refusal::ALL {
            let channels = &refused[refusal as usize];
            if !channels.is_empty() {
                let msg = control::not_subscribed(channels, &refusal.reason(max));
                replies.push(control::reply(refusal.reply_id(id), refusal.code(), &msg));
            }
        }
        (replies, record.channels.clone())
    }

    /// Applies an UNSUBSCRIPTION; the ack lists every channel asked for.
    pub(crate) fn unsubscribe(
        &self,
        conn: ConnId,
        id: u64,
        params: &[String],
    ) -> (Vec<Bytes>, BTreeSet<Channel>) {
        let mut state = self.lock();
        let State {
            conns, subscribers, ..
        } = &mut *state;
        let Some(record) = conns.get_mut(&conn) else {
            return (Vec::new(), BTreeSet::new());
        };
        for channel in params.iter().filter_map(|text| Channel::parse(text)) {
            if record.channels.remove(&channel) {
                release(subscribers, channel);
            }
        }
        let ack = control::reply(id, 0, &params.join(","));
        (vec![ack], record.channels.clone())
    }

    fn unregister(&self, conn: ConnId) {
        let mut state = self.lock();
        let State {
            conns, subscribers, ..
        } = &mut *state;
        if let Some(record) = conns.remove(&conn) {
            for channel in record.channels {
                release(subscribers, channel);
            }
        }
    }

    /// Revokes a listen key: its connections are closed.
    pub(crate) fn revoke(&self, key: &str) {
        let _ = self.feed.send(Arc::new(Published::ListenKeyRevoked {
            key: key.to_owned(),
        }));
    }

    /// One generator tick.
    fn tick(&self) {
        let now_ms = now_ms();
        let mut state = self.lock();
        if state.paused {
            return;
        }
        state.ticks += 1;
        let slow = state
            .ticks
            .is_multiple_of(u64::from(self.config.slow_every));
        let symbols: Vec<Symbol> = state.books.keys().copied().collect();
        for symbol in symbols {
            self.apply_book_faults(&mut state, symbol, now_ms);
            if let Some(book) = state.books.get_mut(&symbol) {
                for _ in 0..book.versions_this_tick(self.config.max_versions_per_tick) {
                    book.step();
                }
            }
            self.publish_window(&mut state, symbol, Interval::Ms10, now_ms);
            if slow {
                self.publish_window(&mut state, symbol, Interval::Ms100, now_ms);
            }
        }
    }

    /// Applies armed version faults of one symbol: gaps, then crossed updates.
    fn apply_book_faults(&self, state: &mut State, symbol: Symbol, now_ms: i64) {
        let gaps = take_all(&mut state.armed.gaps, symbol);
        let crossed = take_all(&mut state.armed.crossed, symbol);
        if gaps + crossed == 0 {
            return;
        }
        for interval in Interval::ALL {
            self.publish_window(state, symbol, interval, now_ms);
        }
        for _ in 0..gaps {
            if let Some(book) = state.books.get_mut(&symbol) {
                book.step_hidden();
                state.stats.faults_applied += 1;
            }
        }
        for _ in 0..crossed {
            let Some(book) = state.books.get_mut(&symbol) else {
                continue;
            };
            let bogus = book.crossed_version();
            let book: &SymbolBook = book;
            let pushes: Vec<(Channel, PushDataWrapper)> = Interval::ALL
                .into_iter()
                .map(|interval| Channel::AggreDepth { interval, symbol })
                .filter(|channel| is_subscribed(&state.subscribers, *channel))
                .map(|channel| (channel, feed::depth(book, channel, &bogus, now_ms)))
                .collect();
            state.stats.faults_applied += 1;
            for (channel, wrapper) in pushes {
                self.publish(&mut state.stats, channel, Bytes::from(wrapper.encode()));
            }
        }
    }

    /// Pushes what one window of one symbol gathered, on every subscribed channel.
    fn publish_window(&self, state: &mut State, symbol: Symbol, interval: Interval, now_ms: i64) {
        let Some(book) = state.books.get_mut(&symbol) else {
            return;
        };
        let Some(flush) = book.take_window(interval) else {
            return;
        };
        let book: &SymbolBook = book;
        let wrappers = window_pushes(book, &state.subscribers, symbol, interval, &flush, now_ms);
        for (channel, wrapper) in wrappers {
            if matches!(channel, Channel::AggreDepth { .. }) {
                self.publish_depth(state, channel, &wrapper);
            } else {
                self.publish(&mut state.stats, channel, Bytes::from(wrapper.encode()));
            }
        }
    }

    /// Publishes an aggre.depth push, with the frame faults armed for it.
    fn publish_depth(&self, state: &mut State, channel: Channel, wrapper: &PushDataWrapper) {
        let State { armed, stats, .. } = state;
        if let Some(defect) = armed.malformed.pop_front() {
            stats.faults_applied += 1;
            self.publish(stats, channel, Bytes::from_static(defect.payload()));
        }
        let plain = wrapper.encode();
        if armed.truncated > 0 {
            armed.truncated -= 1;
            stats.faults_applied += 1;
            let cut = (wrapper.body_len() / 2).max(1);
            let truncated = Bytes::copy_from_slice(&plain[..plain.len() - cut]);
            self.publish(stats, channel, truncated);
        }
        let payload = if armed.unknown_fields > 0 {
            armed.unknown_fields -= 1;
            stats.faults_applied += 1;
            wrapper.encode_with_unknown_fields()
        } else {
            plain
        };
        self.publish(stats, channel, Bytes::from(payload));
    }

    fn publish(&self, stats: &mut MexcStats, channel: Channel, payload: Bytes) {
        stats.pushes_published += 1;
        // No receiver just means nobody is connected.
        let _ = self
            .feed
            .send(Arc::new(Published::Push { channel, payload }));
    }

    /// Encodes, records and publishes private pushes, in order.
    fn publish_private(&self, state: &mut State, pushes: Vec<PrivatePush>, now_ms: i64) {
        for push in pushes {
            let spec = match &push {
                PrivatePush::Order(o) => state.books.get(&o.symbol).map(|b| &b.spec),
                PrivatePush::Deal(d) => state.books.get(&d.symbol).map(|b| &b.spec),
                PrivatePush::Account(_) => state.books.values().next().map(|b| &b.spec),
            };
            let Some(spec) = spec else {
                continue;
            };
            let wrapper = state.account.wrapper(&push, spec, now_ms);
            let frame = Bytes::from(wrapper.encode());
            let channel = push.channel();
            state.account.record(push, frame.clone());
            self.publish(&mut state.stats, channel, frame);
        }
    }

    fn order_spec(&self, state: &State, order_id: &str) -> Result<SymbolSpec, MexcError> {
        let order = state
            .account
            .order(order_id)
            .ok_or_else(|| MexcError::UnknownOrder(order_id.to_owned()))?;
        state
            .books
            .get(&order.symbol)
            .map(|book| book.spec.clone())
            .ok_or_else(|| MexcError::UnknownSymbol(order.symbol.to_string()))
    }

    /// One step of the automatic private flow (demo mode), on the first symbol: place a
    /// buy five ticks under the touch, fill half, fill the rest, place a sell five ticks
    /// over, cancel it.
    fn auto_step(&self) {
        let (spec, touch, step, order) = {
            let state = self.lock();
            let Some(book) = state.books.values().next() else {
                return;
            };
            (
                book.spec.clone(),
                book.touch(),
                state.auto.step,
                state.auto.order.clone(),
            )
        };
        let (Some((bid, _)), Some((ask, _))) = touch else {
            return;
        };
        let price = |units: i64| {
            Price::new(Decimal::from_parts(units, spec.price_scale).unwrap_or_default())
        };
        let lots = |count: i64| {
            Quantity::new(
                Decimal::from_parts(spec.lot * count, spec.quantity_scale).unwrap_or_default(),
            )
        };
        let symbol = spec.symbol.as_str();
        let outcome = match (step % 5, order) {
            (0, _) => self
                .place_order(symbol, Side::Buy, price(bid - 5 * spec.tick), lots(2))
                .map(Some),
            (1 | 2, Some(id)) => self.fill(&id, lots(1)).map(|()| None),
            (3, _) => self
                .place_order(symbol, Side::Sell, price(ask + 5 * spec.tick), lots(2))
                .map(Some),
            (4, Some(id)) => self.cancel(&id).map(|()| None),
            _ => Ok(None),
        };
        let mut state = self.lock();
        match outcome {
            Ok(Some(order_id)) => state.auto.order = Some(order_id),
            Ok(None) => {}
            Err(err) => {
                warn!(%err, "automatic private flow step failed, starting over");
                state.auto = AutoFlow::default();
                return;
            }
        }
        state.auto.step += 1;
    }
}

impl Venue for MexcVenue {
    fn start(self: Arc<Self>, tasks: &mut VenueTasks<'_>) {
        let venue = Arc::clone(&self);
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(venue.config.tick_interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                venue.tick();
            }
        });
        if let PrivateFlow::Automatic { every } = self.config.private_flow {
            tasks.spawn(async move {
                let mut ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    self.auto_step();
                }
            });
        }
    }

    fn serve(self: Arc<Self>, conn: VenueConn) -> VenueFuture {
        Box::pin(crate::mexc::connection::serve(self, conn))
    }

    fn http(&self, request: &HttpRequest) -> Response<Bytes> {
        let venue_ms = now_ms().saturating_add(self.clock_offset_ms());
        crate::mexc::rest::handle(self, request, venue_ms, Instant::now())
    }
}

impl fmt::Debug for MexcVenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MexcVenue")
            .field("symbols", &state.books.keys().collect::<Vec<_>>())
            .field("paused", &state.paused)
            .field("connections", &state.conns.len())
            .field("stats", &state.stats)
            .finish_non_exhaustive()
    }
}

/// One open connection and what it holds, from [`MexcVenue::connections`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnSubscriptions {
    /// The core's connection id (as in [`SimEvent`](crate::SimEvent)s).
    pub conn: ConnId,
    /// The listen key it connected with, if any.
    pub listen_key: Option<String>,
    /// Its channels, in [`Channel`] order.
    pub channels: Vec<Channel>,
}

/// Counters of the MEXC venue, read with [`MexcVenue::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MexcStats {
    /// Binary frames handed to the feed (each reaches every subscriber of its channel).
    pub pushes_published: u64,
    /// Faults that reached the wire (or the truth, for version gaps).
    pub faults_applied: u64,
    /// REST depth snapshots served.
    pub snapshots_served: u64,
    /// Of those, stale ones ([`MexcFault::StaleSnapshot`]).
    pub stale_snapshots_served: u64,
    /// Connections closed for falling behind the feed.
    pub slow_consumers_closed: u64,
}

/// Keeps a connection in the registry while it lives.
#[derive(Debug)]
pub(crate) struct Registration {
    venue: Arc<MexcVenue>,
    conn: ConnId,
    pub(crate) key_expiry: Option<Instant>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.venue.unregister(self.conn);
    }
}

/// What the feed carries to every connection task.
#[derive(Debug)]
pub(crate) enum Published {
    /// One binary frame for the channel's subscribers.
    Push { channel: Channel, payload: Bytes },
    /// A deleted listen key: its connections close.
    ListenKeyRevoked { key: String },
}

/// Everything behind the venue's one lock (never held across an `.await`).
#[derive(Debug)]
pub(crate) struct State {
    paused: bool,
    ticks: u64,
    pub(crate) books: BTreeMap<Symbol, SymbolBook>,
    subscribers: HashMap<Channel, usize>,
    conns: BTreeMap<ConnId, ConnRecord>,
    pub(crate) keys: ListenKeys,
    pub(crate) account: Account,
    armed: Armed,
    pub(crate) stale: HashMap<Symbol, Snapshot>,
    auto: AutoFlow,
    pub(crate) stats: MexcStats,
}

#[derive(Debug)]
struct ConnRecord {
    listen_key: Option<String>,
    channels: BTreeSet<Channel>,
}

/// Faults waiting for their moment.
#[derive(Debug, Default)]
struct Armed {
    gaps: VecDeque<Symbol>,
    crossed: VecDeque<Symbol>,
    malformed: VecDeque<PbDefect>,
    truncated: u32,
    unknown_fields: u32,
}

/// A book kept for [`MexcFault::StaleSnapshot`], in wire units.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub(crate) version: u64,
    pub(crate) bids: Vec<(i64, i64)>,
    pub(crate) asks: Vec<(i64, i64)>,
    pub(crate) remaining: u32,
}

#[derive(Debug, Default)]
struct AutoFlow {
    step: u64,
    order: Option<String>,
}

/// The wrappers one window flush produces, for subscribed channels only.
fn window_pushes(
    book: &SymbolBook,
    subscribers: &HashMap<Channel, usize>,
    symbol: Symbol,
    interval: Interval,
    flush: &Flush,
    now_ms: i64,
) -> Vec<(Channel, PushDataWrapper)> {
    let mut out = Vec::new();
    let depth = Channel::AggreDepth { interval, symbol };
    if is_subscribed(subscribers, depth) {
        out.push((depth, feed::depth(book, depth, flush, now_ms)));
    }
    let deals = Channel::AggreDeals { interval, symbol };
    if is_subscribed(subscribers, deals) && !flush.trades.is_empty() {
        out.push((deals, feed::deals(book, deals, flush, now_ms)));
    }
    let ticker = Channel::AggreBookTicker { interval, symbol };
    if is_subscribed(subscribers, ticker) {
        out.push((ticker, feed::book_ticker(book, ticker, flush.to, now_ms)));
    }
    // The snapshot channels follow the 100 ms cadence.
    if interval == Interval::Ms100 {
        for levels in DepthLevels::ALL {
            let limit = Channel::LimitDepth { symbol, levels };
            if is_subscribed(subscribers, limit) {
                out.push((limit, feed::limit_depth(book, limit, levels, now_ms)));
            }
        }
        let batch = Channel::BookTickerBatch { symbol };
        if is_subscribed(subscribers, batch) {
            out.push((batch, feed::book_ticker_batch(book, batch, now_ms)));
        }
    }
    out
}

fn is_subscribed(subscribers: &HashMap<Channel, usize>, channel: Channel) -> bool {
    subscribers.get(&channel).is_some_and(|n| *n > 0)
}

fn release(subscribers: &mut HashMap<Channel, usize>, channel: Channel) {
    if let Some(count) = subscribers.get_mut(&channel) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            subscribers.remove(&channel);
        }
    }
}

/// Removes every armed entry for `symbol`; returns how many there were.
fn take_all(queue: &mut VecDeque<Symbol>, symbol: Symbol) -> usize {
    let before = queue.len();
    queue.retain(|s| *s != symbol);
    before - queue.len()
}

fn parse_symbol(symbol: &str) -> Result<Symbol, MexcError> {
    Symbol::new(symbol).map_err(|_| MexcError::UnknownSymbol(symbol.to_owned()))
}

/// Wall-clock milliseconds, read only at the edges (never in payload builders).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
