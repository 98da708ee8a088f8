#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

//! Malformed binary frames are typed errors, never panics: every truncated prefix of
//! every wire vector, deterministic random byte flips, and hand-made corruptions.

mod common;

use common::{depth_frame, sym, vectors};
use exchange_mexc::{Body, Error, decode_push, decode_wrapper, stream_kind};
use ws_core::{FrameKind, StreamKind};

/// Decodes everything a frame holds, the way a session would: the wrapper, every level
/// or deal of a hot body (normalized), or the cold body with prost.
fn decode_fully(frame: &[u8]) -> Result<usize, Error> {
    let push = decode_push(frame)?;
    let mut items = 0;
    match push.body {
        Body::AggreDepths(depth) => {
            for level in depth.levels() {
                level?;
                items += 1;
            }
        }
        Body::AggreDeals(deals) => {
            for (index, deal) in deals.deals().enumerate() {
                deal?.to_trade(sym("BTCUSDT"), index)?;
                items += 1;
            }
        }
        Body::AggreBookTicker(ticker) => {
            items += usize::from(ticker.bid.is_some()) + usize::from(ticker.ask.is_some());
        }
        Body::Cold(raw) => {
            raw.decode()?;
            items += 1;
        }
    }
    Ok(items)
}

#[test]
fn every_truncated_prefix_is_an_error() {
    let mut checked = 0;
    for v in vectors() {
        decode_fully(&v.wire).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        for len in 0..v.wire.len() {
            let prefix = &v.wire[..len];
            // The body is the last field, so any strict prefix loses part of it.
            let error = decode_fully(prefix).expect_err(&format!("{} prefix {len}", v.name));
            assert!(
                error.is_decode(),
                "{} prefix {len}: {error} is not a decoding error",
                v.name
            );
            // The classifier never panics either.
            let _ = stream_kind(FrameKind::Binary, prefix);
            checked += 1;
        }
    }
    assert!(checked > 1_500, "{checked}");
}

/// xorshift64*: deterministic, no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut frames: Vec<Vec<u8>> = vectors().into_iter().map(|v| v.wire).collect();
    frames.push(depth_frame(
        "BTCUSDT",
        10,
        12,
        &[("100.5", "1"), ("100.4", "0"), ("99", "3.25")],
        &[("101", "2"), ("102", "0.001")],
    ));
    let (mut ok, mut errors) = (0u32, 0u32);
    for frame in &frames {
        for _ in 0..MUTATIONS_PER_FRAME {
            let mut mutated = frame.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(mutated.len());
                let mask = (rng.below(255) + 1) as u8;
                mutated[at] ^= mask;
            }
            match decode_fully(&mutated) {
                Ok(_) => ok += 1,
                Err(error) => {
                    assert!(error.is_decode(), "{error}");
                    // Zero-copy and prost agree on rejecting broken wrappers and bodies:
                    // whatever prost refuses, the reader refuses too.
                    errors += 1;
                }
            }
            if decode_wrapper(&mutated).is_err() {
                assert!(
                    decode_fully(&mutated).is_err(),
                    "prost refused a frame the zero-copy reader accepted: {mutated:02x?}"
                );
            }
            let _ = stream_kind(FrameKind::Binary, &mutated);
        }
    }
    assert!(ok > 0 && errors > 0, "ok {ok}, errors {errors}");
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    for _ in 0..5_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = decode_fully(&bytes);
        let _ = stream_kind(FrameKind::Binary, &bytes);
    }
}

fn wrapper_with_body(field_tag: &[u8], body: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x0a, 0x03, b'a', b'@', b'B'];
    frame.extend_from_slice(field_tag);
    frame.push(body.len() as u8);
    frame.extend_from_slice(body);
    frame
}

