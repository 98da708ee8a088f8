//! [`MexcReconcile`]: what MEXC asks in a reconciliation round and what its answers mean
//! (history pages oldest first, by time).

use market_types::{Balance, Fill, Order, OrderId, Symbol};
use ws_handlers::{Answer, Failure, Lost, ReconcileVenue, RestOrder, RoundStart, Sent};
use ws_mixins::{PrivateWebSocketMixin, ReconcileScope};
use ws_session::{RestFailure, RestReply, RestRequest, RestRequestId, Timestamp};

use crate::auth::RestSigner;
use crate::error::Error;
use crate::rest::check_reply;

use super::parse::{parse_account, parse_order, parse_order_page, parse_orders, parse_trades};

/// MEXC's part of reconciliation: the account and the open orders of each symbol, and
/// after a disconnect each symbol's orders and fills from the window's start. MEXC asks
/// per symbol while the stream delivers every symbol, so the symbols are the configured
/// ones plus every symbol with an open order or a delivered order or fill (see
/// `coverage`).
#[derive(Debug)]
pub(crate) struct MexcReconcile {
    signer: Option<RestSigner>,
    symbols: Vec<Symbol>,
    /// Venue time of the latest fill delivered.
    last_fill_ms: Option<u64>,
}

impl MexcReconcile {
    /// Signed by `signer` (none without credentials: no call is made), for `symbols`.
    pub(crate) fn new(signer: Option<RestSigner>, symbols: Vec<Symbol>) -> Self {
        Self {
            signer,
            symbols,
            last_fill_ms: None,
        }
    }

    /// The symbols a round reconciles: the configured ones, every symbol with an open
    /// order, and the most recently active others (any symbol the stream delivered an
    /// order or fill of) up to [`MAX_EXTRA_SYMBOLS`]; and the active ones left out.
    fn coverage(&self, start: &RoundStart<'_, Call>) -> (Vec<Symbol>, Vec<Symbol>) {
        let delivery = start.delivery();
        let mut covered = self.symbols.clone();
        for (_, view) in delivery.open_orders().iter() {
            if !covered.contains(&view.symbol) {
                covered.push(view.symbol);
            }
        }
        let mut active: Vec<(Symbol, u64)> = delivery
            .active_symbols()
            .filter(|(symbol, _)| !covered.contains(symbol))
            .collect();
        // Most recent first; ties by name so that rounds are reproducible.
        active.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
        let skipped = active.split_off(active.len().min(MAX_EXTRA_SYMBOLS));
        covered.extend(active.into_iter().map(|(symbol, _)| symbol));
        (
            covered,
            skipped.into_iter().map(|(symbol, _)| symbol).collect(),
        )
    }

    /// A fill was delivered: a later disconnect fetches fills from no later than it.
    pub(crate) fn note_fill(&mut self, time_ms: u64) {
        self.last_fill_ms = Some(self.last_fill_ms.map_or(time_ms, |t| t.max(time_ms)));
    }
}

/// One reconciliation call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Balances.
    Account,
    /// The open orders of one symbol.
    OpenOrders(Symbol),
    /// One order that left the open orders.
    Order { symbol: Symbol, order_id: OrderId },
    /// One page of the orders of a symbol created from `start_ms` on.
    AllOrders { symbol: Symbol, start_ms: u64 },
    /// One page of the fills of a symbol from `start_ms` on.
    Trades { symbol: Symbol, start_ms: u64 },
}

impl Call {
    fn endpoint(self) -> &'static str {
        match self {
            Call::Account => ACCOUNT,
            Call::OpenOrders(_) => OPEN_ORDERS,
            Call::Order { .. } => ORDER,
            Call::AllOrders { .. } => ALL_ORDERS,
            Call::Trades { .. } => MY_TRADES,
        }
    }

    /// The same history query from `start_ms`.
    fn from(self, start_ms: u64) -> Option<Call> {
        match self {
            Call::AllOrders { symbol, .. } => Some(Call::AllOrders { symbol, start_ms }),
            Call::Trades { symbol, .. } => Some(Call::Trades { symbol, start_ms }),
            _ => None,
        }
    }

    /// A history query that cannot be answered: what it would have recovered is lost.
    fn gap(self, why: &str) -> Option<(Lost, String)> {
        let (lost, what, symbol, start_ms) = match self {
            Call::AllOrders { symbol, start_ms } => {
                (Lost::Orders, "orders opened", symbol, start_ms)
            }
            Call::Trades { symbol, start_ms } => (Lost::Fills, "fills", symbol, start_ms),
            _ => return None,
        };
        let message = format!(
            "{what} of {symbol} from {start_ms} (ms since the Unix epoch) while \
             disconnected cannot be recovered: {} {why}; open orders and balances \
             were reconciled",
            self.endpoint()
        );
        Some((lost, message))
    }
}

/// A parsed answer.
#[derive(Debug)]
pub(crate) enum Reply {
    Balances(Vec<Balance>),
    /// Orders, and for `allOrders` the latest creation time among them.
    Orders(Vec<Order>, Option<u64>),
    Fills(Vec<Fill>),
}

