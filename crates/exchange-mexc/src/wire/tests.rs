use prost::Message as _;
use ws_session::StreamKind;

use super::deals::synthesized_trade_id;
use super::depth::next_level_general;
use super::reader::Key;
use super::*;
use crate::error::Error;
use crate::pb;

fn key(reader: &mut Reader<'_>) -> Key {
    reader.key().unwrap().unwrap()
}

#[test]
fn varints_of_every_length() {
    for (bytes, value) in [
        (&[0x00][..], 0u64),
        (&[0x01], 1),
        (&[0x7f], 127),
        (&[0x80, 0x01], 128),
        (&[0xac, 0x02], 300),
        (&[0xc8, 0xf6, 0xb4, 0xec, 0xdf, 0x33], 1_778_075_384_648),
        (
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            u64::MAX,
        ),
    ] {
        assert_eq!(
            Reader::new(bytes).varint("v").unwrap(),
            value,
            "{bytes:02x?}"
        );
    }
}

#[test]
fn word_varints_agree_with_the_byte_loop() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..20_000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let value = state >> (round % 64);
        let mut bytes = Vec::new();
        let mut v = value;
        while v >= 0x80 {
            bytes.push((v as u8) | 0x80);
            v >>= 7;
        }
        bytes.push(v as u8);
        let len = bytes.len();
        // With and without eight readable bytes, and with junk after.
        for pad in [0usize, 3, 8] {
            let mut padded = bytes.clone();
            padded.extend((0..pad).map(|i| (state >> (8 * i)) as u8));
            let mut reader = Reader::new(&padded);
            assert_eq!(reader.varint("v").unwrap(), value, "{padded:02x?}");
            assert_eq!(reader.pos, len);
            let mut reader = Reader::new(&padded);
            assert_eq!(reader.varint_bytes("v").unwrap(), value);
        }
    }
}

#[test]
fn bad_varints_are_typed_errors() {
    assert!(matches!(
        Reader::new(&[0x80, 0x80]).varint("v"),
        Err(Error::Truncated { offset: 0, .. })
    ));
    assert!(matches!(
        Reader::new(&[0xff; 11]).varint("v"),
        Err(Error::MalformedVarint { offset: 0 })
    ));
    // Ten bytes whose last one carries more than the 64th bit.
    let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
    assert!(matches!(
        Reader::new(&overflow).varint("v"),
        Err(Error::MalformedVarint { offset: 0 })
    ));
}

#[test]
fn keys_reject_groups_and_field_zero() {
    assert!(matches!(
        Reader::new(&[0x0b]).key(),
        Err(Error::UnsupportedWireType {
            field: 1,
            wire_type: 3,
            offset: 0
        })
    ));
    assert!(matches!(
        Reader::new(&[0x0c]).key(),
        Err(Error::UnsupportedWireType { wire_type: 4, .. })
    ));
    assert!(matches!(
        Reader::new(&[0x0e]).key(),
        Err(Error::UnsupportedWireType { wire_type: 6, .. })
    ));
    assert!(matches!(
        Reader::new(&[0x02, 0x00]).key(),
        Err(Error::InvalidFieldNumber { field: 0, .. })
    ));
    assert!(Reader::new(&[]).key().unwrap().is_none());
}

#[test]
fn skips_every_wire_type() {
    // field 7 varint 300, field 8 fixed64, field 9 len 2, field 10 fixed32, then field 1 "A".
    let bytes = [
        0x38, 0xac, 0x02, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 0x02, 0xaa, 0xbb, 0x55, 1, 2, 3, 4,
        0x0a, 0x01, b'A',
    ];
    let mut reader = Reader::new(&bytes);
    for _ in 0..4 {
        let k = key(&mut reader);
        reader.skip(k).unwrap();
    }
    let k = key(&mut reader);
    assert_eq!(k.field, 1);
    assert_eq!(reader.string(k, "s").unwrap(), "A");
    assert!(reader.key().unwrap().is_none());
}

