//! Private events for the unit tests of the ledger, the open orders and the delivery.

use market_types::{
    Asset, Balance, Decimal, Fill, Order, OrderId, OrderStatus, OrderType, Price, Quantity, Side,
    Symbol, TradeId, Venue,
};

pub(crate) fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap_or(Decimal::ZERO)
}

pub(crate) fn id(s: &str) -> OrderId {
    OrderId::new(s).unwrap_or_else(|_| unreachable!())
}

pub(crate) fn btc_usdt() -> Symbol {
    Symbol::new("BTC_USDT").unwrap_or_else(|_| unreachable!())
}

/// A buy limit order for 2 BTC_USDT at 100.
pub(crate) fn order(order_id: &str, status: OrderStatus, filled: &str, t: u64) -> Order {
    Order {
        venue: Venue::GateioSpot,
        symbol: btc_usdt(),
        order_id: id(order_id),
        client_order_id: None,
        side: Side::Buy,
        order_type: OrderType::Limit,
        price: Some(Price::from(d("100"))),
        quantity: Quantity::from(d("2")),
        filled: Quantity::from(d(filled)),
        average_price: None,
        status,
        update_time_ms: t,
    }
}

/// A fill of 1 at 100 of order `1`.
pub(crate) fn fill(trade_id: &str) -> Fill {
    Fill {
        venue: Venue::GateioSpot,
        symbol: btc_usdt(),
        trade_id: TradeId::new(trade_id).unwrap_or_else(|_| unreachable!()),
        order_id: id("1"),
        client_order_id: None,
        side: Side::Buy,
        price: Price::from(d("100")),
        quantity: Quantity::from(d("1")),
        fee: d("0.01"),
        fee_asset: None,
        role: None,
        time_ms: 1,
    }
}

/// A USDT balance with `available` free and 1 locked.
pub(crate) fn usdt(available: &str, t: u64) -> Balance {
    Balance {
        venue: Venue::GateioSpot,
        asset: Asset::new("USDT").unwrap_or_else(|_| unreachable!()),
        available: d(available),
        locked: d("1"),
        time_ms: t,
    }
}
