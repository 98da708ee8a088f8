//! The one simulated account: balances, orders, and the ledger of private pushes.
//!
//! Every lifecycle call returns the pushes it causes, in the order they go on the wire;
//! the venue encodes each once, records it in the ledger and publishes it.

use std::collections::BTreeMap;

use bytes::Bytes;
use market_types::{Asset, Decimal, Price, Quantity, Side, Symbol};

use crate::mexc::channel::Channel;
use crate::mexc::config::{OrderIdField, SymbolSpec, symbol_id};
use crate::mexc::error::MexcError;
use crate::mexc::pb::{PrivateAccount, PrivateDeals, PrivateOrders, PushBody, PushDataWrapper};

/// One private push the venue produced, exactly as it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Position in the ledger, from 1.
    pub seq: u64,
    /// What it says.
    pub push: PrivatePush,
    /// The exact binary frame payload sent to every subscribed connection.
    pub frame: Bytes,
}

/// What a private push says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivatePush {
    /// `spot@private.orders.v3.api.pb` (body 304).
    Order(OrderPush),
    /// `spot@private.deals.v3.api.pb` (body 306).
    Deal(DealPush),
    /// `spot@private.account.v3.api.pb` (body 307).
    Account(AccountPush),
}

impl PrivatePush {
    /// The channel it is pushed on.
    pub fn channel(&self) -> Channel {
        match self {
            PrivatePush::Order(_) => Channel::PrivateOrders,
            PrivatePush::Deal(_) => Channel::PrivateDeals,
            PrivatePush::Account(_) => Channel::PrivateAccount,
        }
    }
}

/// An order's state after a lifecycle step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPush {
    /// The venue's order id (`C02__…`).
    pub order_id: String,
    /// The pair.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Original quantity.
    pub quantity: Quantity,
    /// The status sent.
    pub status: OrderState,
    /// Filled so far.
    pub cumulative_quantity: Quantity,
    /// The fill that caused this push, if one did.
    pub last_deal_quantity: Option<Quantity>,
    /// Creation time, ms.
    pub create_time: i64,
}

/// One fill of one of the account's orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealPush {
    /// Unique per fill.
    pub trade_id: String,
    /// The order filled.
    pub order_id: String,
    /// The pair.
    pub symbol: Symbol,
    /// The order's side.
    pub side: Side,
    /// Fill price (the order's price).
    pub price: Price,
    /// Fill quantity.
    pub quantity: Quantity,
    /// Fill time, ms.
    pub time: i64,
}

/// One asset's balance after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPush {
    /// The asset.
    pub asset: Asset,
    /// Free after the change.
    pub free: Decimal,
    /// Change of free.
    pub free_change: Decimal,
    /// Locked after the change.
    pub locked: Decimal,
    /// Change of locked.
    pub locked_change: Decimal,
    /// `ENTRUST_PLACE` (order placed), `ENTRUST` (fill), `ENTRUST_CANCEL` (cancel).
    pub change_type: &'static str,
    /// Change time, ms.
    pub time: i64,
}

/// The `privateOrders` status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// 1: resting, nothing filled.
    New,
    /// 2: completely filled.
    Filled,
    /// 3: resting, partly filled.
    PartiallyFilled,
    /// 4: cancelled with nothing filled.
    Canceled,
    /// 5: cancelled after a partial fill.
    PartiallyCanceled,
}

impl OrderState {
    /// The `status` number on the wire.
    pub fn code(self) -> i32 {
        match self {
            OrderState::New => 1,
            OrderState::Filled => 2,
            OrderState::PartiallyFilled => 3,
            OrderState::Canceled => 4,
            OrderState::PartiallyCanceled => 5,
        }
    }

    /// The REST `status` string.
    pub fn rest_name(self) -> &'static str {
        match self {
            OrderState::New => "NEW",
            OrderState::Filled => "FILLED",
            OrderState::PartiallyFilled => "PARTIALLY_FILLED",
            OrderState::Canceled => "CANCELED",
            OrderState::PartiallyCanceled => "PARTIALLY_CANCELED",
        }
    }

    /// Whether the order still rests.
    pub fn is_open(self) -> bool {
        matches!(self, OrderState::New | OrderState::PartiallyFilled)
    }
}

/// An order as the venue holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTruth {
    /// The venue's order id.
    pub order_id: String,
    /// The pair.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Original quantity.
    pub quantity: Quantity,
    /// Filled so far.
    pub filled: Quantity,
    /// Current state.
    pub status: OrderState,
    /// Creation time, ms.
    pub create_time: i64,
    /// Last change, ms.
    pub update_time: i64,
}

