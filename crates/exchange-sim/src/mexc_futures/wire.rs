//! JSON frames of the contract WebSocket, written by hand so numbers come out exactly
//! as the venue's (`6866.5`, not `"6866.5"` nor `6866.50`). Pure functions: the time
//! comes in as an argument.

use std::fmt::Write as _;
use std::io::Write as _;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use market_types::Decimal;
use serde_json::{Value, json};

use crate::mexc::book::{PublicTrade, fixed};
use crate::mexc_futures::account::{FuturesAsset, FuturesPrivate};

/// A number in `10^-scale` units as the venue writes it: no trailing zeros.
pub(crate) fn number(units: i64, scale: u8) -> String {
    let text = fixed(units, scale);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// The order count the venue gives a level (any small positive number; 0 for a removal).
fn order_count(price: i64, vol: i64) -> i64 {
    if vol == 0 {
        0
    } else {
        1 + (price ^ vol).rem_euclid(4)
    }
}

fn levels(out: &mut String, levels: &[(i64, i64)], scale: u8) {
    out.push('[');
    for (index, &(price, vol)) in levels.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "[{},{vol},{}]",
            number(price, scale),
            order_count(price, vol)
        );
    }
    out.push(']');
}

/// `{"asks":[…],"bids":[…],"version":V}` (the REST snapshot adds `timestamp`).
pub(crate) fn depth_data(
    asks: &[(i64, i64)],
    bids: &[(i64, i64)],
    version: u64,
    scale: u8,
) -> String {
    let mut out = String::with_capacity(64 + 24 * (asks.len() + bids.len()));
    out.push_str("{\"asks\":");
    levels(&mut out, asks, scale);
    out.push_str(",\"bids\":");
    levels(&mut out, bids, scale);
    let _ = write!(out, ",\"version\":{version}}}");
    out
}

/// A public push: `{"channel":C,"data":D,"symbol":S,"ts":T}`.
pub(crate) fn push(channel: &str, data: &str, symbol: &str, ts: i64) -> Bytes {
    Bytes::from(format!(
        "{{\"channel\":\"{channel}\",\"data\":{data},\"symbol\":\"{symbol}\",\"ts\":{ts}}}"
    ))
}

/// One deal object: `p`, `v`, `T` (1 buy, 2 sell taker), `O`, `M`, `t`.
pub(crate) fn deal(trade: &PublicTrade, scale: u8, ts: i64) -> String {
    let taker = match trade.taker {
        market_types::Side::Buy => 1,
        market_types::Side::Sell => 2,
    };
    format!(
        "{{\"M\":1,\"O\":{},\"T\":{taker},\"p\":{},\"t\":{ts},\"v\":{}}}",
        1 + trade.trade_id % 3,
        number(trade.price, scale),
        trade.quantity
    )
}

/// What a ticker push reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticker {
    pub(crate) contract_id: u32,
    pub(crate) last: i64,
    pub(crate) bid: i64,
    pub(crate) ask: i64,
    pub(crate) high: i64,
    pub(crate) low: i64,
    pub(crate) volume24: u64,
    pub(crate) hold_vol: u64,
}

/// The ticker's `data`: fair price is the mid, index price a tick under it.
pub(crate) fn ticker_data(t: &Ticker, symbol: &str, scale: u8, ts: i64) -> String {
    let mid = (t.bid + t.ask) / 2;
    let n = |units| number(units, scale);
    format!(
        "{{\"ask1\":{},\"bid1\":{},\"contractId\":{},\"fairPrice\":{},\"fundingRate\":0.0001,\"high24Price\":{},\"indexPrice\":{},\"lastPrice\":{},\"lower24Price\":{},\"maxBidPrice\":{},\"minAskPrice\":{},\"riseFallRate\":0,\"riseFallValue\":0,\"symbol\":\"{symbol}\",\"timestamp\":{ts},\"holdVol\":{},\"volume24\":{}}}",
        n(t.ask),
        n(t.bid),
        t.contract_id,
        n(mid),
        n(t.high),
        n(mid - 1),
        n(t.last),
        n(t.low),
        n(t.ask + t.ask / 32),
        n(t.bid - t.bid / 32),
        t.hold_vol,
        t.volume24
    )
}

/// A reply on an `rs.*` channel; `ts` is a string, as in the docs' examples.
pub(crate) fn reply(channel: &str, data: &str, ts: i64) -> Bytes {
    let value = json!({ "channel": channel, "data": data, "ts": ts.to_string() });
    Bytes::from(value.to_string())
}