#[test]
fn lengths_past_the_end_and_bad_utf8() {
    let mut reader = Reader::new(&[0x0a, 0x05, b'a']);
    let k = key(&mut reader);
    assert!(matches!(
        reader.string(k, "s"),
        Err(Error::LengthOutOfBounds {
            len: 5,
            remaining: 1,
            offset: 1,
            ..
        })
    ));
    let mut reader = Reader::new(&[0x0a, 0x02, 0xc3, 0x28]);
    let k = key(&mut reader);
    assert!(matches!(
        reader.string(k, "s"),
        Err(Error::InvalidUtf8 { offset: 2, .. })
    ));
    // A huge length must not overflow the bounds arithmetic.
    let mut reader = Reader::new(&[
        0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    let k = key(&mut reader);
    assert!(matches!(
        reader.bytes(k, "s"),
        Err(Error::LengthOutOfBounds { .. })
    ));
    assert!(matches!(
        Reader::new(&[1, 2, 3]).take(8, "fixed64 field"),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn wrong_wire_types_are_refused() {
    let mut reader = Reader::new(&[0x08, 0x01]);
    let k = key(&mut reader);
    assert!(matches!(
        reader.string(k, "PushDataV3ApiWrapper.channel"),
        Err(Error::WrongWireType {
            expected: 2,
            found: 0,
            ..
        })
    ));
    let mut reader = Reader::new(&[0x0a, 0x00]);
    let k = key(&mut reader);
    assert!(matches!(
        reader.int64(k, "t"),
        Err(Error::WrongWireType {
            expected: 0,
            found: 2,
            ..
        })
    ));
    let mut reader = Reader::new(&[0x08, 0x02]);
    let k = key(&mut reader);
    assert!(reader.boolean(k, "b").unwrap());
}

#[test]
fn negative_int64_and_int32_follow_protobuf() {
    // -1 as int64: ten bytes.
    let bytes = [
        0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ];
    let mut reader = Reader::new(&bytes);
    let k = key(&mut reader);
    assert_eq!(reader.int64(k, "t").unwrap(), -1);
    let mut reader = Reader::new(&bytes);
    let k = key(&mut reader);
    assert_eq!(reader.int32(k, "t").unwrap(), -1);
}

/// Levels read by the general path alone, over the whole body.
fn general_levels(bytes: &[u8]) -> Vec<Result<DepthLevel, Error>> {
    let mut reader = Reader::new(bytes);
    let mut out = Vec::new();
    loop {
        match next_level_general(&mut reader) {
            Ok(Some(level)) => out.push(Ok(level)),
            Ok(None) => return out,
            Err(error) => {
                out.push(Err(error));
                return out;
            }
        }
    }
}

#[test]
fn fast_level_paths_agree_with_the_general_reader() {
    let item = |price: &str, quantity: &str| pb::PublicAggreDepthV3ApiItem {
        price: price.into(),
        quantity: quantity.into(),
    };
    let body = pb::PublicAggreDepthsV3Api {
        asks: vec![
            item("19137.75", "0.6135"),
            item("19137.82", "0"),
            item("", "1"),
        ],
        bids: vec![
            item("19137.74", "12.5"),
            item("1.0000000001", "100000000000"),
        ],
        event_type: "spot@public.aggre.depth.v3.api.pb@10ms".into(),
        from_version: "10589632359".into(),
        to_version: "10589632360".into(),
        last_order_create_time: 1_778_075_380_572,
    }
    .encode_to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut agreed = 0;
    for round in 0..50_000 {
        let mut bytes = body.clone();
        // Up to three byte changes, biased to the characters and tags that matter.
        for _ in 0..(round % 4) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state >> 8) as usize % bytes.len();
            let picks = [b'.', b'0', b'9', b'-', 0x0a, 0x12, 0x1a, 0x80, 0x00, 0x05];
            bytes[at] = if state.is_multiple_of(3) {
                picks[(state >> 40) as usize % picks.len()]
            } else {
                (state >> 32) as u8
            };
        }
        let Ok(depth) = AggreDepths::decode(&bytes) else {
            continue;
        };
        agreed += 1;
        let general = general_levels(&bytes);
        let fast: Vec<_> = depth.levels().collect();
        assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{bytes:02x?}");
        let mut streamed = Vec::new();
        let result = depth.for_each_level(|level| {
            streamed.push(level);
            Ok::<(), Error>(())
        });
        let oks: Vec<_> = general.iter().filter_map(|l| l.as_ref().ok()).collect();
        assert_eq!(streamed.iter().collect::<Vec<_>>(), oks);
        assert_eq!(
            result.err().map(|e| format!("{e:?}")),
            general
                .iter()
                .find_map(|l| l.as_ref().err())
                .map(|e| format!("{e:?}"))
        );
        let counted = general.len() - usize::from(general.last().is_some_and(Result::is_err));
        assert!(depth.ask_count() + depth.bid_count() >= counted);
    }
    assert!(agreed > 10_000, "{agreed}");
}

#[test]
fn version_numbers() {
    assert_eq!(parse_u64(b"10589632359", "v").unwrap(), 10_589_632_359);
    assert_eq!(parse_u64(b"18446744073709551615", "v").unwrap(), u64::MAX);
    for bad in [
        &b""[..],
        b"18446744073709551616",
        b"-1",
        b"1.0",
        b" 1",
        b"123456789012345678901",
    ] {
        assert!(matches!(
            parse_u64(bad, "v"),
            Err(Error::InvalidNumber { context: "v" })
        ));
    }
}

#[test]
fn synthesized_trade_ids() {
    assert_eq!(
        synthesized_trade_id(1_736_409_765_051, 3).unwrap().as_str(),
        "1736409765051-3"
    );
    assert_eq!(synthesized_trade_id(0, 0).unwrap().as_str(), "0-0");
    assert_eq!(
        synthesized_trade_id(u64::MAX, usize::MAX).unwrap().as_str(),
        format!("{}-{}", u64::MAX, usize::MAX)
    );
}

#[test]
fn body_kinds_round_trip() {
    for (i, kind) in BodyKind::ALL.iter().enumerate() {
        assert_eq!(kind.field_number(), 301 + i as u32);
        assert_eq!(
            BodyKind::from_field_number(kind.field_number()),
            Some(*kind)
        );
    }
    assert_eq!(BodyKind::from_field_number(300), None);
    assert_eq!(BodyKind::from_field_number(316), None);
    assert_eq!(BodyKind::PublicAggreDepths.name(), "publicAggreDepths");
    assert_eq!(BodyKind::PublicAggreDepths.stream_kind(), StreamKind::Book);
    assert_eq!(BodyKind::PrivateDeals.stream_kind(), StreamKind::Private);
}