impl OrderTruth {
    fn remaining(&self) -> Option<Decimal> {
        self.quantity.value().checked_sub(self.filled.value())
    }
}

/// One asset's balance as the venue holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceTruth {
    /// The asset.
    pub asset: Asset,
    /// Available.
    pub free: Decimal,
    /// Frozen by open orders.
    pub locked: Decimal,
}

/// Balances, orders and the ledger.
#[derive(Debug)]
pub(crate) struct Account {
    balances: BTreeMap<Asset, (Decimal, Decimal)>,
    orders: BTreeMap<String, OrderTruth>,
    next_order: u64,
    fills: u64,
    /// Every fill, oldest first (the REST trade history).
    deals: Vec<DealPush>,
    ledger: Vec<LedgerEntry>,
    /// Ledger entries already handed over by [`Account::take_history`].
    taken: u64,
    id_field: OrderIdField,
}

impl Account {
    pub(crate) fn new(balances: &[(Asset, Decimal)], id_field: OrderIdField) -> Self {
        Self {
            balances: balances
                .iter()
                .map(|(a, f)| (*a, (*f, Decimal::ZERO)))
                .collect(),
            orders: BTreeMap::new(),
            next_order: 0,
            fills: 0,
            deals: Vec::new(),
            ledger: Vec::new(),
            taken: 0,
            id_field,
        }
    }

    pub(crate) fn place(
        &mut self,
        spec: &SymbolSpec,
        side: Side,
        price: Price,
        quantity: Quantity,
        now_ms: i64,
    ) -> Result<(String, Vec<PrivatePush>), MexcError> {
        if !price.is_positive() || !quantity.is_positive() {
            return Err(MexcError::InvalidAmount);
        }
        let (asset, amount) = match side {
            Side::Buy => (spec.quote, mul(price.value(), quantity.value())?),
            Side::Sell => (spec.base, quantity.value()),
        };
        let (free, _) = self.balance(asset);
        if free < amount {
            return Err(MexcError::InsufficientBalance {
                asset,
                needed: amount,
                free,
            });
        }
        self.next_order += 1;
        let order_id = format!("C02__{}", ORDER_ID_BASE + self.next_order);
        let order = OrderTruth {
            order_id: order_id.clone(),
            symbol: spec.symbol,
            side,
            price,
            quantity,
            filled: Quantity::ZERO,
            status: OrderState::New,
            create_time: now_ms,
            update_time: now_ms,
        };
        let order_push = order_push(&order, None);
        self.orders.insert(order_id.clone(), order);
        let lock = self.adjust(asset, neg(amount), amount, "ENTRUST_PLACE", now_ms)?;
        Ok((order_id, vec![PrivatePush::Order(order_push), lock]))
    }

    pub(crate) fn fill(
        &mut self,
        spec: &SymbolSpec,
        order_id: &str,
        quantity: Quantity,
        now_ms: i64,
    ) -> Result<Vec<PrivatePush>, MexcError> {
        if !quantity.is_positive() {
            return Err(MexcError::InvalidAmount);
        }
        let order = self.open_order(order_id)?;
        let remaining = order.remaining().ok_or(MexcError::Overflow)?;
        if quantity.value() > remaining {
            return Err(MexcError::Overfill {
                requested: quantity,
                remaining: Quantity::new(remaining),
            });
        }
        let (side, price) = (order.side, order.price);
        let notional = mul(price.value(), quantity.value())?;
        let filled = add(order.filled.value(), quantity.value())?;
        let status = if filled == order.quantity.value() {
            OrderState::Filled
        } else {
            OrderState::PartiallyFilled
        };
        let order = self.open_order_mut(order_id)?;
        order.filled = Quantity::new(filled);
        order.status = status;
        order.update_time = now_ms;
        let order_push = order_push(order, Some(quantity));
        self.fills += 1;
        let deal = DealPush {
            trade_id: format!("{}X{}", order_id.trim_start_matches("C02__"), self.fills),
            order_id: order_id.to_owned(),
            symbol: spec.symbol,
            side,
            price,
            quantity,
            time: now_ms,
        };
        // The locked side pays, the other side receives.
        let (paid, paid_amount, got, got_amount) = match side {
            Side::Buy => (spec.quote, notional, spec.base, quantity.value()),
            Side::Sell => (spec.base, quantity.value(), spec.quote, notional),
        };
        let pay = self.adjust(paid, Decimal::ZERO, neg(paid_amount), "ENTRUST", now_ms)?;
        let receive = self.adjust(got, got_amount, Decimal::ZERO, "ENTRUST", now_ms)?;
        self.deals.push(deal.clone());
        Ok(vec![
            PrivatePush::Deal(deal),
            PrivatePush::Order(order_push),
            pay,
            receive,
        ])
    }

