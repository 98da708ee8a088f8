//! The MEXC spot v3 push messages the simulator sends, and the small protobuf writer
//! behind them.
//!
//! Field numbers and types follow the venue's schema (`mexcdevelop/websocket-proto`
//! @`7b8ac7a`, tabled in `shared/spec/protocols.md` §1.7; the workspace copy is in
//! `proto/`). Encoding follows proto3 as Google's serializers do: fields in field-number
//! order, non-`optional` scalars equal to their default (`""`, `0`, `false`) left out,
//! `optional` fields written whenever present, one length-delimited record per element
//! of a `repeated` message field. The output is byte-for-byte what
//! `google.protobuf` produces for the same values; `tests/mexc.rs` checks it against
//! every vector of `fixtures/mexc_pb_wire_vectors.json` whose body is encoded here.
//!
//! Only a writer: the simulator never decodes protobuf.

/// One binary frame: `PushDataV3ApiWrapper`.
///
/// Raw sample (§1.7.4, `aggre_book_ticker_2026doc`): `0a 34 "spot@public.aggre.bookTicker…"`
/// `1a 07 "BTCUSDT"` `30 c8f6b4ecdf33` `da 13 16 …` (channel, symbol, sendTime, body 315).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushDataWrapper {
    /// Field 1: the full channel string, symbol included.
    pub channel: String,
    /// Field 3 (`optional`).
    pub symbol: Option<String>,
    /// Field 4 (`optional`): the venue's internal pair id, a hex string.
    pub symbol_id: Option<String>,
    /// Field 5 (`optional`): creation time, ms.
    pub create_time: Option<i64>,
    /// Field 6 (`optional`): push time, ms.
    pub send_time: Option<i64>,
    /// The `body` oneof (fields 301–315).
    pub body: PushBody,
}

impl PushDataWrapper {
    /// The wire bytes.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_inner(Extras::None)
    }

    /// The wire bytes with unknown fields of every wire type (0, 1, 2, 5) added to the
    /// wrapper and to the body, still in field-number order; see [`UNKNOWN_WRAPPER_FIELDS`]
    /// and [`UNKNOWN_BODY_FIELDS`]. A conforming decoder skips them.
    pub fn encode_with_unknown_fields(&self) -> Vec<u8> {
        self.encode_inner(Extras::UnknownFields)
    }

    /// The length of the body's content, without its tag and length prefix.
    pub(crate) fn body_len(&self) -> usize {
        let mut body = Vec::with_capacity(128);
        self.body.encode_fields(&mut body);
        body.len()
    }

    fn encode_inner(&self, extras: Extras) -> Vec<u8> {
        let unknown = extras == Extras::UnknownFields;
        let mut out = Vec::with_capacity(128);
        put_str(&mut out, 1, &self.channel);
        if unknown {
            // Field 2 is unused by the schema: a varint there is unknown to every decoder.
            out.extend_from_slice(UNKNOWN_WRAPPER_FIELDS[0]);
        }
        put_opt_str(&mut out, 3, self.symbol.as_deref());
        put_opt_str(&mut out, 4, self.symbol_id.as_deref());
        put_opt_int64(&mut out, 5, self.create_time);
        put_opt_int64(&mut out, 6, self.send_time);
        if unknown {
            out.extend_from_slice(UNKNOWN_WRAPPER_FIELDS[1]);
            out.extend_from_slice(UNKNOWN_WRAPPER_FIELDS[2]);
        }
        put_message(&mut out, self.body.field_number(), |body| {
            self.body.encode_fields(body);
            if unknown {
                body.extend_from_slice(UNKNOWN_BODY_FIELDS);
            }
        });
        if unknown {
            out.extend_from_slice(UNKNOWN_WRAPPER_FIELDS[3]);
        }
        out
    }
}

/// The wrapper's `body` oneof, restricted to the bodies the simulator sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per push and encoded at once, never stored in bulk"
)]
pub enum PushBody {
    /// Field 303, `spot@public.limit.depth.v3.api.pb@SYM@N`.
    LimitDepths(PublicLimitDepths),
    /// Field 304, `spot@private.orders.v3.api.pb`.
    PrivateOrders(PrivateOrders),
    /// Field 306, `spot@private.deals.v3.api.pb`.
    PrivateDeals(PrivateDeals),
    /// Field 307, `spot@private.account.v3.api.pb`.
    PrivateAccount(PrivateAccount),
    /// Field 311, `spot@public.bookTicker.batch.v3.api.pb@SYM`.
    BookTickerBatch(PublicBookTickerBatch),
    /// Field 313, `spot@public.aggre.depth.v3.api.pb@INT@SYM`.
    AggreDepths(PublicAggreDepths),
    /// Field 314, `spot@public.aggre.deals.v3.api.pb@INT@SYM`.
    AggreDeals(PublicAggreDeals),
    /// Field 315, `spot@public.aggre.bookTicker.v3.api.pb@INT@SYM`.
    AggreBookTicker(PublicAggreBookTicker),
}