impl ReconcileVenue for MexcReconcile {
    type Call = Call;
    type Reply = Reply;
    type Error = Error;

    const NAME: &'static str = "mexc_spot";

    fn first_calls(&self, start: &mut RoundStart<'_, Call>) {
        start.call(Call::Account);
        let (symbols, skipped) = self.coverage(start);
        start.calls(symbols.iter().copied().map(Call::OpenOrders));
        let Some(gap_ms) = start.gap_from_ms() else {
            return;
        };
        // Orders opened from the last frame on (less the difference of the clocks);
        // fills from the last one seen, or that point if earlier, but not from further
        // back than the venue keeps.
        let orders_from = gap_ms.saturating_sub(GAP_SLACK_MS);
        let fills_from = self
            .last_fill_ms
            .map_or(orders_from, |last| last.min(orders_from))
            .max(orders_from.saturating_sub(MAX_LOOKBACK_MS));
        for symbol in symbols {
            start.call(Call::AllOrders {
                symbol,
                start_ms: orders_from,
            });
            start.call(Call::Trades {
                symbol,
                start_ms: fills_from,
            });
        }
        for symbol in skipped {
            let call = Call::AllOrders {
                symbol,
                start_ms: orders_from,
            };
            let why = format!(
                "orders and fills of {symbol} from {orders_from} (ms since the Unix epoch) \
                 while disconnected were not fetched: more than {MAX_EXTRA_SYMBOLS} symbols \
                 had private activity; symbols with open orders and the configured ones \
                 were reconciled"
            );
            start.skip(call, why);
        }
    }

    fn request(&self, call: Call, id: RestRequestId, now: Timestamp) -> Option<RestRequest> {
        let signer = self.signer.as_ref()?;
        Some(match call {
            Call::Account => signer.account(id, now),
            Call::OpenOrders(symbol) => signer.open_orders(symbol, id, now),
            Call::Order { symbol, order_id } => signer.get(
                ORDER,
                &[("symbol", symbol.as_str()), ("orderId", order_id.as_str())],
                id,
                now,
            ),
            Call::AllOrders { symbol, start_ms } => {
                history(signer, ALL_ORDERS, symbol, start_ms, ORDERS_PAGE, id, now)
            }
            Call::Trades { symbol, start_ms } => {
                history(signer, MY_TRADES, symbol, start_ms, TRADES_PAGE, id, now)
            }
        })
    }

    fn parse(
        &self,
        call: Call,
        result: &Result<RestReply, RestFailure>,
        now: Timestamp,
    ) -> Result<Reply, Error> {
        let body = check_reply(call.endpoint(), result)?;
        match call {
            Call::Account => parse_account(body, now.unix_millis()).map(Reply::Balances),
            Call::OpenOrders(_) => parse_orders(body).map(|orders| Reply::Orders(orders, None)),
            Call::AllOrders { .. } => {
                parse_order_page(body).map(|(orders, newest)| Reply::Orders(orders, newest))
            }
            Call::Order { .. } => parse_order(body).map(|order| Reply::Orders(vec![order], None)),
            Call::Trades { .. } => parse_trades(body).map(Reply::Fills),
        }
    }

    fn apply<H: PrivateWebSocketMixin>(
        &mut self,
        call: Call,
        reply: Reply,
        answer: &mut Answer<'_, Call, H>,
    ) {
        match (call, reply) {
            (_, Reply::Balances(balances)) => {
                for balance in &balances {
                    answer.balance(balance);
                }
            }
            (Call::OpenOrders(symbol), Reply::Orders(orders, _)) => {
                for order in orders.iter().filter(|o| o.symbol == symbol) {
                    answer.order(RestOrder::exact(*order));
                }
                // Orders seen open, missing from `openOrders`, and not updated by the
                // stream since the request was sent: they finished while the socket was
                // down. Each is looked up.
                let missing: Vec<Call> = answer
                    .open_at_send()
                    .filter(|(id, view)| {
                        view.symbol == symbol && !orders.iter().any(|o| o.order_id == *id)
                    })
                    .map(|(order_id, _)| Call::Order { symbol, order_id })
                    .collect();
                for lookup in missing {
                    answer.request(lookup);
                }
            }
            (Call::AllOrders { symbol, start_ms }, Reply::Orders(orders, newest)) => {
                for order in orders.iter().filter(|o| o.symbol == symbol) {
                    answer.order(RestOrder::exact(*order));
                }
                // Oldest first: a full page continues from its latest creation time.
                if orders.len() >= ORDERS_PAGE {
                    next_page(call, start_ms, newest, answer);
                }
            }
            (Call::Order { .. }, Reply::Orders(orders, _)) => {
                for order in &orders {
                    answer.order(RestOrder::exact(*order));
                }
            }
            (Call::Trades { symbol, start_ms }, Reply::Fills(fills)) => {
                for fill in fills.iter().filter(|f| f.symbol == symbol) {
                    if answer.fill(fill) {
                        self.note_fill(fill.time_ms);
                    }
                }
                let newest = fills.iter().map(|f| f.time_ms).max();
                if fills.len() >= TRADES_PAGE {
                    next_page(call, start_ms, newest, answer);
                }
            }
            _ => {}
        }
    }

