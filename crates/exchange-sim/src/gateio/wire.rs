//! Gate v4 messages as the venue writes them, field for field as in the fixtures
//! (`shared/fixtures/gateio_*.json`).
//!
//! Public pushes are hot (every step of every book), so they are typed structs serialized
//! once per view and shared by every connection. Control replies and private pushes are
//! rare and built with `serde_json::json!`.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use market_types::{Decimal, Side};
use serde::ser::{Serialize, Serializer};
use serde::{Deserialize, Serialize as SerializeDerive};
use serde_json::{Value, json};

use super::account::{FinishAs, OrderEvent, OrderState, PrivateRecord, UserTrade, split_pair};
use super::book::{Depth, GenTrade, Grid, LevelChanges};
use super::config::{Market, SizeFormat};

/// The venue clock at one instant, in the units Gate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Now {
    pub(crate) secs: i64,
    pub(crate) ms: i64,
    pub(crate) us: i64,
}

impl Now {
    pub(crate) fn read() -> Self {
        let us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        Self::from_micros(us)
    }

    /// The instant `ms` milliseconds after the epoch.
    pub(crate) fn from_millis(ms: i64) -> Self {
        Self::from_micros(ms.saturating_mul(1_000))
    }

    pub(crate) fn from_micros(us: i64) -> Self {
        Self {
            secs: us / 1_000_000,
            ms: us / 1_000,
            us,
        }
    }

    /// Spot's `create_time_ms`: milliseconds as a string with a fractional part.
    fn ms_text(self) -> String {
        format!("{}.{:03}", self.ms, self.us % 1_000)
    }
}

/// A client request (spec §3.1). Unknown members are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct Request {
    pub(crate) time: Option<i64>,
    pub(crate) id: Option<Value>,
    pub(crate) channel: String,
    #[serde(default)]
    pub(crate) event: String,
    pub(crate) payload: Option<Value>,
    pub(crate) auth: Option<Auth>,
}

/// The `auth` member of a private subscription.
#[derive(Debug, Deserialize)]
pub(crate) struct Auth {
    #[serde(default)]
    pub(crate) method: String,
    #[serde(rename = "KEY")]
    pub(crate) key: String,
    #[serde(rename = "SIGN")]
    pub(crate) sign: String,
}

/// A futures size as the configured format wants it: a JSON integer (truncated toward zero,
/// as Gate does without the decimal header) or a decimal string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireSize(pub(crate) Decimal, pub(crate) SizeFormat);

impl Serialize for WireSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.1 {
            SizeFormat::Integer => serializer.serialize_i64(truncate(self.0)),
            SizeFormat::DecimalString => serializer.collect_str(&self.0),
        }
    }
}

impl WireSize {
    pub(crate) fn json(self) -> Value {
        match self.1 {
            SizeFormat::Integer => json!(truncate(self.0)),
            SizeFormat::DecimalString => json!(self.0.to_string()),
        }
    }
}

fn truncate(value: Decimal) -> i64 {
    let divisor = 10_i64.checked_pow(u32::from(value.scale())).unwrap_or(1);
    value.mantissa() / divisor
}

/// `{"time","time_ms","channel","event":"update","result"}` around any result.
#[derive(SerializeDerive)]
struct Push<'a, T> {
    time: i64,
    time_ms: i64,
    channel: &'a str,
    event: &'a str,
    result: T,
}

fn encode<T: Serialize>(now: Now, channel: &str, result: T) -> Bytes {
    let push = Push {
        time: now.secs,
        time_ms: now.ms,
        channel,
        event: "update",
        result,
    };
    serde_json::to_vec(&push).map_or_else(|_| Bytes::new(), Bytes::from)
}

/// One view of one book step: what a stream of level `level` gets.
#[derive(Debug)]
pub(crate) struct BookPush<'a> {
    pub(crate) symbol: &'a str,
    pub(crate) level: u16,
    pub(crate) first_id: u64,
    pub(crate) last_id: u64,
    /// `Some(true)` for a full push (the changes are then the whole view).
    pub(crate) full: Option<bool>,
    pub(crate) bids: &'a LevelChanges,
    pub(crate) asks: &'a LevelChanges,
}