impl Default for PushBody {
    fn default() -> Self {
        Self::AggreDepths(PublicAggreDepths::default())
    }
}

impl PushBody {
    /// The wrapper field number carrying this body.
    pub fn field_number(&self) -> u32 {
        match self {
            Self::LimitDepths(_) => 303,
            Self::PrivateOrders(_) => 304,
            Self::PrivateDeals(_) => 306,
            Self::PrivateAccount(_) => 307,
            Self::BookTickerBatch(_) => 311,
            Self::AggreDepths(_) => 313,
            Self::AggreDeals(_) => 314,
            Self::AggreBookTicker(_) => 315,
        }
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        match self {
            Self::LimitDepths(body) => body.encode_fields(out),
            Self::PrivateOrders(body) => body.encode_fields(out),
            Self::PrivateDeals(body) => body.encode_fields(out),
            Self::PrivateAccount(body) => body.encode_fields(out),
            Self::BookTickerBatch(body) => body.encode_fields(out),
            Self::AggreDepths(body) => body.encode_fields(out),
            Self::AggreDeals(body) => body.encode_fields(out),
            Self::AggreBookTicker(body) => body.encode_fields(out),
        }
    }
}

/// A price level, `PublicAggreDepthV3ApiItem` and `PublicLimitDepthV3ApiItem` (same shape).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepthItem {
    /// Field 1.
    pub price: String,
    /// Field 2: absolute quantity; zero removes the level.
    pub quantity: String,
}

impl DepthItem {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.price);
        put_str(out, 2, &self.quantity);
    }
}

/// `PublicAggreDepthsV3Api` (313), diff depth; `fromVersion..=toVersion` are covered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicAggreDepths {
    /// Field 1.
    pub asks: Vec<DepthItem>,
    /// Field 2.
    pub bids: Vec<DepthItem>,
    /// Field 3: the channel without `@SYMBOL`.
    pub event_type: String,
    /// Field 4, decimal string.
    pub from_version: String,
    /// Field 5, decimal string.
    pub to_version: String,
    /// Field 6, ms.
    pub last_order_create_time: i64,
}

impl PublicAggreDepths {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        for item in &self.asks {
            put_message(out, 1, |m| item.encode_fields(m));
        }
        for item in &self.bids {
            put_message(out, 2, |m| item.encode_fields(m));
        }
        put_str(out, 3, &self.event_type);
        put_str(out, 4, &self.from_version);
        put_str(out, 5, &self.to_version);
        put_int64(out, 6, self.last_order_create_time);
    }
}

/// `PublicAggreDealsV3Api` (314).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicAggreDeals {
    /// Field 1.
    pub deals: Vec<AggreDeal>,
    /// Field 2.
    pub event_type: String,
}

impl PublicAggreDeals {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        for deal in &self.deals {
            put_message(out, 1, |m| deal.encode_fields(m));
        }
        put_str(out, 2, &self.event_type);
    }
}

/// `PublicAggreDealsV3ApiItem`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggreDeal {
    /// Field 1.
    pub price: String,
    /// Field 2.
    pub quantity: String,
    /// Field 3: 1 buy, 2 sell (taker side).
    pub trade_type: i32,
    /// Field 4, ms.
    pub time: i64,
    /// Field 5.
    pub trade_id: String,
}

impl AggreDeal {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.price);
        put_str(out, 2, &self.quantity);
        put_int32(out, 3, self.trade_type);
        put_int64(out, 4, self.time);
        put_str(out, 5, &self.trade_id);
    }
}

/// `PublicAggreBookTickerV3Api` (315). An empty side is sent as empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicAggreBookTicker {
    /// Field 1.
    pub bid_price: String,
    /// Field 2.
    pub bid_quantity: String,
    /// Field 3.
    pub ask_price: String,
    /// Field 4.
    pub ask_quantity: String,
    /// Field 5.
    pub version: String,
    /// Field 6, ms.
    pub last_order_create_time: i64,
}