/// `{"channel":"pong","data":ms}`.
pub(crate) fn pong(ts: i64) -> Bytes {
    Bytes::from(format!("{{\"channel\":\"pong\",\"data\":{ts}}}"))
}

/// A private push, fields as in the docs' examples.
pub(crate) fn private(push: &FuturesPrivate, ts: i64) -> Bytes {
    let data = match push {
        FuturesPrivate::Order(o) => {
            let avg = if o.deal_vol > 0 {
                o.price()
            } else {
                Decimal::ZERO
            };
            json!({
                "category": 1, "createTime": o.create_time, "dealAvgPrice": num(avg),
                "dealVol": o.deal_vol, "errorCode": 0, "externalOid": format!("_m_{}", o.order_id),
                "feeCurrency": "USDT", "leverage": 1, "makerFee": 0, "openType": 1,
                "orderId": o.order_id, "orderMargin": 0, "orderType": 1, "positionId": 0,
                "price": num(o.price()), "profit": 0, "remainVol": o.remain_vol(),
                "side": o.side.code(), "state": o.state.code(), "symbol": o.symbol.as_str(),
                "takerFee": 0, "updateTime": o.update_time, "usedMargin": 0,
                "version": o.version, "vol": o.vol,
            })
        }
        FuturesPrivate::Deal(d) => json!({
            "category": 1, "fee": 0, "feeCurrency": "USDT", "id": d.id.to_string(),
            "isSelf": false, "orderId": d.order_id, "positionMode": 1, "price": num(d.price()),
            "profit": 0, "side": d.side.code(), "symbol": d.symbol.as_str(), "taker": true,
            "timestamp": d.timestamp, "vol": d.vol,
        }),
        FuturesPrivate::Position(p) => json!({
            "autoAddIm": false, "closeAvgPrice": 0, "closeVol": 0, "frozenVol": 0,
            "holdAvgPrice": num(p.open_avg_price()), "holdFee": 0, "holdVol": p.hold_vol,
            "im": num(p.margin), "leverage": 1, "liquidatePrice": 0, "oim": num(p.margin),
            "openAvgPrice": num(p.open_avg_price()), "openType": 1, "positionId": p.position_id,
            "positionType": p.position_type.code(), "realised": num(p.realised),
            "state": p.state(), "symbol": p.symbol.as_str(), "updateTime": p.update_time,
        }),
        FuturesPrivate::Asset(a) => asset(a),
    };
    let value = json!({ "channel": push.kind().channel(), "data": data, "ts": ts });
    Bytes::from(value.to_string())
}

/// The asset object (push data and REST item).
pub(crate) fn asset(a: &FuturesAsset) -> Value {
    let equity = a
        .available
        .checked_add(a.frozen)
        .and_then(|x| x.checked_add(a.position_margin))
        .unwrap_or_default();
    json!({
        "availableBalance": num(a.available), "bonus": 0, "currency": "USDT",
        "frozenBalance": num(a.frozen), "positionMargin": num(a.position_margin),
        "equity": num(equity), "cashBalance": num(a.available), "unrealized": 0,
    })
}

/// A decimal as a JSON number (the nearest double, printed shortest).
pub(crate) fn num(value: Decimal) -> Value {
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::from(0), Value::Number)
}

/// Gzip of a frame, for subscriptions that did not opt out.
pub(crate) fn gzip(text: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::with_capacity(text.len() / 2 + 32), Compression::fast());
    // Writing to a Vec cannot fail.
    match encoder.write_all(text).and_then(|()| encoder.finish()) {
        Ok(bytes) => Bytes::from(bytes),
        Err(_) => Bytes::new(),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn numbers_and_depth_match_the_fixture_shape() {
        assert_eq!(number(68_665, 1), "6866.5");
        assert_eq!(number(686_650, 2), "6866.5");
        assert_eq!(number(6_866_000, 3), "6866");
        let data = depth_data(&[(68_595, 3251)], &[], 96_801_927, 1);
        let value: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(value["asks"][0][0], json!(6859.5));
        assert_eq!(value["asks"][0][1], json!(3251));
        assert_eq!(value["version"], json!(96_801_927));
    }

    #[test]
    fn gzip_round_trips() {
        let frame = push("push.depth", "{}", "BTC_USDT", 1);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip(&frame)[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out.as_bytes(), &frame[..]);
    }
}