#[derive(SerializeDerive)]
struct SpotBookUpdate<'a> {
    t: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    full: Option<bool>,
    l: String,
    e: &'static str,
    #[serde(rename = "E")]
    event_secs: i64,
    s: &'a str,
    #[serde(rename = "U")]
    first: u64,
    u: u64,
    b: Vec<[String; 2]>,
    a: Vec<[String; 2]>,
}

#[derive(SerializeDerive)]
struct FuturesBookUpdate<'a> {
    t: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    full: Option<bool>,
    s: &'a str,
    #[serde(rename = "U")]
    first: u64,
    u: u64,
    b: Vec<FuturesLevel>,
    a: Vec<FuturesLevel>,
    l: String,
}

/// `{"p":"<price>","s":<size>}`.
#[derive(SerializeDerive)]
pub(crate) struct FuturesLevel {
    p: String,
    s: WireSize,
}

/// `spot.order_book_update` / `futures.order_book_update` (spec §3.4, §4.3).
pub(crate) fn book_update(
    market: Market,
    grid: Grid,
    sizes: SizeFormat,
    push: &BookPush<'_>,
    now: Now,
) -> Bytes {
    match market {
        Market::Spot => {
            let pairs = |changes: &LevelChanges| {
                changes
                    .iter()
                    .map(|&(t, l)| [grid.price(t).to_string(), grid.size(l).to_string()])
                    .collect()
            };
            let result = SpotBookUpdate {
                t: now.ms,
                full: push.full,
                l: push.level.to_string(),
                e: "depthUpdate",
                event_secs: now.secs,
                s: push.symbol,
                first: push.first_id,
                u: push.last_id,
                b: pairs(push.bids),
                a: pairs(push.asks),
            };
            encode(now, "spot.order_book_update", result)
        }
        Market::Futures => {
            let result = FuturesBookUpdate {
                t: now.ms,
                full: push.full,
                s: push.symbol,
                first: push.first_id,
                u: push.last_id,
                b: futures_levels(grid, sizes, push.bids),
                a: futures_levels(grid, sizes, push.asks),
                l: push.level.to_string(),
            };
            encode(now, "futures.order_book_update", result)
        }
    }
}

pub(crate) fn futures_levels(
    grid: Grid,
    sizes: SizeFormat,
    levels: &[(i64, i64)],
) -> Vec<FuturesLevel> {
    levels
        .iter()
        .map(|&(t, l)| FuturesLevel {
            p: grid.price(t).to_string(),
            s: WireSize(grid.size(l), sizes),
        })
        .collect()
}

#[derive(SerializeDerive)]
struct SpotBookTicker<'a> {
    t: i64,
    u: u64,
    s: &'a str,
    b: String,
    #[serde(rename = "B")]
    bid_size: String,
    a: String,
    #[serde(rename = "A")]
    ask_size: String,
}

#[derive(SerializeDerive)]
struct FuturesBookTicker<'a> {
    t: i64,
    u: u64,
    s: &'a str,
    b: String,
    #[serde(rename = "B")]
    bid_size: WireSize,
    a: String,
    #[serde(rename = "A")]
    ask_size: WireSize,
}

/// `*.book_ticker`: the best levels after update `u`. An empty side is `""` and size 0.
pub(crate) fn book_ticker(
    market: Market,
    grid: Grid,
    sizes: SizeFormat,
    symbol: &str,
    depth: &Depth,
    now: Now,
) -> Bytes {
    let best = |side| {
        depth
            .best(side)
            .map_or((String::new(), Decimal::ZERO), |(t, l)| {
                (grid.price(t).to_string(), grid.size(l))
            })
    };
    let ((b, bid_size), (a, ask_size)) = (best(Side::Buy), best(Side::Sell));
    match market {
        Market::Spot => encode(
            now,
            "spot.book_ticker",
            SpotBookTicker {
                t: now.ms,
                u: depth.update_id,
                s: symbol,
                b,
                bid_size: bid_size.to_string(),
                a,
                ask_size: ask_size.to_string(),
            },
        ),
        Market::Futures => encode(
            now,
            "futures.book_ticker",
            FuturesBookTicker {
                t: now.ms,
                u: depth.update_id,
                s: symbol,
                b,
                bid_size: WireSize(bid_size, sizes),
                a,
                ask_size: WireSize(ask_size, sizes),
            },
        ),
    }
}

#[derive(SerializeDerive)]
struct SpotTrade<'a> {
    id: u64,
    id_market: u64,
    create_time: i64,
    create_time_ms: String,
    side: &'static str,
    currency_pair: &'a str,
    amount: String,
    price: String,
    range: String,
}

