//! [`GateioReconcile`]: what Gate asks in a reconciliation round and what its answers
//! mean (history pages newest first).

use std::collections::HashSet;
use std::marker::PhantomData;

use market_types::{Balance, Fill, OrderId, Position};
use ws_handlers::{
    Answer, ClockOffset, Failure, Lost, ReconcileVenue, RestOrder, RoundStart, Sent,
};
use ws_mixins::{PrivateWebSocketMixin, ReconcileScope};
use ws_session::{RestFailure, RestReply, RestRequest, RestRequestId, Timestamp};

use crate::channel::Market;

use super::super::config::GateioHandlerConfig;
use super::super::market::GateioMarket;
use super::calls::{
    Call, FILLS_PAGE, MAX_OPEN_ORDER_PAGES, ORDERS_PAGE, RestError, RestSigner, Window, body,
};
use super::parse::{
    parse_balances, parse_fills, parse_open_orders, parse_order, parse_order_list, parse_positions,
};

/// Gate's part of reconciliation for market `M`: open orders, balances, (futures)
/// positions, and after a disconnect the window's finished orders and fills.
#[derive(Debug)]
pub(crate) struct GateioReconcile<M> {
    signer: Option<RestSigner>,
    /// Orders listed by the open-orders pages of this round so far (the pages come one
    /// after the other; at most `MAX_OPEN_ORDER_PAGES` pages of ids).
    listed: HashSet<OrderId>,
    market: PhantomData<fn() -> M>,
}

impl<M: GateioMarket> GateioReconcile<M> {
    /// Signed with `config.credentials`; without them no call is made.
    pub(crate) fn new(config: &GateioHandlerConfig) -> Self {
        Self {
            signer: RestSigner::new(config),
            listed: HashSet::new(),
            market: PhantomData,
        }
    }

    /// A signed `GET {path}?{query}` outside a round (the user id lookup); `None`
    /// without credentials.
    pub(crate) fn signed_get(
        &self,
        id: RestRequestId,
        path: &str,
        query: &str,
        now: Timestamp,
    ) -> Option<RestRequest> {
        Some(self.signer.as_ref()?.get(id, path, query, now))
    }

    /// Signs with the venue's time as `clock` tells it.
    pub(crate) fn with_clock(mut self, clock: ClockOffset) -> Self {
        if let Some(signer) = self.signer.as_mut() {
            signer.set_clock(clock);
        }
        self
    }
}

/// A parsed answer.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A page of open orders, and whether more may follow.
    Open(Vec<RestOrder>, bool),
    Finished(Vec<RestOrder>),
    Order(Box<RestOrder>),
    Balances(Vec<Balance>),
    Positions(Vec<Position>),
    Fills(Vec<Fill>),
}

impl<M: GateioMarket> ReconcileVenue for GateioReconcile<M> {
    type Call = Call;
    type Reply = Reply;
    type Error = RestError;

    const NAME: &'static str = M::PRIVATE_NAME;

    fn first_calls(&self, start: &mut RoundStart<'_, Call>) {
        start.calls([Call::OpenOrders { page: 0 }, Call::Balances]);
        if M::MARKET == Market::Futures {
            start.call(Call::Positions);
        }
        let now = start.now();
        if let Some(from_ms) = start.gap_from_ms() {
            // From the last frame of the old connection to past now (the stream covers
            // what follows); the slack absorbs the difference of the two clocks.
            let window = Window {
                from_s: from_ms.saturating_sub(FILL_WINDOW_SLACK_MS) / 1000,
                to_s: now.unix_millis().saturating_add(FILL_WINDOW_SLACK_MS) / 1000,
            };
            start.call(Call::FinishedOrders { window, page: 0 });
            start.call(Call::Fills { window, page: 0 });
        }
    }

    fn request(&self, call: Call, id: RestRequestId, now: Timestamp) -> Option<RestRequest> {
        let signer = self.signer.as_ref()?;
        let (path, query) = call.target(M::MARKET);
        Some(signer.get(id, &path, &query, now))
    }

    fn parse(
        &self,
        call: Call,
        result: &Result<RestReply, RestFailure>,
        now: Timestamp,
    ) -> Result<Reply, RestError> {
        let body = body(result)?;
        let market = M::MARKET;
        Ok(match call {
            Call::OpenOrders { .. } => {
                let (orders, more) = parse_open_orders(market, body)?;
                Reply::Open(orders, more)
            }
            Call::FinishedOrders { .. } => Reply::Finished(parse_order_list(market, body)?),
            Call::Order { .. } => Reply::Order(Box::new(parse_order(market, body)?)),
            Call::Balances => Reply::Balances(parse_balances(market, body, now.unix_millis())?),
            Call::Positions => Reply::Positions(parse_positions(body, now.unix_millis())?),
            Call::Fills { .. } => Reply::Fills(parse_fills(market, body)?),
        })
    }

