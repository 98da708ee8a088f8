//! The market-data session: the plan's `MexcPublicWebSocketHandler`.

use market_types::{BookStatus, BookUpdate, BookUpdateKind, OrderBook, Symbol, Venue};
use ws_handlers::{Driven, HandlerError, HandlerStats, SharedParts, WebSocketMessageType};
use ws_mixins::{ErrorCategory, PublicWebSocketMixin, StreamError, SubscriptionRegistry};
use ws_session::{Outbox, Timestamp};

use crate::book_sync::{BookSync, BookSyncStats};
use crate::channel::Channel;
use crate::error::Error;
use crate::event::limit_depth;
use crate::subscription::MAX_SUBSCRIPTIONS_PER_CONNECTION;
use crate::wire::{AggreDepths, PushHeader};

use ws_handlers::CallbackSink;

use super::config::MexcHandlerConfig;
use super::format::{ControlOutcome, Subscriptions, decode_error};

mod session;

/// A MEXC spot market-data connection, composed as the refactoring plan shows:
/// `ConnectionMixin` (MEXC's minimal headers, application `PING` every 20 s, idle
/// watchdog, rotation before the 24 h cut, the plan's backoff with `reset_on_1005`),
/// `AuthMixin` (none), [`super::MexcSubscriptionFormat`] as `SubscriptionMixin`,
/// `BaseMessageHandler` + `PublicMessageHandler` routing, and `ws_session::Session`.
///
/// Per message: the type is read from the wrapper's keys without decoding; the push is
/// decoded once ([`crate::decode_push`]); depth goes through [`BookSync`] (one local book per
/// symbol, resynced alone when it breaks) to `H::on_order_book` / `H::on_book_status`,
/// every aggregated deal to `H::on_trade`, the aggregated book ticker to
/// `H::on_book_ticker`. Nothing is allocated for these.
///
/// The cold channels map as follows: `limit.depth` (a top-N snapshot every 100 ms) is
/// kept in a separate book per symbol ([`Self::partial_book`]) that each push replaces,
/// and reported to `H::on_order_book` with `BookUpdateKind::Snapshot` and the push's
/// version as both update ids; it never touches the synced book. `bookTicker.batch` items
/// go to `H::on_book_ticker`. Candles (`kline`) are counted as unhandled.
///
/// A subscription MEXC refuses ("Blocked!", or an error code) is marked rejected, its book
/// is dropped and `H::on_error` gets a `SubscriptionRejected` error naming the channel: a
/// refused channel is never a silent socket. At most
/// [`MAX_SUBSCRIPTIONS_PER_CONNECTION`] channels per connection; [`MexcPublicParts::shards`] splits
/// more over several connections for a `ws_core::ConnectionPool`.
///
/// Built as `Driven::new(MexcPublicParts::new(config, channels, callbacks))`: the shared
/// `Session` glue ([`Driven`]) runs this venue's [`MexcPublicParts`], and derefs to them.
pub type MexcPublicWebSocketHandler<H> = Driven<MexcPublicParts<H>>;

/// The MEXC spot market-data handler's parts: configuration, the channels, the books
/// and this venue's decoders; see [`MexcPublicWebSocketHandler`].
#[derive(Debug)]
pub struct MexcPublicParts<H: PublicWebSocketMixin> {
    config: MexcHandlerConfig,
    subscriptions: Subscriptions,
    partial_books: Vec<OrderBook>,
    /// Symbols whose pushes may repeat ones already applied: after a rotation the new
    /// socket can deliver pushes the old one already did. `false` until the new socket's
    /// ack for the symbol's depth arrives (until then the old socket still delivers).
    overlap: Vec<(Symbol, bool)>,
    /// The callbacks, the template's counters and the books.
    shared: SharedParts<H, BookSync>,
    counters: PublicCounters,
}

/// Commands a running public handler accepts through `Connection::command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MexcPublicCommand {
    /// Subscribe one more channel on this connection (refused locally beyond 30).
    Subscribe(Channel),
    /// Unsubscribe a channel; a depth channel's book is dropped.
    Unsubscribe(Channel),
    /// Throw one symbol's book away and rebuild it from a fresh snapshot.
    Resync(Symbol),
}

/// Counters of a public handler beyond [`HandlerStats`] and [`BookSyncStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicCounters {
    /// Frames that did not decode (skipped; the stream goes on).
    pub decode_errors: u64,
    /// Trades delivered.
    pub trades: u64,
    /// Book tickers delivered.
    pub book_tickers: u64,
    /// Partial (`limit.depth`) books delivered.
    pub partial_books: u64,
    /// Subscription acks that confirmed a channel.
    pub acks: u64,
    /// Acks for nothing pending (late, duplicate, unsubscribe answers).
    pub stale_acks: u64,
    /// Channels refused by the venue or locally.
    pub rejected_channels: u64,
    /// Subscriptions requested again after no ack came.
    pub ack_timeouts: u64,
    /// Pongs received.
    pub pongs: u64,
    /// Depth pushes for a symbol without a book (after an unsubscribe, say).
    pub untracked_pushes: u64,
    /// Depth pushes skipped as already applied, after a rotation.
    pub overlap_pushes_skipped: u64,
    /// Make-before-break rotations seen.
    pub rotations: u64,
    /// Error replies that named no subscription.
    pub venue_errors: u64,
}