#[derive(SerializeDerive)]
struct FuturesTrade<'a> {
    size: WireSize,
    id: u64,
    create_time: i64,
    create_time_ms: i64,
    price: String,
    contract: &'a str,
}

/// A generated public trade with its ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumberedTrade {
    pub(crate) id: u64,
    pub(crate) id_market: u64,
    pub(crate) trade: GenTrade,
}

/// `spot.trades`: one push per trade (`result` is an object).
pub(crate) fn spot_trade(grid: Grid, symbol: &str, trade: &NumberedTrade, now: Now) -> Bytes {
    encode(
        now,
        "spot.trades",
        SpotTrade {
            id: trade.id,
            id_market: trade.id_market,
            create_time: now.secs,
            create_time_ms: now.ms_text(),
            side: trade.trade.taker.as_str(),
            currency_pair: symbol,
            amount: grid.size(trade.trade.lots).to_string(),
            price: grid.price(trade.trade.ticks).to_string(),
            range: format!("{0}-{0}", trade.id_market),
        },
    )
}

/// `futures.trades`: one push for a step's trades (`result` is an array); the size is
/// signed by the taker's side.
pub(crate) fn futures_trades(
    grid: Grid,
    sizes: SizeFormat,
    contract: &str,
    trades: &[NumberedTrade],
    now: Now,
) -> Bytes {
    let result: Vec<FuturesTrade<'_>> = trades
        .iter()
        .map(|trade| {
            let size = grid.size(trade.trade.lots);
            FuturesTrade {
                size: WireSize(signed(size, trade.trade.taker), sizes),
                id: trade.id,
                create_time: now.secs,
                create_time_ms: now.ms,
                price: grid.price(trade.trade.ticks).to_string(),
                contract,
            }
        })
        .collect();
    encode(now, "futures.trades", result)
}

/// What a ticker push reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickerStats {
    pub(crate) last: Decimal,
    pub(crate) open: Decimal,
    pub(crate) high: Decimal,
    pub(crate) low: Decimal,
    pub(crate) base_volume: Decimal,
    pub(crate) quote_volume: Decimal,
    pub(crate) best_bid: Decimal,
    pub(crate) best_ask: Decimal,
}

impl TickerStats {
    fn change_percentage(&self) -> String {
        let open = self.open.to_f64();
        if open == 0.0 {
            return "0".to_owned();
        }
        format!("{:.4}", (self.last.to_f64() - open) / open * 100.0)
    }
}

/// `spot.tickers` (object) / `futures.tickers` (array of one).
pub(crate) fn ticker(market: Market, symbol: &str, stats: &TickerStats, now: Now) -> Bytes {
    let text = |d: Decimal| d.to_string();
    match market {
        Market::Spot => encode(
            now,
            "spot.tickers",
            json!({
                "currency_pair": symbol,
                "last": text(stats.last),
                "lowest_ask": text(stats.best_ask),
                "highest_bid": text(stats.best_bid),
                "change_percentage": stats.change_percentage(),
                "base_volume": text(stats.base_volume),
                "quote_volume": text(stats.quote_volume),
                "high_24h": text(stats.high),
                "low_24h": text(stats.low),
            }),
        ),
        Market::Futures => encode(
            now,
            "futures.tickers",
            [json!({
                "contract": symbol,
                "last": text(stats.last),
                "change_percentage": stats.change_percentage(),
                "funding_rate": "0.0001",
                "funding_rate_indicative": "0.0001",
                "mark_price": text(stats.last),
                "index_price": text(stats.last),
                "total_size": "0",
                "volume_24h": text(stats.base_volume),
                "volume_24h_btc": "0",
                "volume_24h_usd": text(stats.quote_volume),
                "quanto_base_rate": "",
                "volume_24h_quote": text(stats.quote_volume),
                "volume_24h_settle": text(stats.quote_volume),
                "volume_24h_base": text(stats.base_volume),
                "low_24h": text(stats.low),
                "high_24h": text(stats.high),
            })],
        ),
    }
}

/// Identity strings a connection puts in acks and API replies.
#[derive(Debug, Clone)]
pub(crate) struct ConnIdentity {
    pub(crate) conn_id: String,
    pub(crate) trace_id: String,
}

