//! Benchmark inputs: the venues' documentation examples (copied from the shared fixtures
//! into `benches/data/`, compiled in so the probe does no file IO) and frames built
//! deterministically in the same shape when an example is too small (20- and 100-level
//! book pushes, continuous update ids).

use market_types::{Price, Quantity, Symbol};

/// `spot.book_ticker` push (spec §3.4), as documented.
pub const GATEIO_SPOT_BOOK_TICKER: &str = include_str!("../data/gateio_spot_book_ticker.json");
/// `futures.book_ticker` push (spec §4.3), sizes as JSON numbers.
pub const GATEIO_FUTURES_BOOK_TICKER: &str =
    include_str!("../data/gateio_futures_book_ticker.json");
/// `spot.trades` push: one trade per frame (with the doc's repeated `id_market`).
pub const GATEIO_SPOT_TRADE: &str = include_str!("../data/gateio_spot_trades.json");
/// `futures.trades` push: an array of trades.
pub const GATEIO_FUTURES_TRADES: &str = include_str!("../data/gateio_futures_trades.json");
/// The documented spot `order_book_update`: its envelope and key order are what the
/// generated book frames follow.
pub const GATEIO_SPOT_BOOK_EXAMPLE: &str =
    include_str!("../data/gateio_spot_order_book_update.json");
/// The documented futures `order_book_update` (`l` last, object levels, integer sizes).
pub const GATEIO_FUTURES_BOOK_EXAMPLE: &str =
    include_str!("../data/gateio_futures_order_book_update.json");
/// MEXC protobuf wire vectors (hex) with their proto3 JSON rendering.
const MEXC_WIRE_VECTORS: &str = include_str!("../data/mexc_pb_wire_vectors.json");

/// Width of the update ids written into generated frames, so they can be rewritten in
/// place ([`IdSlots`]) and every push continues the previous one.
pub const ID_DIGITS: usize = 10;
/// The first update id of a generated stream (ten digits).
pub const FIRST_ID: u64 = 1_000_000_000;