impl<H: PublicWebSocketMixin> MexcPublicParts<H> {
    /// A handler for up to 30 channels. Channels beyond 30, private channels and channels
    /// with a lower-case symbol are refused locally and reported to `H::on_error` at once.
    pub fn new(
        config: MexcHandlerConfig,
        channels: impl IntoIterator<Item = Channel>,
        callbacks: H,
    ) -> Self {
        let books = BookSync::new(config.mexc.book, config.mexc.endpoints.rest_url.clone());
        let mut handler = Self {
            subscriptions: Subscriptions::new(config.ack_timeout),
            partial_books: Vec::new(),
            overlap: Vec::new(),
            shared: SharedParts::new(callbacks, books),
            counters: PublicCounters::default(),
            config,
        };
        for channel in channels {
            if let Err(reason) = handler.admit(channel) {
                handler.refuse_locally(channel, &reason);
            }
        }
        handler
    }

    /// One handler per shard of at most 30 channels, for a `ws_core::ConnectionPool`
    /// (share [`super::POOL_CONNECT_LIMIT`] between them). Duplicates are dropped; all
    /// channels of one symbol stay on one connection; shards are filled largest symbol
    /// group first. `make_callbacks(i)` builds the callbacks of shard `i`. No channels,
    /// no handlers.
    ///
    /// ```no_run
    /// use exchange_mexc::{AggInterval, Channel, MexcHandlerConfig, MexcPublicParts};
    /// use market_types::Symbol;
    /// use ws_core::{ConnectionPool, DriverConfig};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut channels = Vec::new();
    /// for i in 0..40 {
    ///     let symbol = Symbol::new(&format!("COIN{i}USDT"))?;
    ///     channels.push(Channel::AggreDepth { symbol, interval: AggInterval::Ms100 });
    /// }
    /// // `()` ignores every callback; the books are read through `with_session`.
    /// let handlers = MexcPublicParts::shards(MexcHandlerConfig::default(), channels, |_| ());
    /// assert_eq!(handlers.len(), 2);
    /// let pool = ConnectionPool::spawn(handlers, DriverConfig::default(), exchange_mexc::POOL_CONNECT_LIMIT)?;
    /// let btc = Symbol::new("COIN0USDT")?;
    /// let live = pool.connections()[0].with_session(|h| h.status(btc).is_some());
    /// # let _ = live;
    /// # Ok(())
    /// # }
    /// ```
    pub fn shards(
        config: MexcHandlerConfig,
        channels: impl IntoIterator<Item = Channel>,
        mut make_callbacks: impl FnMut(usize) -> H,
    ) -> Vec<MexcPublicWebSocketHandler<H>> {
        shard_channels(channels, MAX_SUBSCRIPTIONS_PER_CONNECTION)
            .into_iter()
            .enumerate()
            .map(|(i, shard)| Driven::new(Self::new(config.clone(), shard, make_callbacks(i))))
            .collect()
    }

