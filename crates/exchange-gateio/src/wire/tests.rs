use super::*;

/// The same frame with a space after every member separator, which the compact fast
/// paths (envelope, book ticker) leave to the general loops.
fn spaced(frame: &str) -> String {
    frame.replace(",\"", ", \"").replace("{\"", "{ \"")
}

fn summary(result: &Result<Message<'_>, Error>) -> String {
    match result {
        // The raw text of an array differs with the spacing; its items must not.
        Ok(Message::Trades(items)) => format!("{:?}", items.iter().collect::<Vec<_>>()),
        Ok(message) => format!("{message:?}"),
        // Offsets differ with the spacing; the kind of error must not.
        Err(error) => format!("{:?}", core::mem::discriminant(error)),
    }
}

/// `parse_frame` of `frame`, checked to be exactly what the handlers' path gives: the
/// envelope read once by `compact_head`, then `parse_frame_with` from the `result`.
fn parse_both_ways(frame: &[u8]) -> Result<Message<'_>, Error> {
    let exact = |result: &Result<Message<'_>, Error>| match result {
        Ok(Message::Trades(items)) => format!("{:?}", items.iter().collect::<Vec<_>>()),
        other => format!("{other:?}"),
    };
    let plain = parse_frame(frame);
    let headed = parse_frame_with(frame, compact_head(frame));
    assert_eq!(
        exact(&headed),
        exact(&plain),
        "{}",
        String::from_utf8_lossy(frame)
    );
    plain
}

#[test]
fn compact_paths_agree_with_the_general_ones() {
    let frames = [
        r#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#,
        r#"{"time":1615366379,"time_ms":1615366379123,"channel":"futures.book_ticker","event":"update","result":{"t":1615366379123,"u":2517661076,"s":"BTC_USD","b":"54696.6","B":37000,"a":"54696.7","A":0}}"#,
        r#"{"time":1615366379,"channel":"futures.book_ticker","event":"update","result":{"u":2517661076,"t":1615366379123,"s":"BTC_USD","b":"","B":37000,"a":"54696.7","A":47061,"x":[1]}}"#,
        r#"{"channel":"spot.book_ticker","event":"update","time":1,"time":2,"result":{"t":"1606293275123.5","u":"48733182","s":"BTC_USDT","b":null,"B":"0","a":"1e3","A":"-0.5"}}"#,
        r#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"id_market":2390902,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902","id_market":5736713}}"#,
        r#"{"channel":"futures.trades","event":"update","time":1541503698,"time_ms":1541503698123,"result":[{"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,"price":"96.4","contract":"BTC_USD","is_internal":true},{"size":5.5e1,"id":"0012","create_time":1545136464,"price":96.5,"contract":"BTC_USD","is_internal":false}]}"#,
        r#"{"time":1611541000,"time_ms":1611541000001,"channel":"spot.orders","event":"subscribe","error":null,"result":{"status":"success"}}"#,
        r#"{"time":1611541000,"channel":"spot.book_ticker","channel":"spot.trades","event":"update","result":{}}"#,
        r#"{"time":1611541000,"channel":"spot.nothing","event":"update","result":{}}"#,
        r#"{"time":"x","channel":"spot.book_ticker","event":"update","result":{}}"#,
        r#"{"result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"},"channel":"spot.book_ticker","event":"update"}"#,
        r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"},"result":1}"#,
        r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":2,"s":"A_B","b":"1","B":"1","a":"2","A":"1","A":"3"}}"#,
        r#"{"channel":"spot.book_ticker","event":"update","result":{"t":1,"u":-2,"s":"A_B","b":"1","B":"1","a":"2","A":"1"}}"#,
    ];
    for frame in frames {
        for cut in 0..=frame.len() {
            let Some(compact) = frame.get(..cut) else {
                continue;
            };
            let general = spaced(compact);
            let fast = parse_both_ways(compact.as_bytes());
            let slow = parse_frame(general.as_bytes());
            assert_eq!(summary(&fast), summary(&slow), "{compact}");
        }
    }
}

