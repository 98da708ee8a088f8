//! [`FuturesReconcile`]: what a reconciliation round asks MEXC futures after every
//! (re)connect, and what the answers mean, plugged into the generic
//! `ws_handlers::Reconciler` (which delivers each change once through the shared ledger).
//!
//! A round asks the assets, the open positions and each contract's open orders; an order
//! delivered as open and no longer listed is looked up by id. After a disconnect it also
//! asks each contract's orders (`history_orders`, for those opened and finished while
//! disconnected) and fills from the window's start to the request time, page by page (a
//! fixed end keeps the pages stable while new ones arrive). The history needs named
//! contracts (`order_deals` requires `symbol`).

use market_types::{Balance, Fill, Order, OrderId, Symbol};
use ws_handlers::{Answer, Failure, Lost, ReconcileVenue, RestOrder, RoundStart, Sent};
use ws_mixins::{PrivateWebSocketMixin, ReconcileScope};
use ws_session::{RestFailure, RestReply, RestRequest, RestRequestId, Timestamp};

use super::error::FuturesPrivateError;
use super::position::{PositionLeg, PositionLegs};
use super::rest::{
    self, ASSETS, FuturesRestSigner, HISTORY_ORDERS, OPEN_ORDERS, OPEN_POSITIONS, ORDER,
    ORDER_DEALS, PAGE_SIZE, check_reply,
};

/// One reconciliation call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileCall {
    /// Every currency's balance.
    Assets,
    /// The open position legs of every contract.
    Positions,
    /// One page (from 1) of the open orders of a contract (all when `None`).
    OpenOrders {
        /// The contract.
        symbol: Option<Symbol>,
        /// The page.
        page: u32,
    },
    /// One order that left the open orders.
    Order {
        /// Its id.
        order_id: OrderId,
    },
    /// One page (from 1) of a contract's orders in `[start_ms, end_ms]`.
    HistoryOrders {
        /// The contract.
        symbol: Symbol,
        /// Window start, wall-clock ms.
        start_ms: u64,
        /// Window end (the first page's request time).
        end_ms: u64,
        /// The page.
        page: u32,
    },
    /// One page (from 1) of a contract's fills in `[start_ms, end_ms]`.
    Deals {
        /// The contract.
        symbol: Symbol,
        /// Window start, wall-clock ms.
        start_ms: u64,
        /// Window end (the first page's request time).
        end_ms: u64,
        /// The page.
        page: u32,
    },
}

impl ReconcileCall {
    fn endpoint(self) -> &'static str {
        match self {
            ReconcileCall::Assets => ASSETS,
            ReconcileCall::Positions => OPEN_POSITIONS,
            ReconcileCall::OpenOrders { .. } => OPEN_ORDERS,
            ReconcileCall::Order { .. } => ORDER,
            ReconcileCall::HistoryOrders { .. } => HISTORY_ORDERS,
            ReconcileCall::Deals { .. } => ORDER_DEALS,
        }
    }

    /// The same history query, page `page`.
    fn page(self, page: u32) -> Option<ReconcileCall> {
        match self {
            ReconcileCall::HistoryOrders {
                symbol,
                start_ms,
                end_ms,
                ..
            } => Some(ReconcileCall::HistoryOrders {
                symbol,
                start_ms,
                end_ms,
                page,
            }),
            ReconcileCall::Deals {
                symbol,
                start_ms,
                end_ms,
                ..
            } => Some(ReconcileCall::Deals {
                symbol,
                start_ms,
                end_ms,
                page,
            }),
            _ => None,
        }
    }

    /// A history query that cannot be answered: what it would have recovered is lost.
    fn gap(self, why: &str) -> Option<(Lost, String)> {
        let (lost, what, symbol, start_ms, end_ms) = match self {
            ReconcileCall::HistoryOrders {
                symbol,
                start_ms,
                end_ms,
                ..
            } => (Lost::Orders, "orders", symbol, start_ms, end_ms),
            ReconcileCall::Deals {
                symbol,
                start_ms,
                end_ms,
                ..
            } => (Lost::Fills, "fills", symbol, start_ms, end_ms),
            _ => return None,
        };
        let message = format!(
            "{what} of {symbol} from {start_ms} to {end_ms} (ms since the Unix epoch) while \
             disconnected cannot be recovered: {} {why}; open orders, positions and \
             balances were reconciled",
            self.endpoint()
        );
        Some((lost, message))
    }
}