impl PublicAggreBookTicker {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.bid_price);
        put_str(out, 2, &self.bid_quantity);
        put_str(out, 3, &self.ask_price);
        put_str(out, 4, &self.ask_quantity);
        put_str(out, 5, &self.version);
        put_int64(out, 6, self.last_order_create_time);
    }
}

/// `PublicLimitDepthsV3Api` (303), a partial book snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicLimitDepths {
    /// Field 1.
    pub asks: Vec<DepthItem>,
    /// Field 2.
    pub bids: Vec<DepthItem>,
    /// Field 3.
    pub event_type: String,
    /// Field 4.
    pub version: String,
    /// Field 5, ms.
    pub last_order_create_time: i64,
}

impl PublicLimitDepths {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        for item in &self.asks {
            put_message(out, 1, |m| item.encode_fields(m));
        }
        for item in &self.bids {
            put_message(out, 2, |m| item.encode_fields(m));
        }
        put_str(out, 3, &self.event_type);
        put_str(out, 4, &self.version);
        put_int64(out, 5, self.last_order_create_time);
    }
}

/// `PublicBookTickerBatchV3Api` (311).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicBookTickerBatch {
    /// Field 1.
    pub items: Vec<PublicBookTicker>,
    /// Field 2.
    pub version: String,
    /// Field 3, ms.
    pub last_order_create_time: i64,
}

impl PublicBookTickerBatch {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        for item in &self.items {
            put_message(out, 1, |m| item.encode_fields(m));
        }
        put_str(out, 2, &self.version);
        put_int64(out, 3, self.last_order_create_time);
    }
}

/// `PublicBookTickerV3Api`, the item of 311.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicBookTicker {
    /// Field 1.
    pub bid_price: String,
    /// Field 2.
    pub bid_quantity: String,
    /// Field 3.
    pub ask_price: String,
    /// Field 4.
    pub ask_quantity: String,
}

impl PublicBookTicker {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.bid_price);
        put_str(out, 2, &self.bid_quantity);
        put_str(out, 3, &self.ask_price);
        put_str(out, 4, &self.ask_quantity);
    }
}

/// `PrivateOrdersV3Api` (304). Fields 17–26 are `optional` and undocumented.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateOrders {
    /// Field 1: order id (2025 docs).
    pub id: String,
    /// Field 2: the 2026 docs put the order id here.
    pub client_id: String,
    /// Field 3.
    pub price: String,
    /// Field 4.
    pub quantity: String,
    /// Field 5: quote amount.
    pub amount: String,
    /// Field 6.
    pub avg_price: String,
    /// Field 7: 1 LIMIT_ORDER … 5 MARKET_ORDER, 100 stop.
    pub order_type: i32,
    /// Field 8: 1 buy, 2 sell.
    pub trade_type: i32,
    /// Field 9.
    pub is_maker: bool,
    /// Field 10.
    pub remain_amount: String,
    /// Field 11.
    pub remain_quantity: String,
    /// Field 12 (`optional`).
    pub last_deal_quantity: Option<String>,
    /// Field 13.
    pub cumulative_quantity: String,
    /// Field 14.
    pub cumulative_amount: String,
    /// Field 15: 1 new, 2 filled, 3 partially filled, 4 canceled, 5 partially canceled.
    pub status: i32,
    /// Field 16, ms.
    pub create_time: i64,
    /// Field 17 (`optional`).
    pub market: Option<String>,
    /// Field 18 (`optional`).
    pub trigger_type: Option<i32>,
    /// Field 19 (`optional`).
    pub trigger_price: Option<String>,
    /// Field 20 (`optional`).
    pub state: Option<i32>,
    /// Field 21 (`optional`).
    pub oco_id: Option<String>,
    /// Field 22 (`optional`).
    pub route_factor: Option<String>,
    /// Field 23 (`optional`).
    pub symbol_id: Option<String>,
    /// Field 24 (`optional`).
    pub market_id: Option<String>,
    /// Field 25 (`optional`).
    pub market_currency_id: Option<String>,
    /// Field 26 (`optional`).
    pub currency_id: Option<String>,
}