/// The book ticker read straight from `scan` (a compact result closing the frame) and
/// its near misses give what the general loop gives, values and errors alike, for
/// every prefix.
#[test]
fn compact_book_tickers_from_scan_agree_with_the_general_path() {
    const HEAD: &str = r#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":"#;
    const RESULT: &str = r#"{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}"#;
    let results = [
        RESULT.to_string(),
        RESULT.replace("0.0003341504", "0.00033415"),
        RESULT.replace("0.0003341504", "0.000334150"),
        RESULT.replace("0.0003341504", "0.000334150400000"),
        RESULT.replace("0.0003341504", "0.0003341504000000"),
        RESULT.replace("0.0003341504", "1234567.12345678901"),
        RESULT.replace("0.0003341504", "123.000000000000000"),
        RESULT.replace("0.0003341504", "0.0000000000"),
        RESULT.replace("0.0003341504", "0.00033415x4"),
        RESULT.replace("0.0003341504", "0.0003341504 "),
        RESULT.replace("\"0.09\"", "\"0.0900000001\""),
        RESULT.replace("\"0.09\"", "\"0.\""),
        RESULT.replace("\"0.09\"", "\"\""),
        RESULT.replace("\"0.09\"", "9"),
        RESULT.replace("\"0.09\"", "null"),
        RESULT.replace("BTC_USDT", ""),
        RESULT.replace("}", ",\"x\":1}"),
        RESULT.replace("}", "} "),
    ];
    let mut frames = Vec::new();
    for result in &results {
        frames.push(format!("{HEAD}{result}}}"));
        frames.push(format!("{HEAD}{result},\"x\":1}}"));
        frames.push(format!("{HEAD}{result}}} "));
        frames.push(format!("{HEAD}{result}"));
        frames.push(format!("{HEAD}{result}}}").replace("update", "all"));
        frames.push(format!("{HEAD}{result}}}").replace("update", "subscribe"));
        frames.push(format!("{HEAD}{result}}}").replace("spot.book_ticker", "futures.book_ticker"));
        frames.push(format!("{HEAD}{result}}}").replace("spot.book_ticker", "spot.trades"));
    }
    for frame in &frames {
        for cut in 0..=frame.len() {
            let Some(compact) = frame.get(..cut) else {
                continue;
            };
            let general = spaced(compact);
            let fast = parse_both_ways(compact.as_bytes());
            let slow = parse_frame(general.as_bytes());
            assert_eq!(summary(&fast), summary(&slow), "{compact}");
        }
    }
    let frame = format!("{HEAD}{RESULT}}}");
    let Ok(Message::BookTicker(ticker)) = parse_frame(frame.as_bytes()) else {
        panic!("{frame}");
    };
    let (Some(bid), Some(ask)) = (ticker.bid, ticker.ask) else {
        panic!("{ticker:?}");
    };
    let decimal = market_types::Decimal::parse;
    assert_eq!(Ok(bid.quantity.value()), decimal("0.0003341504"));
    assert_eq!(Ok(ask.quantity.value()), decimal("0.09"));
    assert_eq!(ticker.update_id, Some(48_733_182));
}

const TRADES_HEAD: &str = r#"{"channel":"futures.trades","event":"update","time":1541503698,"time_ms":1541503698123,"result":"#;
const TRADE: &str = r#"{"size":-108,"id":27753479,"create_time":1545136464,"create_time_ms":1545136464123,"price":"96.4","contract":"BTC_USD","is_internal":true}"#;

fn trades_frame(result: &str) -> String {
    format!("{TRADES_HEAD}{result}}}")
}

/// The venue's futures trade layout (read in order without key lookups) and its
/// near misses give what the general loop gives, values and errors alike.
#[test]
fn compact_futures_trades_agree_with_the_general_path() {
    let items = [
        TRADE.to_string(),
        TRADE.replace("-108", "\"5.25\""),
        TRADE.replace("true", "false"),
        TRADE.replace("true", "1"),
        TRADE.replace("\"96.4\"", "96.4"),
        TRADE.replace("\"96.4\"", "\"x\""),
        TRADE.replace("\"96.4\"", "\"\""),
        TRADE.replace("27753479", "\"0012\""),
        TRADE.replace("27753479", "-1"),
        TRADE.replace("1545136464123", "\"1545136464123.5\""),
        TRADE.replace("BTC_USD", ""),
        TRADE.replace(",\"is_internal\":true", ""),
        TRADE.replace("}", ",\"x\":1}"),
        TRADE.replace("\"contract\"", "\"contracts\""),
        TRADE.replace("\"size\":-108,", "") + ",",
        TRADE.replace("\"size\"", "\"amount\""),
        TRADE.replace("\"create_time_ms\"", "\"create_time\""),
    ];
    for item in &items {
        for result in [
            item.clone(),
            format!("[{item}]"),
            format!("[{TRADE},{item}]"),
            format!("[{item},{TRADE}]"),
        ] {
            let frame = trades_frame(&result);
            for cut in 0..=frame.len() {
                let Some(compact) = frame.get(..cut) else {
                    continue;
                };
                let general = spaced(compact);
                let fast = parse_both_ways(compact.as_bytes());
                let slow = parse_frame(general.as_bytes());
                assert_eq!(items_summary(&fast), items_summary(&slow), "{compact}");
            }
        }
    }
}

