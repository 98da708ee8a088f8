//! `PublicWebSocketMixin` and `PrivateWebSocketMixin`: the typed callbacks a user implements.
//!
//! Handlers are generic over these traits, so each callback is statically dispatched and
//! can be inlined into the parser. Every method has an empty default: implement only what
//! you consume.

use market_types::{
    Balance, BookStatusEvent, BookTicker, BookUpdate, Fill, Order, OrderBook, Position, Ticker,
    Trade,
};

use crate::ReconcileFailure;

/// What went wrong in a stream, reported to the user without stopping the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// Which kind of problem.
    pub category: ErrorCategory,
    /// Human-readable context (channel, symbol, venue message). Never credentials.
    pub message: String,
}

/// Broad class of a [`StreamError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// A message could not be decoded; it was skipped and counted.
    Parse,
    /// The venue refused a subscription.
    SubscriptionRejected,
    /// Authentication failed or timed out.
    Authentication,
    /// An order book lost continuity and is resyncing.
    BookSync,
    /// A REST call (snapshot, listen key, reconciliation) failed.
    Rest,
    /// The venue reported an error not tied to a request.
    Venue,
}

/// Market-data callbacks (the plan's `PublicWebSocketMixin`).
pub trait PublicWebSocketMixin {
    /// A book changed: `book` is the local book after `update` was applied.
    fn on_order_book(&mut self, _book: &OrderBook, _update: &BookUpdate) {}
    /// A public trade.
    fn on_trade(&mut self, _trade: &Trade) {}
    /// Best bid/ask.
    fn on_book_ticker(&mut self, _ticker: &BookTicker) {}
    /// 24 h ticker.
    fn on_ticker(&mut self, _ticker: &Ticker) {}
    /// A book became Syncing, Live or Resyncing.
    fn on_book_status(&mut self, _event: &BookStatusEvent) {}
    /// Something went wrong but the stream goes on.
    fn on_error(&mut self, _error: &StreamError) {}
}

/// Account callbacks (the plan's `PrivateWebSocketMixin`).
pub trait PrivateWebSocketMixin {
    /// An order changed.
    fn on_order(&mut self, _order: &Order) {}
    /// One of our orders traded.
    fn on_fill(&mut self, _fill: &Fill) {}
    /// A balance changed.
    fn on_balance(&mut self, _balance: &Balance) {}
    /// A position changed.
    fn on_position(&mut self, _position: &Position) {}
    /// REST reconciliation after a reconnect finished: everything missed has been emitted.
    fn on_reconciled(&mut self) {}
    /// Something went wrong but the stream goes on.
    fn on_error(&mut self, _error: &StreamError) {}
    /// A reconciliation round gave up on part of the account (the round still completes).
    /// By default it reaches [`Self::on_error`] (category `Rest`, the failure's message),
    /// so implementors written before this callback still hear of it.
    fn on_reconcile_failure(&mut self, failure: &ReconcileFailure) {
        self.on_error(&StreamError {
            category: ErrorCategory::Rest,
            message: failure.message.clone(),
        });
    }
}

/// Ignores everything (for handlers used only for their books, or in benchmarks).
impl PublicWebSocketMixin for () {}
impl PrivateWebSocketMixin for () {}

#[cfg(test)]
mod tests {
    use market_types::{Symbol, Venue};

    use super::*;

    struct Nothing;
    impl PublicWebSocketMixin for Nothing {}
    impl PrivateWebSocketMixin for Nothing {}

    #[derive(Default)]
    struct Count(u32);
    impl PublicWebSocketMixin for Count {
        fn on_book_status(&mut self, _event: &BookStatusEvent) {
            self.0 += 1;
        }
    }

    #[test]
    fn defaults_do_nothing_and_overrides_are_called() {
        let status = BookStatusEvent {
            venue: Venue::GateioSpot,
            symbol: Symbol::new("BTC_USDT").unwrap_or_else(|_| unreachable!()),
            status: market_types::BookStatus::Live,
        };
        let err = StreamError {
            category: ErrorCategory::Parse,
            message: "bad".into(),
        };
        let mut n = Nothing;
        PublicWebSocketMixin::on_book_status(&mut n, &status);
        PublicWebSocketMixin::on_error(&mut n, &err);
        PrivateWebSocketMixin::on_reconciled(&mut n);
        PrivateWebSocketMixin::on_error(&mut n, &err);
        let mut c = Count::default();
        c.on_book_status(&status);
        c.on_book_status(&status);
        assert_eq!(c.0, 2);
        PublicWebSocketMixin::on_ticker(&mut (), &dummy_ticker());
    }

    #[derive(Default)]
    struct Errors(Vec<StreamError>);
    impl PrivateWebSocketMixin for Errors {
        fn on_error(&mut self, error: &StreamError) {
            self.0.push(error.clone());
        }
    }

    #[test]
    fn reconcile_failures_reach_on_error_by_default() {
        let failure = crate::ReconcileFailure {
            scope: crate::ReconcileScope::Account,
            call: "/api/v3/account".into(),
            reason: crate::ReconcileFailureReason::Exhausted { attempts: 3 },
            message: "balances not reconciled".into(),
        };
        let mut errors = Errors::default();
        errors.on_reconcile_failure(&failure);
        assert_eq!(
            errors.0,
            vec![StreamError {
                category: ErrorCategory::Rest,
                message: "balances not reconciled".into(),
            }]
        );
        assert_eq!(failure.to_string(), "balances not reconciled");
    }

    fn dummy_ticker() -> Ticker {
        Ticker {
            venue: Venue::MexcSpot,
            symbol: Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!()),
            last: None,
            best_bid: None,
            best_ask: None,
            high_24h: None,
            low_24h: None,
            base_volume: None,
            quote_volume: None,
            change_percentage: None,
            mark_price: None,
            index_price: None,
            funding_rate: None,
            exchange_time_ms: 0,
        }
    }
}