/// A subscribe/unsubscribe ack, successful or failed (spec §3.1; fixtures
/// `gateio_spot_obu_subscribe_ack.json`, `gateio_error.json`).
pub(crate) fn ack(
    now: Now,
    who: &ConnIdentity,
    request: &Request,
    error: Option<(u8, &str)>,
) -> Bytes {
    let mut reply = json!({
        "time": now.secs,
        "time_ms": now.ms,
        "conn_id": who.conn_id,
        "trace_id": who.trace_id,
        "channel": request.channel,
        "event": request.event,
    });
    if let Some(map) = reply.as_object_mut() {
        if let Some(id) = &request.id {
            map.insert("id".to_owned(), id.clone());
        }
        if let Some(payload) = &request.payload {
            map.insert("payload".to_owned(), payload.clone());
        }
        let status = match error {
            Some((code, message)) => {
                map.insert(
                    "error".to_owned(),
                    json!({"code": code, "message": message}),
                );
                "fail"
            }
            None => "success",
        };
        map.insert("result".to_owned(), json!({"status": status}));
    }
    to_bytes(&reply)
}

/// A reply to a request that could not even be read (error code 1).
pub(crate) fn bad_request(now: Now, who: &ConnIdentity) -> Bytes {
    to_bytes(&json!({
        "time": now.secs,
        "time_ms": now.ms,
        "conn_id": who.conn_id,
        "trace_id": who.trace_id,
        "channel": "",
        "event": "",
        "error": {"code": 1, "message": "invalid request body format"},
        "result": {"status": "fail"},
    }))
}

/// The answer to `spot.ping` / `futures.ping`, exactly as the fixtures
/// (`gateio_spot_pong.json`, `gateio_futures_pong.json`), plus the request id if given.
pub(crate) fn pong(market: Market, now: Now, id: Option<&Value>) -> Bytes {
    let mut reply = match market {
        Market::Spot => json!({
            "time": now.secs,
            "time_ms": now.ms,
            "channel": "spot.pong",
            "event": "",
            "error": null,
            "result": null,
        }),
        Market::Futures => json!({
            "time": now.secs,
            "time_ms": now.ms,
            "channel": "futures.pong",
            "event": "",
            "result": null,
        }),
    };
    if let (Some(map), Some(id)) = (reply.as_object_mut(), id) {
        map.insert("id".to_owned(), id.clone());
    }
    to_bytes(&reply)
}

/// A WebSocket API reply (`event: "api"`, spec §3.8): `Ok(result)` → status 200 with
/// `data.result`, `Err((status, label, message))` → `data.errs`.
pub(crate) fn api_reply(
    now: Now,
    who: &ConnIdentity,
    channel: &str,
    request_id: &str,
    outcome: Result<Value, (u16, &str, &str)>,
) -> Bytes {
    let (status, data) = match outcome {
        Ok(result) => (200, json!({ "result": result })),
        Err((status, label, message)) => (
            status,
            json!({ "errs": { "label": label, "message": message } }),
        ),
    };
    to_bytes(&json!({
        "request_id": request_id,
        "header": {
            "response_time": now.ms.to_string(),
            "status": status.to_string(),
            "channel": channel,
            "event": "api",
            "clientId": "",
            "x_in_time": now.us,
            "x_out_time": now.us,
            "conn_id": who.conn_id,
            "conn_trace_id": who.trace_id,
            "trace_id": who.trace_id,
        },
        "data": data,
    }))
}

/// One private push: `result` is an array of one element (spec §3.7, §4.4). `order` is
/// the order's state after the event, for order records.
pub(crate) fn private_push(
    record: &PrivateRecord,
    user_id: u64,
    sizes: SizeFormat,
    order: Option<&OrderState>,
    now: Now,
) -> Bytes {
    let element = private_element(record, user_id, sizes, order, now);
    encode(now, record.channel(), [element])
}