/// A parsed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileReply {
    /// [`ReconcileCall::Assets`].
    Balances(Vec<Balance>),
    /// [`ReconcileCall::Positions`].
    Legs(Vec<PositionLeg>),
    /// [`ReconcileCall::OpenOrders`] and [`ReconcileCall::Order`].
    Orders(Vec<Order>),
    /// [`ReconcileCall::Deals`].
    Fills(Vec<Fill>),
}

/// MEXC futures' part of reconciliation. It also holds the position legs the stream's
/// position pushes are netted with ([`Self::legs_mut`]), so REST and stream agree.
#[derive(Debug)]
pub struct FuturesReconcile {
    signer: Option<FuturesRestSigner>,
    symbols: Vec<Symbol>,
    legs: PositionLegs,
    /// Ids listed by the pages so far of each contract's open-orders listing.
    listed_open: Vec<(Option<Symbol>, Vec<OrderId>)>,
    /// Venue time of the latest fill delivered.
    last_fill_ms: Option<u64>,
}

impl FuturesReconcile {
    /// Signed by `signer` (none without credentials: no call is made), for `symbols`
    /// (every contract when empty; the fill history needs named contracts), netting
    /// positions in `legs`.
    pub fn new(
        signer: Option<FuturesRestSigner>,
        symbols: Vec<Symbol>,
        legs: PositionLegs,
    ) -> FuturesReconcile {
        FuturesReconcile {
            signer,
            symbols,
            legs,
            listed_open: Vec::new(),
            last_fill_ms: None,
        }
    }

    /// The position legs (the stream's pushes go through [`super::decode_private`] with
    /// these).
    pub fn legs_mut(&mut self) -> &mut PositionLegs {
        &mut self.legs
    }

    /// The position legs.
    pub fn legs(&self) -> &PositionLegs {
        &self.legs
    }

    /// A fill was delivered (from the stream too): a later disconnect fetches fills from
    /// no later than it.
    pub fn note_fill(&mut self, time_ms: u64) {
        self.last_fill_ms = Some(self.last_fill_ms.map_or(time_ms, |t| t.max(time_ms)));
    }

    fn wanted(&self, symbol: Symbol) -> bool {
        self.symbols.is_empty() || self.symbols.contains(&symbol)
    }

    fn listing(&mut self, symbol: Option<Symbol>) -> &mut Vec<OrderId> {
        let at = match self.listed_open.iter().position(|(s, _)| *s == symbol) {
            Some(at) => at,
            None => {
                self.listed_open.push((symbol, Vec::new()));
                self.listed_open.len() - 1
            }
        };
        // `at` is in bounds: found, or just pushed.
        &mut self.listed_open[at].1
    }

