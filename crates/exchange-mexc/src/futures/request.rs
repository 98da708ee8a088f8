//! Requests: subscriptions (`{"method":"sub.depth","param":{…}}`), their
//! unsubscriptions and the client ping. Depth is always asked for unmerged and
//! uncompressed (`"compress":false`, `"gzip":false`) so every version arrives, as the book
//! needs; binary frames are still accepted ([`crate::futures::decode_binary`]).

use market_types::Symbol;
use ws_session::OutFrame;

/// Levels of `sub.depth.full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DepthFullLimit {
    /// Top 5.
    Five,
    /// Top 10.
    Ten,
    /// Top 20 (the venue's default).
    #[default]
    Twenty,
}

impl DepthFullLimit {
    /// The number the venue expects.
    pub const fn levels(self) -> u8 {
        match self {
            DepthFullLimit::Five => 5,
            DepthFullLimit::Ten => 10,
            DepthFullLimit::Twenty => 20,
        }
    }
}

/// A public futures channel of one contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FuturesChannel {
    /// `sub.depth`, incremental, unmerged (`push.depth`).
    Depth(Symbol),
    /// `sub.depth.full`, the top-N book (`push.depth.full`).
    DepthFull(Symbol, DepthFullLimit),
    /// `sub.deal` (`push.deal`).
    Deal(Symbol),
    /// `sub.ticker` (`push.ticker`).
    Ticker(Symbol),
}

impl FuturesChannel {
    /// The contract.
    pub const fn symbol(&self) -> Symbol {
        match *self {
            FuturesChannel::Depth(s)
            | FuturesChannel::DepthFull(s, _)
            | FuturesChannel::Deal(s)
            | FuturesChannel::Ticker(s) => s,
        }
    }

    /// The name after `sub.`/`unsub.` and in the `rs.sub.<name>` ack.
    pub const fn name(&self) -> &'static str {
        match self {
            FuturesChannel::Depth(_) => "depth",
            FuturesChannel::DepthFull(..) => "depth.full",
            FuturesChannel::Deal(_) => "deal",
            FuturesChannel::Ticker(_) => "ticker",
        }
    }

    /// The push channel that carries its data.
    pub const fn push_channel(&self) -> &'static str {
        match self {
            FuturesChannel::Depth(_) => "push.depth",
            FuturesChannel::DepthFull(..) => "push.depth.full",
            FuturesChannel::Deal(_) => "push.deal",
            FuturesChannel::Ticker(_) => "push.ticker",
        }
    }

    fn request(&self, verb: &str) -> String {
        let name = self.name();
        // A symbol may hold any printable ASCII, quotes included: JSON-quote it.
        let symbol = serde_json::to_string(self.symbol().as_str()).unwrap_or_default();
        match self {
            FuturesChannel::Depth(_) if verb == "sub" => format!(
                r#"{{"method":"sub.depth","param":{{"symbol":{symbol},"compress":false}},"gzip":false}}"#
            ),
            FuturesChannel::DepthFull(_, limit) => format!(
                r#"{{"method":"{verb}.{name}","param":{{"symbol":{symbol},"limit":{}}},"gzip":false}}"#,
                limit.levels()
            ),
            _ => format!(
                r#"{{"method":"{verb}.{name}","param":{{"symbol":{symbol}}},"gzip":false}}"#
            ),
        }
    }
}

/// The subscription request for `channel`.
pub fn subscribe(channel: &FuturesChannel) -> OutFrame {
    OutFrame::text(channel.request("sub"))
}

/// The unsubscription request (`unsub.<name>`; the venue's document spells the
/// full-depth one `usub.depth.full`, but clients in use send `unsub.depth.full` and get
/// `rs.unsub.depth.full`).
pub fn unsubscribe(channel: &FuturesChannel) -> OutFrame {
    OutFrame::text(channel.request("unsub"))
}

/// `{"method":"ping"}`; send every 10–20 s (the venue drops a connection silent for a
/// minute).
pub fn ping() -> OutFrame {
    OutFrame::text(PING)
}

/// The ping's text.
pub const PING: &str = r#"{"method":"ping"}"#;