    pub(crate) fn cancel(
        &mut self,
        spec: &SymbolSpec,
        order_id: &str,
        now_ms: i64,
    ) -> Result<Vec<PrivatePush>, MexcError> {
        let order = self.open_order(order_id)?;
        let remaining = order.remaining().ok_or(MexcError::Overflow)?;
        let (asset, amount) = match order.side {
            Side::Buy => (spec.quote, mul(order.price.value(), remaining)?),
            Side::Sell => (spec.base, remaining),
        };
        let order = self.open_order_mut(order_id)?;
        order.status = if order.filled.is_zero() {
            OrderState::Canceled
        } else {
            OrderState::PartiallyCanceled
        };
        order.update_time = now_ms;
        let order_push = order_push(order, None);
        let unlock = self.adjust(asset, amount, neg(amount), "ENTRUST_CANCEL", now_ms)?;
        Ok(vec![PrivatePush::Order(order_push), unlock])
    }

    /// Records a push as produced and returns its ledger entry.
    pub(crate) fn record(&mut self, push: PrivatePush, frame: Bytes) -> &LedgerEntry {
        let seq = self.taken + self.ledger.len() as u64 + 1;
        self.ledger.push(LedgerEntry { seq, push, frame });
        &self.ledger[self.ledger.len() - 1]
    }

    /// The wrapper for one push.
    pub(crate) fn wrapper(
        &self,
        push: &PrivatePush,
        spec: &SymbolSpec,
        now_ms: i64,
    ) -> PushDataWrapper {
        let channel = push.channel().to_string();
        match push {
            PrivatePush::Order(order) => {
                let (id, client_id) = match self.id_field {
                    OrderIdField::Id => (order.order_id.clone(), String::new()),
                    OrderIdField::ClientId => (String::new(), order.order_id.clone()),
                    OrderIdField::Both => (order.order_id.clone(), order.order_id.clone()),
                };
                let price = order.price.value();
                let quantity = order.quantity.value();
                let cumulative = order.cumulative_quantity.value();
                let remaining = quantity.checked_sub(cumulative).unwrap_or_default();
                let cumulative_amount = price.checked_mul(cumulative).unwrap_or_default();
                let remain_amount = match order.status {
                    OrderState::New | OrderState::PartiallyFilled => {
                        price.checked_mul(remaining).unwrap_or_default()
                    }
                    _ => Decimal::ZERO,
                };
                let body = PrivateOrders {
                    id,
                    client_id,
                    price: price.to_string(),
                    quantity: quantity.to_string(),
                    amount: price.checked_mul(quantity).unwrap_or_default().to_string(),
                    avg_price: if cumulative.is_zero() {
                        "0".to_owned()
                    } else {
                        price.to_string()
                    },
                    order_type: LIMIT_ORDER,
                    trade_type: trade_type(order.side),
                    is_maker: true,
                    remain_amount: remain_amount.to_string(),
                    remain_quantity: if order.status.is_open() {
                        remaining.to_string()
                    } else {
                        "0".to_owned()
                    },
                    last_deal_quantity: order.last_deal_quantity.map(|q| q.to_string()),
                    cumulative_quantity: cumulative.to_string(),
                    cumulative_amount: cumulative_amount.to_string(),
                    status: order.status.code(),
                    create_time: order.create_time,
                    ..PrivateOrders::default()
                };
                PushDataWrapper {
                    channel,
                    symbol: Some(order.symbol.to_string()),
                    symbol_id: None,
                    create_time: None,
                    send_time: Some(now_ms),
                    body: PushBody::PrivateOrders(body),
                }
            }
            PrivatePush::Deal(deal) => {
                let amount = deal.price.value().checked_mul(deal.quantity.value());
                let body = PrivateDeals {
                    price: deal.price.to_string(),
                    quantity: deal.quantity.to_string(),
                    amount: amount.unwrap_or_default().to_string(),
                    trade_type: trade_type(deal.side),
                    is_maker: true,
                    is_self_trade: false,
                    trade_id: deal.trade_id.clone(),
                    client_order_id: String::new(),
                    order_id: deal.order_id.clone(),
                    fee_amount: "0".to_owned(),
                    fee_currency: spec.quote.to_string(),
                    time: deal.time,
                };
                PushDataWrapper {
                    channel,
                    symbol: Some(deal.symbol.to_string()),
                    symbol_id: None,
                    create_time: None,
                    send_time: Some(now_ms),
                    body: PushBody::PrivateDeals(body),
                }
            }
            PrivatePush::Account(change) => PushDataWrapper {
                channel,
                symbol: None,
                symbol_id: None,
                create_time: Some(change.time),
                send_time: Some(now_ms),
                body: PushBody::PrivateAccount(PrivateAccount {
                    vcoin_name: change.asset.to_string(),
                    coin_id: symbol_id(change.asset.as_str()),
                    balance_amount: change.free.to_string(),
                    balance_amount_change: change.free_change.to_string(),
                    frozen_amount: change.locked.to_string(),
                    frozen_amount_change: change.locked_change.to_string(),
                    change_type: change.change_type.to_owned(),
                    time: change.time,
                }),
            },
        }
    }