fn private_element(
    record: &PrivateRecord,
    user_id: u64,
    sizes: SizeFormat,
    order: Option<&OrderState>,
    now: Now,
) -> Value {
    match record {
        PrivateRecord::Order { market, event, .. } => {
            let Some(order) = order else {
                return Value::Null;
            };
            match market {
                Market::Spot => spot_order_push(order, *event, user_id),
                Market::Futures => futures_order(order, *event, user_id, sizes),
            }
        }
        PrivateRecord::Trade {
            market: Market::Spot,
            trade_id,
            order_id,
            symbol,
            side,
            price,
            amount,
            fee,
        } => json!({
            "id": trade_id,
            "user_id": user_id,
            "order_id": order_id.to_string(),
            "currency_pair": symbol,
            "create_time": now.secs,
            "create_time_ms": now.ms_text(),
            "side": side.as_str(),
            "amount": amount.to_string(),
            "role": "maker",
            "price": price.to_string(),
            "fee": fee.to_string(),
            "fee_currency": split_pair(symbol).1,
            "point_fee": "0",
            "gt_fee": "0",
            "text": format!("t-sim{order_id}"),
            "id_market": trade_id,
        }),
        PrivateRecord::Trade {
            market: Market::Futures,
            trade_id,
            order_id,
            symbol,
            side,
            price,
            amount,
            fee,
        } => json!({
            "id": trade_id.to_string(),
            "create_time": now.secs,
            "create_time_ms": now.ms,
            "contract": symbol,
            "order_id": order_id.to_string(),
            "size": WireSize(signed(*amount, *side), sizes).json(),
            "price": price.to_string(),
            "role": "maker",
            "text": format!("t-sim{order_id}"),
            "fee": fee.to_f64(),
            "point_fee": 0,
        }),
        PrivateRecord::Balance {
            market: Market::Spot,
            currency,
            change,
            total,
            available,
            locked,
            locked_change,
            reason,
        } => json!({
            "timestamp": now.secs.to_string(),
            "timestamp_ms": now.ms.to_string(),
            "user": user_id.to_string(),
            "currency": currency,
            "change": change.to_string(),
            "total": total.to_string(),
            "available": available.to_string(),
            "freeze": locked.to_string(),
            "freeze_change": locked_change.to_string(),
            "change_type": reason,
        }),
        PrivateRecord::Balance {
            market: Market::Futures,
            currency,
            change,
            total,
            reason,
            ..
        } => json!({
            "balance": total.to_f64(),
            "change": change.to_f64(),
            "text": "-",
            "time": now.secs,
            "time_ms": now.ms,
            "type": reason,
            "user": user_id.to_string(),
            "currency": currency,
        }),
        PrivateRecord::Position {
            contract,
            size,
            entry_price,
            update_id,
        } => json!({
            "contract": contract,
            "cross_leverage_limit": 0,
            "entry_price": entry_price,
            "history_pnl": 0,
            "history_point": 0,
            "last_close_pnl": 0,
            "leverage": 0,
            "leverage_max": 100,
            "liq_price": 0,
            "maintenance_rate": 0.005,
            "margin": 0,
            "mode": "single",
            "realised_pnl": 0,
            "realised_point": 0,
            "risk_limit": 1_000_000,
            "size": WireSize(*size, sizes).json(),
            "time": now.secs,
            "time_ms": now.ms,
            "user": user_id.to_string(),
            "update_id": update_id,
        }),
    }
}

fn spot_order_push(order: &OrderState, event: OrderEvent, user_id: u64) -> Value {
    let event = match event {
        OrderEvent::Put => "put",
        OrderEvent::Update => "update",
        OrderEvent::Finish => "finish",
    };
    let filled_total = order
        .price
        .checked_mul(order.filled)
        .unwrap_or(Decimal::ZERO);
    json!({
        "id": order.id.to_string(),
        "text": order.text,
        "create_time": (order.create_time_ms / 1000).to_string(),
        "update_time": (order.update_time_ms / 1000).to_string(),
        "currency_pair": order.symbol,
        "type": "limit",
        "account": "spot",
        "side": order.side.as_str(),
        "amount": order.amount.to_string(),
        "price": order.price.to_string(),
        "time_in_force": "gtc",
        "left": order.left().to_string(),
        "filled_total": filled_total.to_string(),
        "filled_amount": order.filled.to_string(),
        "avg_deal_price": if order.filled.is_zero() { "0".to_owned() } else { order.price.to_string() },
        "fee": "0",
        "fee_currency": split_pair(&order.symbol).1,
        "point_fee": "0",
        "gt_fee": "0",
        "rebated_fee": "0",
        "rebated_fee_currency": split_pair(&order.symbol).1,
        "create_time_ms": order.create_time_ms.to_string(),
        "update_time_ms": order.update_time_ms.to_string(),
        "user": user_id,
        "event": event,
        "stp_id": 0,
        "stp_act": "-",
        "finish_as": order.finish_as.as_str(),
        "biz_info": "-",
        "amend_text": "-",
    })
}