    fn failure(&self, call: Call, error: &Error, _sent: Sent) -> Failure {
        if error.is_fatal() {
            return Failure::CredentialsRejected(error.to_string());
        }
        match call {
            Call::Order { symbol, order_id } if is_unknown_order(error) => Failure::Unresolved {
                order_id,
                message: format!(
                    "order {order_id} ({symbol}) finished while disconnected; its final \
                     state is unknown ({ORDER} answered {error})"
                ),
            },
            Call::AllOrders { .. } | Call::Trades { .. } if !error.is_retryable() => {
                match call.gap(&error.to_string()) {
                    Some((what, message)) => Failure::Lost { what, message },
                    None => Failure::Retry,
                }
            }
            _ if is_refused(error) => Failure::Refused {
                message: format!(
                    "{} not reconciled: {error}, which asking again cannot change",
                    self.scope(call)
                ),
            },
            _ => Failure::Retry,
        }
    }

    fn endpoint(&self, call: Call) -> String {
        call.endpoint().to_string()
    }

    fn scope(&self, call: Call) -> ReconcileScope {
        match call {
            Call::Account => ReconcileScope::Account,
            Call::OpenOrders(symbol)
            | Call::AllOrders { symbol, .. }
            | Call::Trades { symbol, .. } => ReconcileScope::Symbol(symbol),
            Call::Order { symbol, order_id } => ReconcileScope::Order { symbol, order_id },
        }
    }
}

/// A client error (4xx, not a rate limit or a clock-skew refusal) that asking again cannot
/// change: an unknown symbol, a refused parameter.
fn is_refused(error: &Error) -> bool {
    match error {
        Error::Rest { status, .. } | Error::Http { status, .. } => {
            (400..500).contains(status) && !error.is_retryable() && !matches!(*status, 408 | 425)
        }
        _ => false,
    }
}

/// Asks for the page after a full one, from the newest time it held (the ledger drops
/// what the two pages share). A full page within one millisecond cannot be paged past:
/// that is reported as a gap.
fn next_page<H: PrivateWebSocketMixin>(
    call: Call,
    start_ms: u64,
    newest: Option<u64>,
    answer: &mut Answer<'_, Call, H>,
) {
    match newest.filter(|t| *t > start_ms).and_then(|t| call.from(t)) {
        Some(next) => answer.request(next),
        None => {
            let why = format!("more than one page at {start_ms} ms cannot be paged past");
            if let Some((what, message)) = call.gap(&why) {
                answer.lost(what, message);
            }
        }
    }
}

/// `GET {path}?symbol=..&startTime=..&limit=..`: one page of a history, oldest first.
fn history(
    signer: &RestSigner,
    path: &str,
    symbol: Symbol,
    start_ms: u64,
    limit: usize,
    id: RestRequestId,
    now: Timestamp,
) -> RestRequest {
    let start = start_ms.to_string();
    let limit = limit.to_string();
    signer.get(
        path,
        &[
            ("symbol", symbol.as_str()),
            ("startTime", &start),
            ("limit", &limit),
        ],
        id,
        now,
    )
}

/// `-2013 Order does not exist.` (or no such endpoint): the venue cannot tell the end.
fn is_unknown_order(error: &Error) -> bool {
    match error {
        Error::Rest { code, status, .. } => *code == UNKNOWN_ORDER || *status == 404,
        Error::Http { status, .. } => *status == 404,
        _ => false,
    }
}

/// Symbols beyond the configured ones and those with open orders that a round covers
/// (each costs three calls after a disconnect); the rest are reported as not covered.
const MAX_EXTRA_SYMBOLS: usize = 64;
/// Rows of one `allOrders` page (the venue's largest `limit`).
const ORDERS_PAGE: usize = 1000;
/// Rows of one `myTrades` page (the venue's largest `limit`).
const TRADES_PAGE: usize = 100;
const ACCOUNT: &str = "/api/v3/account";
const OPEN_ORDERS: &str = "/api/v3/openOrders";
/// `GET /api/v3/order`.
const ORDER: &str = "/api/v3/order";
/// `GET /api/v3/allOrders`.
const ALL_ORDERS: &str = "/api/v3/allOrders";
/// `GET /api/v3/myTrades`.
const MY_TRADES: &str = "/api/v3/myTrades";
/// MEXC's "Order does not exist."
const UNKNOWN_ORDER: i64 = -2013;
/// History is fetched from this much before the last frame: venue and local clocks
/// differ (the ledger drops what was delivered already).
const GAP_SLACK_MS: u64 = 2_000;
/// Fills are not fetched from further back than this before the disconnect.
const MAX_LOOKBACK_MS: u64 = 24 * 60 * 60 * 1000;
