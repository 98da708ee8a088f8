//! Helpers shared by the integration tests: fixtures, frame builders, a fake clock.

#![allow(dead_code, reason = "each test crate uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use exchange_mexc::pb;
use market_types::{Price, Quantity, Symbol};
use prost::Message as _;
use ws_core::Timestamp;

/// The MEXC fixtures of `shared/fixtures`, copied into `tests/data`.
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&data(name)).unwrap()
}

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// One entry of `mexc_pb_wire_vectors.json`.
#[derive(Debug, Clone)]
pub struct Vector {
    pub name: String,
    pub body_oneof: String,
    pub wire: Vec<u8>,
    pub proto3_json: serde_json::Value,
}

pub fn vectors() -> Vec<Vector> {
    let file = json("mexc_pb_wire_vectors.json");
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let wire = hex(v["wire_hex"].as_str().unwrap());
            assert_eq!(wire.len() as u64, v["wire_len"].as_u64().unwrap());
            Vector {
                name: v["name"].as_str().unwrap().to_string(),
                body_oneof: v["body_oneof"].as_str().unwrap().to_string(),
                wire,
                proto3_json: v["proto3_json"].clone(),
            }
        })
        .collect()
}

pub fn vector(name: &str) -> Vector {
    vectors()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

pub fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

pub fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// A fake clock: `at(ms)` is `ms` after a fixed origin on both clocks.
pub fn at(ms: u64) -> Timestamp {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    Timestamp::new(origin, 1_778_000_000_000_000_000).advanced(Duration::from_millis(ms))
}

fn items(levels: &[(&str, &str)]) -> Vec<pb::PublicAggreDepthV3ApiItem> {
    levels
        .iter()
        .map(|(price, quantity)| pb::PublicAggreDepthV3ApiItem {
            price: (*price).to_string(),
            quantity: (*quantity).to_string(),
        })
        .collect()
}

/// An `aggre.depth` push for `symbol`, encoded with prost as the simulator would.
pub fn depth_frame(
    symbol: &str,
    from: u64,
    to: u64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> Vec<u8> {
    pb::PushDataV3ApiWrapper {
        channel: format!("spot@public.aggre.depth.v3.api.pb@100ms@{symbol}"),
        symbol: Some(symbol.to_string()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_778_075_380_000 + to as i64),
        body: Some(pb::push_data_v3_api_wrapper::Body::PublicAggreDepths(
            pb::PublicAggreDepthsV3Api {
                asks: items(asks),
                bids: items(bids),
                event_type: "spot@public.aggre.depth.v3.api.pb@100ms".into(),
                from_version: from.to_string(),
                to_version: to.to_string(),
                last_order_create_time: 1_778_075_380_572,
            },
        )),
    }
    .encode_to_vec()
}

/// A REST depth snapshot body.
pub fn snapshot_body(last_update_id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> String {
    let side = |levels: &[(&str, &str)]| {
        levels
            .iter()
            .map(|(p, q)| format!("[\"{p}\",\"{q}\"]"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"lastUpdateId\":{last_update_id},\"bids\":[{}],\"asks\":[{}]}}",
        side(bids),
        side(asks)
    )
}