/// A futures order as `futures.orders` pushes it; `event` decides the interim `finish_as`.
fn futures_order(order: &OrderState, event: OrderEvent, user_id: u64, sizes: SizeFormat) -> Value {
    let (status, finish_as) = match (order.finish_as, event) {
        (FinishAs::Open, OrderEvent::Put) => ("open", "_new"),
        (FinishAs::Open, _) => ("open", "_update"),
        (finished, _) => ("finished", finished.as_str()),
    };
    let finished = order.finish_as != FinishAs::Open;
    let finish_ms = if finished { order.update_time_ms } else { 0 };
    json!({
        "contract": order.symbol,
        "create_time": order.create_time_ms / 1000,
        "create_time_ms": order.create_time_ms,
        "fill_price": if order.filled.is_zero() { 0.0 } else { order.price.to_f64() },
        "finish_as": finish_as,
        "finish_time": finish_ms / 1000,
        "finish_time_ms": finish_ms,
        "iceberg": 0,
        "id": order.id.0,
        "is_close": false,
        "is_liq": false,
        "is_reduce_only": false,
        "left": WireSize(signed(order.left(), order.side), sizes).json(),
        "mkfr": 0.0002,
        "price": order.price.to_f64(),
        "refr": 0,
        "refu": 0,
        "size": WireSize(signed(order.amount, order.side), sizes).json(),
        "status": status,
        "text": order.text,
        "tif": "gtc",
        "tkfr": 0.0005,
        "user": user_id.to_string(),
        "update_id": order.update_id,
        "update_time": order.update_time_ms,
        "stop_loss_price": "",
        "stop_profit_price": "",
    })
}

/// A spot order as REST returns it (fixture `gateio_ws_api_order_place_result.json`).
pub(crate) fn spot_order_rest(order: &OrderState) -> Value {
    let filled_total = order
        .price
        .checked_mul(order.filled)
        .unwrap_or(Decimal::ZERO);
    json!({
        "id": order.id.to_string(),
        "text": order.text,
        "amend_text": "-",
        "create_time": (order.create_time_ms / 1000).to_string(),
        "update_time": (order.update_time_ms / 1000).to_string(),
        "create_time_ms": order.create_time_ms,
        "update_time_ms": order.update_time_ms,
        "status": if order.is_open() { "open" } else if order.finish_as == FinishAs::Filled { "closed" } else { "cancelled" },
        "currency_pair": order.symbol,
        "type": "limit",
        "account": "spot",
        "side": order.side.as_str(),
        "amount": order.amount.to_string(),
        "price": order.price.to_string(),
        "time_in_force": "gtc",
        "iceberg": "0",
        "left": order.left().to_string(),
        "filled_amount": order.filled.to_string(),
        "fill_price": filled_total.to_string(),
        "filled_total": filled_total.to_string(),
        "avg_deal_price": if order.filled.is_zero() { "0".to_owned() } else { order.price.to_string() },
        "fee": "0",
        "fee_currency": split_pair(&order.symbol).1,
        "point_fee": "0",
        "gt_fee": "0",
        "gt_discount": false,
        "rebated_fee": "0",
        "rebated_fee_currency": split_pair(&order.symbol).1,
        "stp_id": 0,
        "stp_act": "-",
        "finish_as": order.finish_as.as_str(),
    })
}

/// One of the user's spot trades as `GET /spot/my_trades` lists it (G3 `Trade`): the same
/// id, order and time as its `spot.usertrades` push, all strings.
///
/// ```json
/// {"id":"300000005","create_time":"1700000000","create_time_ms":"1700000000123.000",
///  "currency_pair":"BTC_USDT","side":"buy","role":"maker","amount":"0.5","price":"100",
///  "order_id":"700000001","fee":"0","fee_currency":"USDT","point_fee":"0","gt_fee":"0",
///  "text":"t-sim700000001"}
/// ```
pub(crate) fn spot_trade_rest(trade: &UserTrade) -> Value {
    let at = Now::from_millis(trade.time_ms);
    json!({
        "id": trade.trade_id.to_string(),
        "create_time": at.secs.to_string(),
        "create_time_ms": at.ms_text(),
        "currency_pair": trade.symbol,
        "side": trade.side.as_str(),
        "role": "maker",
        "amount": trade.amount.to_string(),
        "price": trade.price.to_string(),
        "order_id": trade.order_id.to_string(),
        "fee": trade.fee.to_string(),
        "fee_currency": split_pair(&trade.symbol).1,
        "point_fee": "0",
        "gt_fee": "0",
        "text": trade.text,
    })
}