impl PrivateOrders {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.id);
        put_str(out, 2, &self.client_id);
        put_str(out, 3, &self.price);
        put_str(out, 4, &self.quantity);
        put_str(out, 5, &self.amount);
        put_str(out, 6, &self.avg_price);
        put_int32(out, 7, self.order_type);
        put_int32(out, 8, self.trade_type);
        put_bool(out, 9, self.is_maker);
        put_str(out, 10, &self.remain_amount);
        put_str(out, 11, &self.remain_quantity);
        put_opt_str(out, 12, self.last_deal_quantity.as_deref());
        put_str(out, 13, &self.cumulative_quantity);
        put_str(out, 14, &self.cumulative_amount);
        put_int32(out, 15, self.status);
        put_int64(out, 16, self.create_time);
        put_opt_str(out, 17, self.market.as_deref());
        put_opt_int32(out, 18, self.trigger_type);
        put_opt_str(out, 19, self.trigger_price.as_deref());
        put_opt_int32(out, 20, self.state);
        put_opt_str(out, 21, self.oco_id.as_deref());
        put_opt_str(out, 22, self.route_factor.as_deref());
        put_opt_str(out, 23, self.symbol_id.as_deref());
        put_opt_str(out, 24, self.market_id.as_deref());
        put_opt_str(out, 25, self.market_currency_id.as_deref());
        put_opt_str(out, 26, self.currency_id.as_deref());
    }
}

/// `PrivateDealsV3Api` (306).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateDeals {
    /// Field 1.
    pub price: String,
    /// Field 2.
    pub quantity: String,
    /// Field 3: quote amount.
    pub amount: String,
    /// Field 4: 1 buy, 2 sell.
    pub trade_type: i32,
    /// Field 5.
    pub is_maker: bool,
    /// Field 6.
    pub is_self_trade: bool,
    /// Field 7.
    pub trade_id: String,
    /// Field 8.
    pub client_order_id: String,
    /// Field 9.
    pub order_id: String,
    /// Field 10.
    pub fee_amount: String,
    /// Field 11.
    pub fee_currency: String,
    /// Field 12, ms.
    pub time: i64,
}

impl PrivateDeals {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.price);
        put_str(out, 2, &self.quantity);
        put_str(out, 3, &self.amount);
        put_int32(out, 4, self.trade_type);
        put_bool(out, 5, self.is_maker);
        put_bool(out, 6, self.is_self_trade);
        put_str(out, 7, &self.trade_id);
        put_str(out, 8, &self.client_order_id);
        put_str(out, 9, &self.order_id);
        put_str(out, 10, &self.fee_amount);
        put_str(out, 11, &self.fee_currency);
        put_int64(out, 12, self.time);
    }
}

/// `PrivateAccountV3Api` (307): one asset's balance after a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateAccount {
    /// Field 1: asset, e.g. `USDT`.
    pub vcoin_name: String,
    /// Field 2: internal asset id.
    pub coin_id: String,
    /// Field 3: available after the change.
    pub balance_amount: String,
    /// Field 4.
    pub balance_amount_change: String,
    /// Field 5: frozen after the change.
    pub frozen_amount: String,
    /// Field 6.
    pub frozen_amount_change: String,
    /// Field 7 (`type` on the wire): `ENTRUST_PLACE`, `ENTRUST`, `ENTRUST_CANCEL`, ….
    pub change_type: String,
    /// Field 8, ms.
    pub time: i64,
}

impl PrivateAccount {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_str(out, 1, &self.vcoin_name);
        put_str(out, 2, &self.coin_id);
        put_str(out, 3, &self.balance_amount);
        put_str(out, 4, &self.balance_amount_change);
        put_str(out, 5, &self.frozen_amount);
        put_str(out, 6, &self.frozen_amount_change);
        put_str(out, 7, &self.change_type);
        put_int64(out, 8, self.time);
    }
}

// ---------------------------------------------------------------- the writer

/// Whether an encoding carries the fault's unknown fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extras {
    None,
    UnknownFields,
}

/// Protobuf wire types used here.
#[derive(Debug, Clone, Copy)]
enum WireType {
    Varint = 0,
    LengthDelimited = 2,
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: WireType) {
    put_varint(out, (u64::from(field) << 3) | wire_type as u64);
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, WireType::LengthDelimited);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A non-`optional` string: left out when empty.
fn put_str(out: &mut Vec<u8>, field: u32, value: &str) {
    if !value.is_empty() {
        put_bytes(out, field, value.as_bytes());
    }
}

/// An `optional` string: written whenever present, even empty.
fn put_opt_str(out: &mut Vec<u8>, field: u32, value: Option<&str>) {
    if let Some(value) = value {
        put_bytes(out, field, value.as_bytes());
    }
}

/// A non-`optional` int64: left out when zero; negative values take ten bytes.
fn put_int64(out: &mut Vec<u8>, field: u32, value: i64) {
    if value != 0 {
        put_opt_int64(out, field, Some(value));
    }
}