    fn apply_positions<H: PrivateWebSocketMixin>(
        &mut self,
        legs: &[PositionLeg],
        answer: &mut Answer<'_, ReconcileCall, H>,
    ) {
        let mut changed: Vec<Symbol> = Vec::new();
        let mut listed = Vec::with_capacity(legs.len());
        for leg in legs {
            if !self.wanted(leg.symbol) {
                continue;
            }
            listed.push((leg.symbol, leg.side));
            match self.legs.apply_if_newer(*leg) {
                Ok(true) if !changed.contains(&leg.symbol) => changed.push(leg.symbol),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "mexc futures position not reconciled"),
            }
        }
        // Legs the stream last described before the request are closed when REST no
        // longer lists them. Stream times are the venue's, the request time is ours: with
        // the venue's clock ahead, a leg updated just before the request would look newer
        // and stay open for good, so the venue's clock is given the benefit of the slack
        // (a leg wrongly closed here is not delivered, the ledger having seen the stream,
        // and its next push restores it).
        let as_of_ms = answer.sent_ms().saturating_add(GAP_SLACK_MS);
        for symbol in self.legs.close_unlisted(&listed, as_of_ms) {
            if !changed.contains(&symbol) {
                changed.push(symbol);
            }
        }
        for symbol in changed {
            match self.legs.net(symbol) {
                Some(Ok(position)) => {
                    answer.position(&position);
                }
                Some(Err(error)) => tracing::warn!(%error, "mexc futures position not reconciled"),
                None => {}
            }
        }
    }

    fn apply_open_orders<H: PrivateWebSocketMixin>(
        &mut self,
        symbol: Option<Symbol>,
        page: u32,
        orders: &[Order],
        answer: &mut Answer<'_, ReconcileCall, H>,
    ) {
        if page <= 1 {
            self.listing(symbol).clear();
        }
        for order in orders.iter().filter(|o| self.wanted(o.symbol)) {
            answer.order(RestOrder::exact(*order));
        }
        let listing = self.listing(symbol);
        listing.extend(orders.iter().map(|o| o.order_id));
        if orders.len() >= PAGE_SIZE as usize {
            if page < MAX_ORDER_PAGES {
                answer.request(ReconcileCall::OpenOrders {
                    symbol,
                    page: page + 1,
                });
            } else {
                tracing::warn!(
                    pages = MAX_ORDER_PAGES,
                    "mexc futures: more open orders than reconciled; finished ones are not looked up"
                );
                listing.clear();
            }
            return;
        }
        // The last page: orders seen open, not listed, and not updated by the stream
        // since the request was sent finished while the socket was down.
        let listed = std::mem::take(listing);
        let missing: Vec<ReconcileCall> = answer
            .open_at_send()
            .filter(|(id, view)| symbol.is_none_or(|s| view.symbol == s) && !listed.contains(id))
            .map(|(order_id, _)| ReconcileCall::Order { order_id })
            .collect();
        for lookup in missing {
            answer.request(lookup);
        }
    }

    fn apply_history<H: PrivateWebSocketMixin>(
        &mut self,
        call: ReconcileCall,
        reply: ReconcileReply,
        answer: &mut Answer<'_, ReconcileCall, H>,
    ) {
        let (symbol, page, rows) = match (call, &reply) {
            (ReconcileCall::HistoryOrders { symbol, page, .. }, ReconcileReply::Orders(orders)) => {
                for order in orders.iter().filter(|o| o.symbol == symbol) {
                    answer.order(RestOrder::exact(*order));
                }
                (symbol, page, orders.len())
            }
            (ReconcileCall::Deals { symbol, page, .. }, ReconcileReply::Fills(fills)) => {
                for fill in fills.iter().filter(|f| f.symbol == symbol) {
                    if answer.fill(fill) {
                        self.note_fill(fill.time_ms);
                    }
                }
                (symbol, page, fills.len())
            }
            _ => return,
        };
        if rows < PAGE_SIZE as usize {
            return;
        }
        match call.page(page + 1).filter(|_| page < MAX_HISTORY_PAGES) {
            Some(next) => answer.request(next),
            None => {
                let why = format!("has more than {MAX_HISTORY_PAGES} pages for {symbol}");
                if let Some((what, message)) = call.gap(&why) {
                    answer.lost(what, message);
                }
            }
        }
    }
}

impl ReconcileVenue for FuturesReconcile {
    type Call = ReconcileCall;
    type Reply = ReconcileReply;
    type Error = FuturesPrivateError;

    const NAME: &'static str = "mexc_futures";

    fn first_calls(&self, start: &mut RoundStart<'_, ReconcileCall>) {
        let (gap_from_ms, now) = (start.gap_from_ms(), start.now());
        let mut calls = Vec::new();
        calls.push(ReconcileCall::Assets);
        calls.push(ReconcileCall::Positions);
        if self.symbols.is_empty() {
            calls.push(ReconcileCall::OpenOrders {
                symbol: None,
                page: 1,
            });
        }
        calls.extend(self.symbols.iter().map(|s| ReconcileCall::OpenOrders {
            symbol: Some(*s),
            page: 1,
        }));
        if let Some(gap_ms) = gap_from_ms {
            // Orders from the last frame (less the difference of the clocks); fills from
            // the last one seen if earlier, but not from further back than a day.
            let orders_from = gap_ms.saturating_sub(GAP_SLACK_MS);
            let fills_from = self
                .last_fill_ms
                .map_or(orders_from, |last| last.min(orders_from))
                .max(orders_from.saturating_sub(MAX_LOOKBACK_MS));
            let end_ms = now.unix_millis();
            for symbol in &self.symbols {
                calls.push(ReconcileCall::HistoryOrders {
                    symbol: *symbol,
                    start_ms: orders_from,
                    end_ms,
                    page: 1,
                });
                calls.push(ReconcileCall::Deals {
                    symbol: *symbol,
                    start_ms: fills_from,
                    end_ms,
                    page: 1,
                });
            }
        }
        start.calls(calls);
    }

    fn scope(&self, call: ReconcileCall) -> ReconcileScope {
        match call {
            ReconcileCall::OpenOrders {
                symbol: Some(symbol),
                ..
            }
            | ReconcileCall::HistoryOrders { symbol, .. }
            | ReconcileCall::Deals { symbol, .. } => ReconcileScope::Symbol(symbol),
            // An order lookup names no contract: reported against the account.
            ReconcileCall::Assets
            | ReconcileCall::Positions
            | ReconcileCall::OpenOrders { symbol: None, .. }
            | ReconcileCall::Order { .. } => ReconcileScope::Account,
        }
    }