/// One of the user's futures trades as `GET /futures/usdt/my_trades_timerange` lists it
/// (G3 `MyFuturesTradeTimeRange`: the fill id is `trade_id`, a string; `create_time` is
/// float seconds; `size` and `close_size` signed, per the size format; `fee` and
/// `point_fee` strings).
///
/// ```json
/// {"trade_id":"300000007","create_time":1700000000.123,"contract":"BTC_USDT",
///  "order_id":"700000002","size":-4,"close_size":0,"price":"120","role":"maker",
///  "text":"t-sim700000002","fee":"0.096","point_fee":"0"}
/// ```
pub(crate) fn futures_trade_rest(trade: &UserTrade, sizes: SizeFormat) -> Value {
    json!({
        "trade_id": trade.trade_id.to_string(),
        "create_time": trade.time_ms as f64 / 1000.0,
        "contract": trade.symbol,
        "order_id": trade.order_id.to_string(),
        "size": WireSize(signed(trade.amount, trade.side), sizes).json(),
        "close_size": WireSize(trade.close_size, sizes).json(),
        "price": trade.price.to_string(),
        "role": "maker",
        "text": trade.text,
        "fee": trade.fee.to_string(),
        "point_fee": "0",
    })
}

/// A futures order as REST returns it: prices as strings, sizes per the format.
pub(crate) fn futures_order_rest(order: &OrderState, user_id: u64, sizes: SizeFormat) -> Value {
    let finished = !order.is_open();
    json!({
        "id": order.id.0,
        "user": user_id,
        "contract": order.symbol,
        "create_time": order.create_time_ms as f64 / 1000.0,
        "finish_time": if finished { Value::from(order.update_time_ms as f64 / 1000.0) } else { Value::Null },
        "finish_as": if finished { Value::from(order.finish_as.as_str()) } else { Value::Null },
        "status": if finished { "finished" } else { "open" },
        "size": WireSize(signed(order.amount, order.side), sizes).json(),
        "iceberg": 0,
        "price": order.price.to_string(),
        "close": false,
        "is_close": false,
        "reduce_only": false,
        "is_reduce_only": false,
        "is_liq": false,
        "tif": "gtc",
        "left": WireSize(signed(order.left(), order.side), sizes).json(),
        "fill_price": if order.filled.is_zero() { "0".to_owned() } else { order.price.to_string() },
        "text": order.text,
        "tkfr": "0.0005",
        "mkfr": "0.0002",
        "refu": 0,
        "update_id": order.update_id,
    })
}

pub(crate) fn to_bytes(value: &Value) -> Bytes {
    serde_json::to_vec(value).map_or_else(|_| Bytes::new(), Bytes::from)
}

/// `size` with the sign of `side` (futures: positive buys, negative sells).
pub(crate) fn signed(size: Decimal, side: Side) -> Decimal {
    match side {
        Side::Buy => size,
        Side::Sell => size.neg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_format() {
        let size = Decimal::parse("-12.5").unwrap_or_default();
        let text = |format| serde_json::to_string(&WireSize(size, format)).unwrap_or_default();
        assert_eq!(text(SizeFormat::Integer), "-12");
        assert_eq!(text(SizeFormat::DecimalString), "\"-12.5\"");
    }

    #[test]
    fn spot_update_has_the_fixture_fields_in_order() {
        let grid = Grid {
            price_scale: 2,
            size_scale: 4,
        };
        let bids = vec![(1_913_774, 1)];
        let asks = vec![(1_913_775, 0)];
        let push = BookPush {
            symbol: "BTC_USDT",
            level: 100,
            first_id: 48_776_301,
            last_id: 48_776_306,
            full: None,
            bids: &bids,
            asks: &asks,
        };
        let now = Now::from_micros(1_606_294_781_123_456);
        let bytes = book_update(Market::Spot, grid, SizeFormat::Integer, &push, now);
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap_or_default(),
            r#"{"time":1606294781,"time_ms":1606294781123,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,"l":"100","e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[["19137.75","0"]]}}"#
        );
    }
}