/// [`summary`] with the items' errors by kind (their offsets differ with spacing).
fn items_summary(result: &Result<Message<'_>, Error>) -> String {
    match result {
        Ok(Message::Trades(items)) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Ok(trade) => format!("{trade:?}"),
                    Err(Error::InvalidField { field, reason, .. }) => {
                        format!("invalid {field}: {reason:?}")
                    }
                    Err(Error::MissingField { field, .. }) => format!("missing {field}"),
                    Err(error) => format!("{:?}", core::mem::discriminant(&error)),
                })
                .collect();
            format!("{items:?}")
        }
        other => summary(other),
    }
}

/// Trade arrays are only delimited when the frame is parsed; whatever is wrong inside
/// them comes out of the iterator as an error, never as an array cut short.
#[test]
fn malformed_trade_arrays_end_in_an_error_item() {
    let results = [
        format!("[{TRADE}}}"),
        format!("[{TRADE},]"),
        format!("[{TRADE} {TRADE}]"),
        format!("[{TRADE}{TRADE}]"),
        format!("[{TRADE},{}]", TRADE.replace("-108", "01")),
        format!("[{TRADE},{}]", TRADE.replace("-108", "-")),
        format!("[{TRADE},{}]", TRADE.replace("true", "tru")),
        format!("[{TRADE},{}]", TRADE.replace(":true", ":[}")),
        format!("[{TRADE},{}]", TRADE.replace("BTC_USD", "BTC\\qUSD")),
        format!("[{TRADE},{}]", TRADE.replace(",\"id\"", "\"id\"")),
        format!("[{TRADE},{}]", TRADE.replace("\"price\":", "\"price\"")),
        format!("[{TRADE},{}]", TRADE.replace("}", ",\"x\":[1 2]}")),
        format!("[{TRADE},{}]", TRADE.replace("}", ",\"x\":{\"a\":]}")),
        format!("[{TRADE}, 7]"),
        format!("[{TRADE},[]]"),
        TRADE.replace("}", "]"),
    ];
    let mut lazily = 0;
    for result in &results {
        for frame in [trades_frame(result), spaced(&trades_frame(result))] {
            match parse_frame(frame.as_bytes()) {
                Ok(Message::Trades(items)) => {
                    lazily += 1;
                    let all: Vec<_> = items.iter().collect();
                    let last = all.last().unwrap_or_else(|| panic!("no items: {frame}"));
                    match last {
                        Err(error) => assert!(error.is_decode(), "{frame}: {error}"),
                        Ok(_) => panic!("malformed array read as valid: {frame}"),
                    }
                    assert!(all.iter().rev().skip(1).all(Result::is_ok), "{frame}");
                }
                Ok(other) => panic!("{frame}: {other:?}"),
                Err(error) => assert!(error.is_decode(), "{frame}: {error}"),
            }
        }
    }
    // Most are only found on iteration; none is read as a shorter valid array.
    assert!(lazily >= 20, "{lazily}");
}

/// Whatever a trades push's iterator reads without an error is valid JSON ending
/// exactly where the array does (random structural damage to a two-trade push).
#[test]
fn trade_items_read_cleanly_only_from_valid_arrays() {
    let frame = trades_frame(&format!("[{TRADE},{}]", TRADE.replace("-108", "5")));
    let structural = b"{}[]\",:\\-.0e t";
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut clean = 0;
    for _ in 0..30_000 {
        let mut bytes = frame.as_bytes().to_vec();
        for _ in 0..1 + next() % 2 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = structural[(next() % structural.len() as u64) as usize];
        }
        let Ok(Message::Trades(items)) = parse_frame(&bytes) else {
            continue;
        };
        if items.iter().all(|item| item.is_ok()) {
            let array = items.as_bytes();
            let mut sc = Scanner::new(array);
            assert!(
                sc.skip_value().and_then(|()| sc.finish()).is_ok(),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            clean += 1;
        }
    }
    assert!(clean > 100, "{clean}");
}
