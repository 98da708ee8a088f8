use prost::Message as _;

use super::*;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

#[test]
fn renders_the_exact_strings_and_parses_them_back() {
    let cases = [
        (
            Channel::AggreDepth {
                symbol: btc(),
                interval: AggInterval::Ms100,
            },
            "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
        ),
        (
            Channel::AggreDepth {
                symbol: btc(),
                interval: AggInterval::Ms10,
            },
            "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT",
        ),
        (
            Channel::AggreDeals {
                symbol: btc(),
                interval: AggInterval::Ms100,
            },
            "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
        ),
        (
            Channel::AggreBookTicker {
                symbol: btc(),
                interval: AggInterval::Ms10,
            },
            "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT",
        ),
        (
            Channel::LimitDepth {
                symbol: btc(),
                depth: DepthLimit::Five,
            },
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@5",
        ),
        (
            Channel::LimitDepth {
                symbol: btc(),
                depth: DepthLimit::Ten,
            },
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@10",
        ),
        (
            Channel::LimitDepth {
                symbol: btc(),
                depth: DepthLimit::Twenty,
            },
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@20",
        ),
        (
            Channel::BookTickerBatch { symbol: btc() },
            "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT",
        ),
        (
            Channel::Kline {
                symbol: btc(),
                interval: KlineInterval::Min15,
            },
            "spot@public.kline.v3.api.pb@BTCUSDT@Min15",
        ),
        (Channel::PrivateOrders, "spot@private.orders.v3.api.pb"),
        (Channel::PrivateDeals, "spot@private.deals.v3.api.pb"),
        (Channel::PrivateAccount, "spot@private.account.v3.api.pb"),
    ];
    for (channel, text) in cases {
        assert_eq!(channel.to_string(), text);
        assert_eq!(Channel::parse(text).unwrap(), channel, "{text}");
        assert_eq!(text.parse::<Channel>().unwrap(), channel);
        assert_eq!(
            serde_json::to_string(&channel).unwrap(),
            format!("\"{text}\"")
        );
    }
    for interval in KlineInterval::ALL {
        let channel = Channel::Kline {
            symbol: btc(),
            interval,
        };
        assert_eq!(Channel::parse(&channel.to_string()).unwrap(), channel);
    }
}

#[test]
fn unknown_and_retired_channels_are_refused() {
    for text in [
        "",
        "spot@public.increase.depth.v3.api@BTCUSDT",
        "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
        "spot@public.aggre.depth.v3.api.pb@50ms@BTCUSDT",
        "spot@public.aggre.depth.v3.api.pb@100ms@",
        "spot@public.aggre.depth.v3.api.pb@100ms@BTC@USDT",
        "spot@public.limit.depth.v3.api.pb@BTCUSDT@15",
        "spot@public.limit.depth.v3.api.pb@5@BTCUSDT",
        "spot@public.kline.v3.api.pb@BTCUSDT@Min2",
        "spot@public.bookTicker.v3.api.pb@BTCUSDT",
        "spot@private.orders.v3.api.pb@BTCUSDT",
        "spot@public.aggre.depth.v3.api.pb@100ms@BTC USDT",
    ] {
        let error = Channel::parse(text).unwrap_err();
        assert!(
            matches!(&error, Error::UnknownChannel { channel } if channel == text),
            "{text}: {error}"
        );
    }
}

#[test]
fn classification_and_validation() {
    let depth = Channel::AggreDepth {
        symbol: btc(),
        interval: AggInterval::Ms100,
    };
    assert_eq!(depth.symbol(), Some(btc()));
    assert!(!depth.is_private());
    assert_eq!(depth.body_kind(), BodyKind::PublicAggreDepths);
    assert!(depth.validate().is_ok());
    assert!(Channel::PrivateDeals.is_private());
    assert_eq!(Channel::PrivateDeals.body_kind(), BodyKind::PrivateDeals);
    let lower = Channel::AggreDeals {
        symbol: Symbol::new("btcusdt").unwrap(),
        interval: AggInterval::Ms100,
    };
    assert!(matches!(
        lower.validate(),
        Err(Error::LowercaseSymbol { .. })
    ));
}