fn put_opt_int64(out: &mut Vec<u8>, field: u32, value: Option<i64>) {
    if let Some(value) = value {
        put_tag(out, field, WireType::Varint);
        // Two's complement as u64, as protobuf does for int64 (no zig-zag).
        put_varint(out, value as u64);
    }
}

/// A non-`optional` int32: sign-extended to 64 bits like protobuf's int32.
fn put_int32(out: &mut Vec<u8>, field: u32, value: i32) {
    put_int64(out, field, i64::from(value));
}

fn put_opt_int32(out: &mut Vec<u8>, field: u32, value: Option<i32>) {
    put_opt_int64(out, field, value.map(i64::from));
}

fn put_bool(out: &mut Vec<u8>, field: u32, value: bool) {
    if value {
        put_tag(out, field, WireType::Varint);
        out.push(1);
    }
}

/// A length-delimited sub-message, always written (an empty one too: it has presence).
fn put_message(out: &mut Vec<u8>, field: u32, encode: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::with_capacity(64);
    encode(&mut inner);
    put_bytes(out, field, &inner);
}

/// Unknown fields the wrapper carries under [`crate::mexc::MexcFault::UnknownFields`], in
/// the order they are placed: after field 1 (field 2, varint 150), after field 6
/// (field 7 fixed64 = 1, field 8 fixed32 = 2), and after the body (field 1000,
/// length-delimited `"sim"`).
pub const UNKNOWN_WRAPPER_FIELDS: [&[u8]; 4] = [
    &[0x10, 0x96, 0x01],
    &[0x39, 1, 0, 0, 0, 0, 0, 0, 0],
    &[0x45, 2, 0, 0, 0],
    &[0xc2, 0x3e, 0x03, b's', b'i', b'm'],
];

/// Unknown fields appended to the body under [`crate::mexc::MexcFault::UnknownFields`]:
/// field 50 varint 1, field 51 fixed64 = 3, field 52 length-delimited `"x"`,
/// field 53 fixed32 = 4.
pub const UNKNOWN_BODY_FIELDS: &[u8] = &[
    0x90, 0x03, 0x01, // 50, varint
    0x99, 0x03, 3, 0, 0, 0, 0, 0, 0, 0, // 51, fixed64
    0xa2, 0x03, 0x01, b'x', // 52, bytes
    0xad, 0x03, 4, 0, 0, 0, // 53, fixed32
];

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should fail the test loudly"
)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_tags() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0]),
            (1, &[1]),
            (127, &[0x7f]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out, bytes, "{value}");
        }
        let mut out = Vec::new();
        put_tag(&mut out, 315, WireType::LengthDelimited);
        assert_eq!(out, [0xda, 0x13]);
    }

    #[test]
    fn defaults_are_left_out_and_optionals_kept() {
        let mut out = Vec::new();
        put_str(&mut out, 1, "");
        put_int64(&mut out, 2, 0);
        put_int32(&mut out, 3, 0);
        put_bool(&mut out, 4, false);
        assert!(out.is_empty());
        put_opt_str(&mut out, 5, Some(""));
        put_opt_int64(&mut out, 6, Some(0));
        assert_eq!(out, [0x2a, 0x00, 0x30, 0x00]);
    }

    #[test]
    fn negative_int32_takes_ten_bytes() {
        let mut out = Vec::new();
        put_int32(&mut out, 1, -1);
        assert_eq!(out.len(), 11);
        assert_eq!(out[10], 0x01);
    }

    #[test]
    fn unknown_field_tags_have_the_documented_numbers() {
        let tag = |bytes: &[u8]| {
            let mut value = 0u64;
            for (i, byte) in bytes.iter().enumerate() {
                value |= u64::from(byte & 0x7f) << (7 * i);
                if byte & 0x80 == 0 {
                    break;
                }
            }
            (value >> 3, value & 7)
        };
        assert_eq!(tag(UNKNOWN_WRAPPER_FIELDS[0]), (2, 0));
        assert_eq!(tag(UNKNOWN_WRAPPER_FIELDS[1]), (7, 1));
        assert_eq!(tag(UNKNOWN_WRAPPER_FIELDS[2]), (8, 5));
        assert_eq!(tag(UNKNOWN_WRAPPER_FIELDS[3]), (1000, 2));
        assert_eq!(tag(&UNKNOWN_BODY_FIELDS[0..]), (50, 0));
        assert_eq!(tag(&UNKNOWN_BODY_FIELDS[3..]), (51, 1));
        assert_eq!(tag(&UNKNOWN_BODY_FIELDS[13..]), (52, 2));
        assert_eq!(tag(&UNKNOWN_BODY_FIELDS[17..]), (53, 5));
    }
}