    /// The local book of `symbol` (trust it only while [`Self::status`] is `Live`).
    pub fn book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.shared.books.book(symbol)
    }

    /// The status of `symbol`'s book; `None` when no depth channel tracks it.
    pub fn status(&self, symbol: Symbol) -> Option<BookStatus> {
        self.shared.books.status(symbol)
    }

    /// Symbols with a synced book.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.shared.books.symbols()
    }

    /// The latest `limit.depth` book of `symbol`, replaced by every push.
    pub fn partial_book(&self, symbol: Symbol) -> Option<&OrderBook> {
        self.partial_books.iter().find(|b| b.symbol() == symbol)
    }

    /// The channels and their subscription state (inactive, pending, confirmed, rejected).
    pub fn subscriptions(&self) -> &SubscriptionRegistry<Channel> {
        self.subscriptions.registry()
    }

    /// Template counters and per-message timing.
    pub fn stats(&self) -> &HandlerStats {
        &self.shared.stats
    }

    /// This handler's own counters.
    pub fn counters(&self) -> PublicCounters {
        self.counters
    }

    /// Book-sync counters (snapshots, resyncs, pushes applied).
    pub fn book_stats(&self) -> BookSyncStats {
        self.shared.books.stats()
    }

    /// The user's callbacks.
    pub fn callbacks(&self) -> &H {
        &self.shared.callbacks
    }

    /// The user's callbacks, mutably.
    pub fn callbacks_mut(&mut self) -> &mut H {
        &mut self.shared.callbacks
    }

    /// The configuration in force.
    pub fn config(&self) -> &MexcHandlerConfig {
        &self.config
    }

    /// Whether `channel` may be added to this connection.
    fn admit(&mut self, channel: Channel) -> Result<(), String> {
        if channel.is_private() {
            return Err(format!(
                "{channel} needs a listen-key connection (MexcPrivateWebSocketHandler)"
            ));
        }
        channel.validate().map_err(|e| e.to_string())?;
        if self.subscriptions.active().any(|c| c == channel) {
            return Ok(());
        }
        // Both intervals of one symbol's depth carry the same versions, aggregated
        // differently: fed into one book they would contradict each other.
        if let Channel::AggreDepth { symbol, .. } = channel
            && let Some(held) = self
                .subscriptions
                .active()
                .find(|c| is_depth_of(*c, symbol))
        {
            return Err(format!(
                "{channel}: {symbol} already has a depth channel ({held}); one per symbol"
            ));
        }
        if self.subscriptions.active().count() >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
            return Err(format!(
                "{channel}: a connection holds at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} \
                 subscriptions; use MexcPublicParts::shards"
            ));
        }
        self.subscriptions.add(channel);
        Ok(())
    }

    fn refuse_locally(&mut self, channel: Channel, reason: &str) {
        self.counters.rejected_channels += 1;
        if !channel.is_private() && channel.validate().is_ok() {
            self.subscriptions.refuse_locally(channel, reason);
        }
        self.shared.callbacks.on_error(&StreamError {
            category: ErrorCategory::SubscriptionRejected,
            message: format!("not subscribed: {reason}"),
        });
    }

    /// Starts books for depth channels that do not have one yet.
    fn track_books(&mut self, now: Timestamp) {
        let Self {
            subscriptions,
            shared: SharedParts {
                books, callbacks, ..
            },
            ..
        } = self;
        for channel in subscriptions.active() {
            if let Channel::AggreDepth { symbol, .. } = channel {
                books.track(symbol, now, &mut CallbackSink(callbacks));
            }
        }
    }

    fn apply_control(&mut self, outcome: ControlOutcome, now: Timestamp) {
        match outcome {
            ControlOutcome::Pong => self.counters.pongs += 1,
            ControlOutcome::Stale => self.counters.stale_acks += 1,
            ControlOutcome::Confirmed(channels) => {
                for channel in channels {
                    self.counters.acks += 1;
                    if let Channel::AggreDepth { symbol, .. } = channel {
                        self.shared.books.on_subscribed(symbol, now);
                        if let Some(entry) = self.overlap.iter_mut().find(|(s, _)| *s == symbol) {
                            entry.1 = true;
                        }
                    }
                }
            }
            ControlOutcome::Rejected { channels, error } => {
                for channel in channels {
                    self.counters.rejected_channels += 1;
                    self.drop_books_of(channel);
                }
                self.shared.callbacks.on_error(&error);
            }
            ControlOutcome::VenueError(error) => {
                self.counters.venue_errors += 1;
                self.shared.callbacks.on_error(&error);
            }
        }
    }

    /// A refused or unsubscribed channel must not leave a book that looks live.
    fn drop_books_of(&mut self, channel: Channel) {
        match channel {
            Channel::AggreDepth { symbol, .. }
                if !self.subscriptions.active().any(|c| is_depth_of(c, symbol)) =>
            {
                self.shared.books.untrack(symbol);
                self.overlap.retain(|(s, _)| *s != symbol);
            }
            Channel::LimitDepth { symbol, .. } => {
                self.partial_books.retain(|b| b.symbol() != symbol);
            }
            _ => {}
        }
    }

    fn apply_depth(
        &mut self,
        header: &PushHeader<'_>,
        depth: &AggreDepths<'_>,
        now: Timestamp,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        if !self.overlap.is_empty() {
            let symbol = header
                .symbol()
                .map_err(|e| self.fail(ErrorCategory::Parse, &e))?;
            if let Some(index) = self
                .overlap
                .iter()
                .position(|(s, active)| *s == symbol && *active)
            {
                let version = self
                    .shared
                    .books
                    .book(symbol)
                    .map_or(0, OrderBook::update_id);
                if self.shared.books.status(symbol) == Some(BookStatus::Live)
                    && depth.to_version() <= version
                {
                    self.counters.overlap_pushes_skipped += 1;
                    return Ok(());
                }
                self.overlap.swap_remove(index);
            }
        }
        let SharedParts {
            books, callbacks, ..
        } = &mut self.shared;
        match books.on_depth(header, depth, now, out, &mut CallbackSink(callbacks)) {
            Ok(()) => Ok(()),
            Err(Error::UntrackedSymbol { .. }) => {
                self.counters.untracked_pushes += 1;
                Ok(())
            }
            Err(error @ Error::BookResync { .. }) => {
                Err(self.fail(ErrorCategory::BookSync, &error))
            }
            Err(error) => Err(self.fail(ErrorCategory::Parse, &error)),
        }
    }

    fn apply_limit_depth(
        &mut self,
        header: &PushHeader<'_>,
        body: &crate::pb::PublicLimitDepthsV3Api,
    ) -> Result<(), HandlerError> {
        let symbol = header
            .symbol()
            .map_err(|e| self.fail(ErrorCategory::Parse, &e))?;
        let depth = limit_depth(body).map_err(|e| self.fail(ErrorCategory::Parse, &e))?;
        let index = match self.partial_books.iter().position(|b| b.symbol() == symbol) {
            Some(index) => index,
            None => {
                self.partial_books
                    .push(OrderBook::with_capacity(symbol, PARTIAL_BOOK_LEVELS));
                self.partial_books.len() - 1
            }
        };
        let Some(book) = self.partial_books.get_mut(index) else {
            return Ok(());
        };
        if let Err(error) = book.load_snapshot(
            depth.bids.iter().map(|level| (level.price, level.quantity)),
            depth.asks.iter().map(|level| (level.price, level.quantity)),
            depth.version,
        ) {
            return Err(HandlerError::Decode {
                message_type: WebSocketMessageType::OrderBook,
                detail: format!("limit depth of {symbol}: {error}"),
            });
        }
        self.counters.partial_books += 1;
        self.shared.callbacks.on_order_book(
            book,
            &BookUpdate {
                venue: Venue::MexcSpot,
                symbol,
                kind: BookUpdateKind::Snapshot,
                first_update_id: depth.version,
                last_update_id: depth.version,
                exchange_time_ms: header.event_time_ms(),
            },
        );
        Ok(())
    }

    /// Counts a decode error and converts the error for the template (its variant
    /// carries the category `on_error` sees).
    fn fail(&mut self, category: ErrorCategory, error: &Error) -> HandlerError {
        if error.is_decode() {
            self.counters.decode_errors += 1;
        }
        match category {
            ErrorCategory::BookSync => HandlerError::BookSync(error.to_string()),
            _ => decode_error(WebSocketMessageType::OrderBook, error),
        }
    }

    fn fail_as(&mut self, message_type: WebSocketMessageType, error: &Error) -> HandlerError {
        if error.is_decode() {
            self.counters.decode_errors += 1;
        }
        decode_error(message_type, error)
    }
}