    fn request(
        &self,
        call: ReconcileCall,
        id: RestRequestId,
        now: Timestamp,
    ) -> Option<RestRequest> {
        let signer = self.signer.as_ref()?;
        Some(match call {
            ReconcileCall::Assets => signer.assets(id, now),
            ReconcileCall::Positions => signer.open_positions(None, id, now),
            ReconcileCall::OpenOrders { symbol, page } => signer.open_orders(symbol, page, id, now),
            ReconcileCall::Order { order_id } => signer.order(order_id, id, now),
            ReconcileCall::Deals {
                symbol,
                start_ms,
                end_ms,
                page,
            } => signer.order_deals(symbol, start_ms, end_ms, page, id, now),
            ReconcileCall::HistoryOrders {
                symbol,
                start_ms,
                end_ms,
                page,
            } => signer.history_orders(symbol, start_ms, end_ms, page, id, now),
        })
    }

    fn parse(
        &self,
        call: ReconcileCall,
        result: &Result<RestReply, RestFailure>,
        now: Timestamp,
    ) -> Result<ReconcileReply, FuturesPrivateError> {
        let body = check_reply(call.endpoint(), result)?;
        let venue = self.legs.venue();
        let now_ms = now.unix_millis();
        match call {
            ReconcileCall::Assets => {
                rest::parse_assets(body, venue, now_ms).map(ReconcileReply::Balances)
            }
            ReconcileCall::Positions => {
                rest::parse_open_positions(body, now_ms).map(ReconcileReply::Legs)
            }
            ReconcileCall::OpenOrders { .. } => {
                rest::parse_open_orders(body, venue, now_ms).map(ReconcileReply::Orders)
            }
            ReconcileCall::Order { .. } => {
                rest::parse_order(body, venue, now_ms).map(|o| ReconcileReply::Orders(vec![o]))
            }
            ReconcileCall::HistoryOrders { .. } => {
                rest::parse_history_orders(body, venue, now_ms).map(ReconcileReply::Orders)
            }
            ReconcileCall::Deals { .. } => {
                rest::parse_order_deals(body, venue, now_ms).map(ReconcileReply::Fills)
            }
        }
    }

    fn apply<H: PrivateWebSocketMixin>(
        &mut self,
        call: ReconcileCall,
        reply: ReconcileReply,
        answer: &mut Answer<'_, ReconcileCall, H>,
    ) {
        match (call, reply) {
            (_, ReconcileReply::Balances(balances)) => {
                for balance in &balances {
                    answer.balance(balance);
                }
            }
            (_, ReconcileReply::Legs(legs)) => self.apply_positions(&legs, answer),
            (ReconcileCall::OpenOrders { symbol, page }, ReconcileReply::Orders(orders)) => {
                self.apply_open_orders(symbol, page, &orders, answer);
            }
            (ReconcileCall::Order { .. }, ReconcileReply::Orders(orders)) => {
                for order in &orders {
                    answer.order(RestOrder::exact(*order));
                }
            }
            (_, reply) => self.apply_history(call, reply, answer),
        }
    }

    fn failure(&self, call: ReconcileCall, error: &FuturesPrivateError, _sent: Sent) -> Failure {
        if error.is_fatal() {
            return Failure::CredentialsRejected(error.to_string());
        }
        if error.is_retryable() {
            return Failure::Retry;
        }
        match call {
            // The venue answered but cannot describe the order (unknown id, no data).
            ReconcileCall::Order { order_id } => Failure::Unresolved {
                order_id,
                message: format!(
                    "order {order_id} finished while disconnected; its final state is \
                     unknown ({ORDER} answered {error})"
                ),
            },
            ReconcileCall::HistoryOrders { .. } | ReconcileCall::Deals { .. } => {
                match call.gap(&format!("answered {error}")) {
                    Some((what, message)) => Failure::Lost { what, message },
                    None => Failure::Retry,
                }
            }
            _ => Failure::Retry,
        }
    }

    fn endpoint(&self, call: ReconcileCall) -> String {
        call.endpoint().to_string()
    }
}

/// Open-order pages read per contract (10 000 orders, the venue's per-contract cap is
/// far lower).
const MAX_ORDER_PAGES: u32 = 100;
/// History pages (orders or fills) read per contract and window.
const MAX_HISTORY_PAGES: u32 = 100;
/// History is fetched from this much before the last frame: venue and local clocks
/// differ (the ledger drops what was delivered already).
const GAP_SLACK_MS: u64 = 2_000;
/// Fills are not fetched from further back than this before the disconnect.
const MAX_LOOKBACK_MS: u64 = 24 * 60 * 60 * 1000;