/// One channel of every family.
fn one_of_each() -> [Channel; 9] {
    [
        Channel::LimitDepth {
            symbol: btc(),
            depth: DepthLimit::Ten,
        },
        Channel::PrivateOrders,
        Channel::PrivateDeals,
        Channel::PrivateAccount,
        Channel::Kline {
            symbol: btc(),
            interval: KlineInterval::Hour4,
        },
        Channel::BookTickerBatch { symbol: btc() },
        Channel::AggreDepth {
            symbol: btc(),
            interval: AggInterval::Ms10,
        },
        Channel::AggreDeals {
            symbol: btc(),
            interval: AggInterval::Ms100,
        },
        Channel::AggreBookTicker {
            symbol: btc(),
            interval: AggInterval::Ms100,
        },
    ]
}

#[test]
fn every_family_has_one_row_and_its_row_parses_it() {
    let channels = one_of_each();
    for (channel, row) in channels.iter().zip(CHANNELS.iter()) {
        assert_eq!(channel.spec(), row, "{channel}");
        assert_eq!(row.parse(&channel.to_string()), Some(*channel));
        assert!(channel.to_string().starts_with(row.topic));
        for other in CHANNELS.iter().filter(|other| *other != row) {
            assert_eq!(other.parse(&channel.to_string()), None, "{}", other.topic);
            // No topic is a prefix of another, so the rows' order does not matter.
            assert!(!other.topic.starts_with(row.topic), "{}", other.topic);
        }
    }
    let mut bodies: Vec<u32> = CHANNELS.iter().map(|row| row.body.field_number()).collect();
    bodies.dedup();
    assert_eq!(bodies.len(), CHANNELS.len());
    assert!(bodies.is_sorted());
}

#[test]
fn rows_agree_with_the_channels_and_the_bodies() {
    for channel in one_of_each() {
        let row = channel.spec();
        assert_eq!(channel.is_private(), channel.symbol().is_none());
        assert_eq!(channel.is_private(), row.private);
        assert_eq!(channel.body_kind(), row.body);
        assert_eq!(channel.stream_kind(), row.body.stream_kind());
        assert_eq!(channel.decoder(), row.decoder);
        assert_eq!(
            row.private,
            channel.stream_kind() == StreamKind::Private,
            "{channel}"
        );
    }
    assert_eq!(
        Channel::AggreDepth {
            symbol: btc(),
            interval: AggInterval::Ms100
        }
        .stream_kind(),
        StreamKind::Book
    );
}

/// A wrapper frame with the row's channel and a minimal body of its kind.
fn frame(channel: &Channel) -> Vec<u8> {
    let body = match channel.body_kind() {
        BodyKind::PublicAggreDepths => crate::pb::PublicAggreDepthsV3Api {
            from_version: "1".into(),
            to_version: "1".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        _ => Vec::new(),
    };
    crate::pb::PushDataV3ApiWrapper {
        channel: channel.to_string(),
        body: None,
        ..Default::default()
    }
    .encode_to_vec()
    .into_iter()
    .chain(length_delimited(channel.body_kind().field_number(), &body))
    .collect()
}

fn length_delimited(field: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for value in [(u64::from(field) << 3) | 2, bytes.len() as u64] {
        let mut v = value;
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    out.extend_from_slice(bytes);
    out
}

#[test]
fn zero_copy_decoders_are_the_ones_decode_push_decodes() {
    for channel in one_of_each() {
        let frame = frame(&channel);
        let push = crate::decode_push(&frame).unwrap();
        assert_eq!(push.raw.kind, channel.body_kind());
        assert_eq!(
            channel.decoder().is_zero_copy(),
            !matches!(push.body, crate::Body::Cold(_)),
            "{channel}"
        );
    }
}