fn is_depth_of(channel: Channel, symbol: Symbol) -> bool {
    matches!(channel, Channel::AggreDepth { symbol: s, .. } if s == symbol)
}

/// Splits channels into shards of at most `per_shard`: duplicates dropped, channels
/// grouped by symbol (in first-seen order), groups placed first-fit largest first so a
/// symbol's channels share a connection, each shard listed in input order.
pub(crate) fn shard_channels(
    channels: impl IntoIterator<Item = Channel>,
    per_shard: usize,
) -> Vec<Vec<Channel>> {
    let per_shard = per_shard.max(1);
    let mut ordered: Vec<Channel> = Vec::new();
    for channel in channels {
        if !ordered.contains(&channel) {
            ordered.push(channel);
        }
    }
    // Groups of input positions, one per symbol (channels without one stand alone).
    let mut groups: Vec<(Option<Symbol>, Vec<usize>)> = Vec::new();
    for (index, channel) in ordered.iter().enumerate() {
        let symbol = channel.symbol();
        match groups
            .iter_mut()
            .find(|(s, _)| symbol.is_some() && *s == symbol)
        {
            Some((_, members)) => members.push(index),
            None => groups.push((symbol, vec![index])),
        }
    }
    let mut pieces: Vec<Vec<usize>> = groups
        .into_iter()
        .flat_map(|(_, members)| {
            members
                .chunks(per_shard)
                .map(<[usize]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    // Stable: equal sizes keep first-seen order.
    pieces.sort_by_key(|piece| std::cmp::Reverse(piece.len()));
    let mut shards: Vec<Vec<usize>> = Vec::new();
    for piece in pieces {
        match shards
            .iter_mut()
            .find(|shard| shard.len() + piece.len() <= per_shard)
        {
            Some(shard) => shard.extend(piece),
            None => shards.push(piece),
        }
    }
    shards
        .into_iter()
        .map(|mut shard| {
            shard.sort_unstable();
            shard
                .into_iter()
                .filter_map(|i| ordered.get(i).copied())
                .collect()
        })
        .collect()
}

/// Levels per side reserved for a `limit.depth` book (the channel's largest is 20).
const PARTIAL_BOOK_LEVELS: usize = 20;