#[test]
fn hand_made_corruptions_are_typed() {
    // An 11-byte varint where the channel's length should be.
    let mut frame = vec![0x0a];
    frame.extend_from_slice(&[0xff; 11]);
    assert!(matches!(
        decode_push(&frame),
        Err(Error::MalformedVarint { offset: 1 })
    ));

    // A length past the end.
    assert!(matches!(
        decode_push(&[0x0a, 0x7f, b'a']),
        Err(Error::LengthOutOfBounds {
            len: 127,
            remaining: 1,
            ..
        })
    ));

    // Invalid UTF-8 in the channel.
    assert!(matches!(
        decode_push(&[0x0a, 0x02, 0xff, 0xfe]),
        Err(Error::InvalidUtf8 {
            context: "PushDataV3ApiWrapper.channel",
            offset: 2
        })
    ));

    // Channel (field 1) sent as a varint.
    assert!(matches!(
        decode_push(&[0x08, 0x01]),
        Err(Error::WrongWireType {
            context: "PushDataV3ApiWrapper.channel",
            expected: 2,
            found: 0,
            ..
        })
    ));

    // sendTime (field 6) sent as a string.
    assert!(matches!(
        decode_push(&[0x32, 0x01, b'1']),
        Err(Error::WrongWireType {
            context: "PushDataV3ApiWrapper.sendTime",
            ..
        })
    ));

    // A start-group key.
    assert!(matches!(
        decode_push(&[0x13]),
        Err(Error::UnsupportedWireType {
            field: 2,
            wire_type: 3,
            offset: 0
        })
    ));

    // No body at all.
    assert!(matches!(
        decode_push(&[0x0a, 0x01, b'x']),
        Err(Error::MissingBody)
    ));
    assert!(matches!(decode_push(&[]), Err(Error::MissingBody)));

    // Depth body (313 = ca 13) without versions.
    let frame = wrapper_with_body(&[0xca, 0x13], &[0x1a, 0x01, b'e']);
    assert!(matches!(
        decode_push(&frame),
        Err(Error::InvalidNumber {
            context: "PublicAggreDepthsV3Api.fromVersion"
        })
    ));

    // Versions that are not numbers, and from above to.
    let frame = wrapper_with_body(&[0xca, 0x13], &[0x22, 0x01, b'x', 0x2a, 0x01, b'1']);
    assert!(matches!(
        decode_push(&frame),
        Err(Error::InvalidNumber { .. })
    ));
    let frame = wrapper_with_body(&[0xca, 0x13], &[0x22, 0x01, b'5', 0x2a, 0x01, b'4']);
    assert!(matches!(
        decode_push(&frame),
        Err(Error::InvalidNumber { .. })
    ));

    // A depth level with a price that is not a decimal: the push decodes, the level fails.
    let frame = wrapper_with_body(
        &[0xca, 0x13],
        &[
            0x12, 0x06, 0x0a, 0x01, b'x', 0x12, 0x01, b'1', 0x22, 0x01, b'1', 0x2a, 0x01, b'1',
        ],
    );
    let push = decode_push(&frame).unwrap();
    let Body::AggreDepths(depth) = push.body else {
        panic!("not depth")
    };
    let mut levels = depth.levels();
    assert!(matches!(
        levels.next(),
        Some(Err(Error::InvalidDecimal {
            context: "PublicAggreDepthV3ApiItem.price",
            ..
        }))
    ));
    assert!(
        levels.next().is_none(),
        "the iterator is fused after an error"
    );

    // A depth level whose quantity has the wrong wire type.
    let frame = wrapper_with_body(
        &[0xca, 0x13],
        &[
            0x12, 0x05, 0x0a, 0x01, b'1', 0x10, 0x01, 0x22, 0x01, b'1', 0x2a, 0x01, b'1',
        ],
    );
    let push = decode_push(&frame).unwrap();
    let Body::AggreDepths(depth) = push.body else {
        panic!("not depth")
    };
    assert!(matches!(
        depth.levels().next(),
        Some(Err(Error::WrongWireType {
            context: "PublicAggreDepthV3ApiItem.quantity",
            ..
        }))
    ));

    // A deal with an undocumented trade type.
    let frame = wrapper_with_body(
        &[0xd2, 0x13],
        &[0x0a, 0x08, 0x0a, 0x01, b'1', 0x12, 0x01, b'1', 0x18, 0x07],
    );
    let push = decode_push(&frame).unwrap();
    let Body::AggreDeals(deals) = push.body else {
        panic!("not deals")
    };
    assert!(matches!(
        deals.deals().next(),
        Some(Err(Error::UnknownEnumValue { value: 7, .. }))
    ));

    // A book ticker with a bid price but no quantity.
    let frame = wrapper_with_body(&[0xda, 0x13], &[0x0a, 0x01, b'1']);
    assert!(matches!(
        decode_push(&frame),
        Err(Error::InvalidDecimal {
            context: "PublicAggreBookTickerV3Api.bidQuantity",
            ..
        })
    ));

    // A cold body prost refuses.
    let frame = wrapper_with_body(&[0xa2, 0x13], &[0x0a, 0x05, b'x']);
    let push = decode_push(&frame).unwrap();
    let Body::Cold(raw) = push.body else {
        panic!("kline is cold")
    };
    assert!(matches!(raw.decode(), Err(Error::Protobuf { .. })));
}

#[test]
fn stream_kinds() {
    let frames: Vec<(String, Vec<u8>)> = vectors().into_iter().map(|v| (v.name, v.wire)).collect();
    for (name, frame) in &frames {
        let expected = if name.starts_with("aggre_depth") || name.starts_with("increase_depth") {
            StreamKind::Book
        } else if name.starts_with("aggre_deals") {
            StreamKind::Trade
        } else if name.starts_with("private") {
            StreamKind::Private
        } else {
            StreamKind::Ticker
        };
        assert_eq!(stream_kind(FrameKind::Binary, frame), expected, "{name}");
    }
    assert_eq!(
        stream_kind(FrameKind::Text, br#"{"id":0,"code":0,"msg":"PONG"}"#),
        StreamKind::Control
    );
    assert_eq!(stream_kind(FrameKind::Binary, &[0xff]), StreamKind::Control);
}

const MUTATIONS_PER_FRAME: usize = 2_000;