    pub(crate) fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger
    }

    /// Hands the ledger over and forgets closed orders and the fill history, so a long
    /// run that reads them now and then keeps the simulator's records bounded. Open
    /// orders and balances stay; ledger positions keep counting.
    pub(crate) fn take_history(&mut self) -> Vec<LedgerEntry> {
        self.orders.retain(|_, order| order.status.is_open());
        self.deals = Vec::new();
        self.taken += self.ledger.len() as u64;
        std::mem::take(&mut self.ledger)
    }

    pub(crate) fn balances(&self) -> Vec<BalanceTruth> {
        self.balances
            .iter()
            .map(|(asset, (free, locked))| BalanceTruth {
                asset: *asset,
                free: *free,
                locked: *locked,
            })
            .collect()
    }

    /// Open orders, oldest first, optionally of one symbol.
    pub(crate) fn open_orders(&self, symbol: Option<Symbol>) -> Vec<OrderTruth> {
        let mut open: Vec<OrderTruth> = self
            .orders
            .values()
            .filter(|o| o.status.is_open() && symbol.is_none_or(|s| s == o.symbol))
            .cloned()
            .collect();
        open.sort_by(|a, b| {
            a.create_time
                .cmp(&b.create_time)
                .then(a.order_id.cmp(&b.order_id))
        });
        open
    }

    pub(crate) fn order(&self, order_id: &str) -> Option<&OrderTruth> {
        self.orders.get(order_id)
    }

    /// Every order of `symbol`, open or not, oldest first.
    pub(crate) fn all_orders(&self, symbol: Symbol) -> Vec<&OrderTruth> {
        let mut all: Vec<&OrderTruth> = self
            .orders
            .values()
            .filter(|o| o.symbol == symbol)
            .collect();
        all.sort_by(|a, b| {
            a.create_time
                .cmp(&b.create_time)
                .then(a.order_id.cmp(&b.order_id))
        });
        all
    }

    /// Every fill, oldest first.
    pub(crate) fn deals(&self) -> &[DealPush] {
        &self.deals
    }

    fn open_order(&self, order_id: &str) -> Result<&OrderTruth, MexcError> {
        let order = self
            .orders
            .get(order_id)
            .ok_or_else(|| MexcError::UnknownOrder(order_id.to_owned()))?;
        if order.status.is_open() {
            Ok(order)
        } else {
            Err(MexcError::OrderClosed(order_id.to_owned()))
        }
    }

    fn open_order_mut(&mut self, order_id: &str) -> Result<&mut OrderTruth, MexcError> {
        self.open_order(order_id)?;
        self.orders
            .get_mut(order_id)
            .ok_or_else(|| MexcError::UnknownOrder(order_id.to_owned()))
    }

    fn balance(&self, asset: Asset) -> (Decimal, Decimal) {
        self.balances
            .get(&asset)
            .copied()
            .unwrap_or((Decimal::ZERO, Decimal::ZERO))
    }

    fn adjust(
        &mut self,
        asset: Asset,
        free_change: Decimal,
        locked_change: Decimal,
        change_type: &'static str,
        now_ms: i64,
    ) -> Result<PrivatePush, MexcError> {
        let (free, locked) = self.balance(asset);
        let free = add(free, free_change)?;
        let locked = add(locked, locked_change)?;
        self.balances.insert(asset, (free, locked));
        Ok(PrivatePush::Account(AccountPush {
            asset,
            free,
            free_change,
            locked,
            locked_change,
            change_type,
            time: now_ms,
        }))
    }
}

fn order_push(order: &OrderTruth, last_deal: Option<Quantity>) -> OrderPush {
    OrderPush {
        order_id: order.order_id.clone(),
        symbol: order.symbol,
        side: order.side,
        price: order.price,
        quantity: order.quantity,
        status: order.status,
        cumulative_quantity: order.filled,
        last_deal_quantity: last_deal,
        create_time: order.create_time,
    }
}