/// The JSON text with the whitespace between tokens removed, as the venue sends it
/// (key order, duplicate keys and number spelling are kept exactly).
pub fn minify(json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json.as_bytes() {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !b.is_ascii_whitespace() {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    out
}

/// The wire bytes of a named MEXC vector (`aggre_deals_2025doc`, ...).
pub fn mexc_vector(name: &str) -> Vec<u8> {
    let file: serde_json::Value = serde_json::from_str(MEXC_WIRE_VECTORS).unwrap_or_default();
    let hex = file["vectors"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == name))
        .and_then(|v| v["wire_hex"].as_str())
        .unwrap_or_else(|| panic!("no MEXC wire vector {name}"));
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
        .collect()
}

/// The symbols the generated frames use.
pub fn symbol(name: &str) -> Symbol {
    Symbol::new(name).unwrap_or_else(|_| panic!("bad symbol {name}"))
}

/// One side of a generated book: `levels` prices one tick (0.07) apart moving away from
/// the touch, with sizes that change with `variant`; every seventh level (shifting with
/// the variant) has size 0, so each push removes levels and re-inserts earlier ones.
/// Prices are in cents, sizes in 1e-4 units.
pub fn book_side(levels: usize, variant: usize, bid: bool) -> Vec<(i64, i64)> {
    (0..levels)
        .map(|i| {
            let price = if bid {
                1_913_774 - 7 * i as i64
            } else {
                1_913_775 + 7 * i as i64
            };
            let size = if (i + variant) % 7 == 3 {
                0
            } else {
                ((i * 131 + variant * 17) % 9_973 + 1) as i64 * if i % 3 == 0 { 1 } else { 37 }
            };
            (price, size)
        })
        .collect()
}

/// `19137.74` from cents.
pub fn price_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// `0.6135` from 1e-4 units (`0` stays `0`).
pub fn size_text(units: i64) -> String {
    if units == 0 {
        "0".to_string()
    } else {
        format!("{}.{:04}", units / 10_000, units % 10_000)
    }
}

/// A `spot.order_book_update` push of the documented shape (key order `t, l, e, E, s, U,
/// u, b, a`; no `full`, as for an incremental push) with `levels` changed levels per side.
/// Ids are [`FIRST_ID`]; rewrite them with [`IdSlots`].
pub fn gateio_spot_book_frame(levels: usize, variant: usize) -> Vec<u8> {
    let side = |bid| {
        book_side(levels, variant, bid)
            .iter()
            .map(|&(p, s)| format!(r#"["{}","{}"]"#, price_text(p), size_text(s)))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{{"t":1606294781123,"l":"{levels}","e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":{FIRST_ID},"u":{FIRST_ID},"b":[{}],"a":[{}]}}}}"#,
        side(true),
        side(false)
    )
    .into_bytes()
}

/// A `futures.order_book_update` push of the documented shape (`t, s, U, u, b, a, l`,
/// levels as `{"p":"54672.1","s":58794}`, sizes in contracts).
pub fn gateio_futures_book_frame(levels: usize, variant: usize) -> Vec<u8> {
    let side = |bid| {
        book_side(levels, variant, bid)
            .iter()
            .map(|&(p, s)| format!(r#"{{"p":"{}","s":{}}}"#, price_text(p), s / 37 + s % 11))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"time":1615366381,"time_ms":1615366381123,"channel":"futures.order_book_update","event":"update","result":{{"t":1615366381417,"s":"BTC_USDT","U":{FIRST_ID},"u":{FIRST_ID},"b":[{}],"a":[{}],"l":"{levels}"}}}}"#,
        side(true),
        side(false)
    )
    .into_bytes()
}

/// A REST snapshot body (`GET /spot/order_book?...&with_id=true`) at update id `id`, with
/// every price the generated pushes use.
pub fn gateio_snapshot_body(levels: usize, id: u64, futures: bool) -> Vec<u8> {
    let side = |bid| {
        book_side(levels, 1, bid)
            .iter()
            .map(|&(p, _)| {
                if futures {
                    format!(r#"{{"p":"{}","s":5}}"#, price_text(p))
                } else {
                    format!(r#"["{}","1"]"#, price_text(p))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"id":{id},"current":1606294781000,"update":1606294780999,"asks":[{}],"bids":[{}]}}"#,
        side(false),
        side(true)
    )
    .into_bytes()
}

/// The same levels as typed values, for checks.
pub fn typed_side(levels: usize, variant: usize, bid: bool) -> Vec<(Price, Quantity)> {
    book_side(levels, variant, bid)
        .iter()
        .map(|&(p, s)| {
            (
                Price::parse(&price_text(p)).unwrap_or(Price::ZERO),
                Quantity::parse(&size_text(s)).unwrap_or(Quantity::ZERO),
            )
        })
        .collect()
}

/// Where the fixed-width update ids sit in a frame, so that a stream of pushes with
/// continuous ids is one buffer rewritten in place (a few dozen instructions, counted in
/// the measured operation) instead of an endless list of frames.
#[derive(Debug, Clone)]
pub struct IdSlots {
    offsets: Vec<usize>,
}

impl IdSlots {
    /// Every occurrence of the ten digits of `id` in `frame`.
    pub fn find(frame: &[u8], id: u64) -> IdSlots {
        let digits = id.to_string();
        assert_eq!(digits.len(), ID_DIGITS, "ids must have {ID_DIGITS} digits");
        let offsets: Vec<usize> = frame
            .windows(ID_DIGITS)
            .enumerate()
            .filter(|(_, w)| *w == digits.as_bytes())
            .map(|(i, _)| i)
            .collect();
        assert!(!offsets.is_empty(), "id {id} not found in the frame");
        IdSlots { offsets }
    }

    /// Writes `id` (ten digits) into every slot.
    #[inline]
    pub fn write(&self, frame: &mut [u8], id: u64) {
        let mut digits = [b'0'; ID_DIGITS];
        let mut v = id;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        for &at in &self.offsets {
            if let Some(slot) = frame.get_mut(at..at + ID_DIGITS) {
                slot.copy_from_slice(&digits);
            }
        }
    }
}

/// A stream of book pushes: `variants` different level sets, each with its id slots; the
/// caller writes the next id before handing a frame over.
#[derive(Debug)]
pub struct FrameCycle {
    frames: Vec<(Vec<u8>, IdSlots)>,
    next: usize,
    id: u64,
}

impl FrameCycle {
    /// `variants` must be a power of two so that a run of a power-of-two number of
    /// iterations always covers whole cycles (identical instruction counts run to run).
    pub fn new(frames: Vec<Vec<u8>>, first_id: u64) -> FrameCycle {
        assert!(frames.len().is_power_of_two());
        FrameCycle {
            frames: frames
                .into_iter()
                .map(|f| {
                    let slots = IdSlots::find(&f, FIRST_ID);
                    (f, slots)
                })
                .collect(),
            next: 0,
            id: first_id,
        }
    }

    /// The next frame, with id = previous id + 1.
    #[inline]
    pub fn next_frame(&mut self) -> &mut [u8] {
        self.id += 1;
        let index = self.next;
        self.next = (self.next + 1) & (self.frames.len() - 1);
        let (frame, slots) = &mut self.frames[index];
        slots.write(frame, self.id);
        frame
    }

    /// The id the last frame carried.
    pub fn last_id(&self) -> u64 {
        self.id
    }
}