    fn apply<H: PrivateWebSocketMixin>(
        &mut self,
        call: Call,
        reply: Reply,
        answer: &mut Answer<'_, Call, H>,
    ) {
        match reply {
            Reply::Open(orders, more) => {
                if call == (Call::OpenOrders { page: 0 }) {
                    self.listed.clear();
                }
                for order in &orders {
                    answer.order(*order);
                    self.listed.insert(order.order.order_id);
                }
                // The list goes on: ask for the next page, up to the limit.
                if more {
                    match call.next_page() {
                        Some(next @ Call::OpenOrders { page }) if page < MAX_OPEN_ORDER_PAGES => {
                            answer.request(next);
                            return;
                        }
                        _ => {
                            self.listed.clear();
                            answer.lost(
                                Lost::Orders,
                                format!(
                                    "more than {MAX_OPEN_ORDER_PAGES} pages of open orders: \
                                     the rest were not reconciled, and orders that ended \
                                     while disconnected may still show as open"
                                ),
                            );
                            return;
                        }
                    }
                }
                // Delivered as open before the request, listed on no page: closed
                // meanwhile. Each one's end is asked for by id.
                let listed = std::mem::take(&mut self.listed);
                let missing: Vec<Call> = answer
                    .open_at_send()
                    .filter(|(id, _)| !listed.contains(id))
                    .map(|(id, view)| Call::Order {
                        id,
                        symbol: view.symbol,
                    })
                    .collect();
                for lookup in missing {
                    answer.request(lookup);
                }
            }
            Reply::Finished(orders) => {
                // Orders that finished within the disconnected window, including those
                // opened and closed while the socket was down (older ones were streamed;
                // the ledger drops any repeat).
                let from_ms = answer.gap_start_ms();
                let recent = |o: &RestOrder| {
                    o.order.update_time_ms.saturating_add(FILL_WINDOW_SLACK_MS) >= from_ms
                };
                for order in orders.iter().filter(|o| recent(o)) {
                    answer.order(*order);
                }
                // Newest first: a full page whose oldest order is still in the window
                // may have more behind it.
                let more = orders.len() >= ORDERS_PAGE && orders.last().is_some_and(recent);
                if let Some(next) = call.next_page().filter(|_| more) {
                    answer.request(next);
                }
            }
            Reply::Order(order) => {
                answer.order(*order);
            }
            Reply::Balances(balances) => {
                for balance in &balances {
                    answer.balance(balance);
                }
            }
            Reply::Positions(positions) => {
                for position in &positions {
                    answer.position(position);
                }
            }
            Reply::Fills(fills) => {
                let from_ms = answer.gap_start_ms();
                for fill in &fills {
                    if fill.time_ms.saturating_add(FILL_WINDOW_SLACK_MS) >= from_ms {
                        answer.fill(fill);
                    }
                }
                if let Some(next) = call.next_page().filter(|_| fills.len() >= FILLS_PAGE) {
                    answer.request(next);
                }
            }
        }
    }

    fn failure(&self, call: Call, error: &RestError, sent: Sent) -> Failure {
        let (path, _) = call.target(M::MARKET);
        if error.is_fatal() {
            return Failure::CredentialsRejected(format!("REST {path}: {error}"));
        }
        match call {
            Call::Fills { .. } | Call::FinishedOrders { .. } if error.is_not_found() => {
                let (what, lost) = match call {
                    Call::Fills { .. } => (Lost::Fills, "fills"),
                    _ => (Lost::Orders, "orders both opened and closed"),
                };
                let reconciled = match M::MARKET {
                    Market::Spot => "open orders and balances",
                    Market::Futures => "orders, balances and positions",
                };
                let Sent {
                    sent_ms,
                    gap_start_ms: from_ms,
                } = sent;
                Failure::Lost {
                    what,
                    message: format!(
                        "{lost} between {from_ms} and {sent_ms} (ms since the Unix epoch) \
                         while disconnected cannot be recovered: {path} answered {error}; \
                         {reconciled} were reconciled"
                    ),
                }
            }
            Call::Order { id, symbol } if error.is_not_found() => Failure::Unresolved {
                order_id: id,
                message: format!(
                    "order {id} ({symbol}) stopped being open while disconnected; its final \
                     state and fills are unknown (the order query answered not found)"
                ),
            },
            _ if error.is_refused() => Failure::Refused {
                message: format!(
                    "{} not reconciled: {path} answered {error}, which asking again cannot \
                     change",
                    self.scope(call)
                ),
            },
            _ => Failure::Retry,
        }
    }

    fn endpoint(&self, call: Call) -> String {
        call.target(M::MARKET).0
    }

    fn scope(&self, call: Call) -> ReconcileScope {
        match call {
            Call::Order { id, symbol } => ReconcileScope::Order {
                symbol,
                order_id: id,
            },
            // Every other call covers every pair of the account.
            _ => ReconcileScope::Account,
        }
    }
}

/// Fills this much older than the window's start are still taken (the ledger drops the
/// ones already delivered): venue and local clocks differ.
const FILL_WINDOW_SLACK_MS: u64 = 2_000;