fn trade_type(side: Side) -> i32 {
    match side {
        Side::Buy => 1,
        Side::Sell => 2,
    }
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal, MexcError> {
    a.checked_mul(b).ok_or(MexcError::Overflow)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, MexcError> {
    a.checked_add(b).ok_or(MexcError::Overflow)
}

fn neg(value: Decimal) -> Decimal {
    -value
}

/// `privateOrders.orderType` of a limit order.
const LIMIT_ORDER: i32 = 1;
/// Order ids look like the venue's: `C02__` and 18 digits.
const ORDER_ID_BASE: u64 = 505_979_017_439_002_624;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use super::*;

    fn account() -> (Account, SymbolSpec) {
        let spec = SymbolSpec::btcusdt();
        let balances = [
            (spec.quote, Decimal::from(10_000u32)),
            (spec.base, Decimal::from(1u32)),
        ];
        (Account::new(&balances, OrderIdField::Id), spec)
    }

    fn q(text: &str) -> Quantity {
        Quantity::parse(text).unwrap()
    }

    fn p(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    #[test]
    fn buy_lifecycle_moves_balances() {
        let (mut account, spec) = account();
        let (id, pushes) = account
            .place(&spec, Side::Buy, p("100"), q("2"), 1)
            .unwrap();
        assert_eq!(pushes.len(), 2);
        let usdt = account.balance(spec.quote);
        assert_eq!(usdt, (Decimal::from(9_800u32), Decimal::from(200u32)));

        let pushes = account.fill(&spec, &id, q("0.5"), 2).unwrap();
        assert_eq!(pushes.len(), 4);
        assert!(
            matches!(&pushes[1], PrivatePush::Order(o) if o.status == OrderState::PartiallyFilled)
        );
        assert_eq!(
            account.balance(spec.quote),
            (Decimal::from(9_800u32), Decimal::from(150u32))
        );
        assert_eq!(account.balance(spec.base).0, Decimal::parse("1.5").unwrap());

        let pushes = account.cancel(&spec, &id, 3).unwrap();
        assert!(
            matches!(&pushes[0], PrivatePush::Order(o) if o.status == OrderState::PartiallyCanceled)
        );
        assert_eq!(
            account.balance(spec.quote),
            (Decimal::from(9_950u32), Decimal::ZERO)
        );
        assert_eq!(
            account.cancel(&spec, &id, 4),
            Err(MexcError::OrderClosed(id.clone()))
        );
        assert!(account.open_orders(None).is_empty());
    }

    #[test]
    fn order_id_goes_where_configured() {
        let spec = SymbolSpec::btcusdt();
        let cases = [
            (OrderIdField::Id, true, false),
            (OrderIdField::ClientId, false, true),
            (OrderIdField::Both, true, true),
        ];
        for (field, in_id, in_client_id) in cases {
            let mut account = Account::new(&[(spec.quote, Decimal::from(10u32))], field);
            let (order_id, pushes) = account.place(&spec, Side::Buy, p("1"), q("1"), 1).unwrap();
            let wrapper = account.wrapper(&pushes[0], &spec, 2);
            let PushBody::PrivateOrders(body) = wrapper.body else {
                panic!("not an order push");
            };
            assert_eq!(body.id == order_id, in_id, "{field:?}");
            assert_eq!(body.client_id == order_id, in_client_id, "{field:?}");
            assert_eq!((body.status, body.trade_type, body.order_type), (1, 1, 1));
        }
    }

    #[test]
    fn refusals() {
        let (mut account, spec) = account();
        assert!(matches!(
            account.place(&spec, Side::Sell, p("100"), q("2"), 1),
            Err(MexcError::InsufficientBalance { .. })
        ));
        assert_eq!(
            account.place(&spec, Side::Sell, p("100"), q("0"), 1),
            Err(MexcError::InvalidAmount)
        );
        let (id, _) = account
            .place(&spec, Side::Sell, p("100"), q("1"), 1)
            .unwrap();
        assert!(matches!(
            account.fill(&spec, &id, q("1.1"), 2),
            Err(MexcError::Overfill { .. })
        ));
        assert!(account.fill(&spec, &id, q("1"), 2).is_ok());
        assert_eq!(
            account.fill(&spec, &id, q("1"), 3),
            Err(MexcError::OrderClosed(id))
        );
        assert_eq!(
            account.fill(&spec, "nope", q("1"), 3),
            Err(MexcError::UnknownOrder("nope".to_owned()))
        );
    }
}
