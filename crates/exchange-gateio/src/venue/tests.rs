#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use super::*;

#[test]
fn names_round_trip() {
    for channel in Channel::ALL {
        assert_eq!(
            Channel::from_wire(channel.as_str().as_bytes()),
            Some(channel)
        );
        let prefix = channel.as_str().split('.').next().unwrap();
        assert_eq!(prefix, channel.market().as_str());
    }
    for name in [
        &b"spot.trades_v2"[..],
        b"",
        b"spot.",
        b"futures.",
        b"spot",
        b"futures.candlesticks",
        b"spot.positions",
        b"spot.public_liquidates",
        b"SPOT.trades",
        b"spot.futures.trades",
        b"futures.spot.trades",
        b"spot.book_tickers",
        b"spot.book_ticke",
        b" spot.trades",
    ] {
        assert_eq!(Channel::from_wire(name), None, "{name:?}");
    }
}

/// The table agrees with the `match` blocks it replaced.
#[test]
fn table_keeps_the_old_attributes() {
    use Channel as C;
    for channel in Channel::ALL {
        let private = matches!(
            channel,
            C::SpotOrders
                | C::SpotUserTrades
                | C::SpotBalances
                | C::FuturesOrders
                | C::FuturesUserTrades
                | C::FuturesPositions
                | C::FuturesBalances
                | C::FuturesLiquidates
        );
        assert_eq!(channel.is_private(), private, "{channel}");
        let control = matches!(
            channel,
            C::SpotPing
                | C::SpotPong
                | C::SpotLogin
                | C::FuturesPing
                | C::FuturesPong
                | C::FuturesLogin
        );
        assert_eq!(channel.is_subscribable(), !control, "{channel}");
        let kind = match channel {
            C::SpotOrderBookUpdate
            | C::FuturesOrderBookUpdate
            | C::SpotOrderBook
            | C::SpotObu
            | C::FuturesOrderBook
            | C::FuturesObu => StreamKind::Book,
            C::SpotTrades | C::FuturesTrades | C::FuturesPublicLiquidates => StreamKind::Trade,
            C::SpotBookTicker
            | C::FuturesBookTicker
            | C::SpotTickers
            | C::FuturesTickers
            | C::SpotCandlesticks => StreamKind::Ticker,
            _ if private => StreamKind::Private,
            _ => StreamKind::Control,
        };
        assert_eq!(channel.stream_kind(), kind, "{channel}");
        let market = if channel.as_str().starts_with("spot.") {
            Market::Spot
        } else {
            Market::Futures
        };
        assert_eq!(channel.market(), market, "{channel}");
        assert_eq!(channel.spec().channel, channel);
    }
}
