//! The jsonl form of an [`Event`]: the documented key order, exact decimals as strings.

use market_types::{BookStatus, BookUpdateKind, Level, Side};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use ws_mixins::ErrorCategory;

use super::{ConnectionStatus, Event, EventBody};

/// Lower-case name of a stream error's category.
pub fn category_name(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Parse => "parse",
        ErrorCategory::SubscriptionRejected => "subscription_rejected",
        ErrorCategory::Authentication => "authentication",
        ErrorCategory::BookSync => "book_sync",
        ErrorCategory::Rest => "rest",
        ErrorCategory::Venue => "venue",
    }
}

fn status_name(status: BookStatus) -> &'static str {
    match status {
        BookStatus::Syncing => "syncing",
        BookStatus::Live => "live",
        BookStatus::Resyncing(_) => "resyncing",
    }
}

fn status_reason(status: BookStatus) -> Option<String> {
    match status {
        BookStatus::Resyncing(reason) => Some(reason.to_string()),
        _ => None,
    }
}

/// `["price","qty"]`.
struct LevelPair<'a>(&'a Level);

impl Serialize for LevelPair<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(&self.0.price)?;
        seq.serialize_element(&self.0.quantity)?;
        seq.end()
    }
}

struct Levels<'a>(&'a [Level]);

impl Serialize for Levels<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(LevelPair))
    }
}

struct OptLevel<'a>(&'a Option<Level>);

impl Serialize for OptLevel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(level) => LevelPair(level).serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl Serialize for Event {
    // Written by hand so that the key order is the documented one.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("kind", self.kind().as_str())?;
        m.serialize_entry("venue", self.venue.as_str())?;
        let mut exchange_ts: Option<u64> = None;
        match &self.body {
            EventBody::Trade(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("trade_id", &t.trade_id)?;
                m.serialize_entry("price", &t.price)?;
                m.serialize_entry("quantity", &t.quantity)?;
                m.serialize_entry("side", &t.taker_side.map(Side::as_str))?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::Ticker(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("bid", &OptLevel(&t.bid))?;
                m.serialize_entry("ask", &OptLevel(&t.ask))?;
                m.serialize_entry("update_id", &t.update_id)?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::Ticker24h(t) => {
                m.serialize_entry("symbol", &t.symbol)?;
                m.serialize_entry("last", &t.last)?;
                m.serialize_entry("best_bid", &t.best_bid)?;
                m.serialize_entry("best_ask", &t.best_ask)?;
                m.serialize_entry("high_24h", &t.high_24h)?;
                m.serialize_entry("low_24h", &t.low_24h)?;
                m.serialize_entry("base_volume", &t.base_volume)?;
                m.serialize_entry("quote_volume", &t.quote_volume)?;
                m.serialize_entry("change_percentage", &t.change_percentage)?;
                m.serialize_entry("mark_price", &t.mark_price)?;
                m.serialize_entry("index_price", &t.index_price)?;
                m.serialize_entry("funding_rate", &t.funding_rate)?;
                exchange_ts = Some(t.exchange_time_ms);
            }
            EventBody::BookUpdate { update, bids, asks } => {
                m.serialize_entry("symbol", &update.symbol)?;
                m.serialize_entry(
                    "update",
                    match update.kind {
                        BookUpdateKind::Snapshot => "snapshot",
                        BookUpdateKind::Delta => "delta",
                    },
                )?;
                m.serialize_entry("first_update_id", &update.first_update_id)?;
                m.serialize_entry("last_update_id", &update.last_update_id)?;
                m.serialize_entry("bids", &Levels(bids))?;
                m.serialize_entry("asks", &Levels(asks))?;
                exchange_ts = Some(update.exchange_time_ms);
            }
            EventBody::BookStatus(e) => {
                m.serialize_entry("symbol", &e.symbol)?;
                m.serialize_entry("status", status_name(e.status))?;
                m.serialize_entry("reason", &status_reason(e.status))?;
            }
            EventBody::Order(o) => {
                m.serialize_entry("symbol", &o.symbol)?;
                m.serialize_entry("order_id", &o.order_id)?;
                m.serialize_entry("client_order_id", &o.client_order_id)?;
                m.serialize_entry("side", o.side.as_str())?;
                m.serialize_entry("order_type", &o.order_type)?;
                m.serialize_entry("price", &o.price)?;
                m.serialize_entry("quantity", &o.quantity)?;
                m.serialize_entry("filled", &o.filled)?;
                m.serialize_entry("average_price", &o.average_price)?;
                m.serialize_entry("status", &o.status)?;
                exchange_ts = Some(o.update_time_ms);
            }
            EventBody::Fill(f) => {
                m.serialize_entry("symbol", &f.symbol)?;
                m.serialize_entry("trade_id", &f.trade_id)?;
                m.serialize_entry("order_id", &f.order_id)?;
                m.serialize_entry("client_order_id", &f.client_order_id)?;
                m.serialize_entry("side", f.side.as_str())?;
                m.serialize_entry("price", &f.price)?;
                m.serialize_entry("quantity", &f.quantity)?;
                m.serialize_entry("fee", &f.fee)?;
                m.serialize_entry("fee_asset", &f.fee_asset)?;
                m.serialize_entry("role", &f.role)?;
                exchange_ts = Some(f.time_ms);
            }
            EventBody::Balance(b) => {
                m.serialize_entry("asset", &b.asset)?;
                m.serialize_entry("available", &b.available)?;
                m.serialize_entry("locked", &b.locked)?;
                exchange_ts = Some(b.time_ms);
            }
            EventBody::Position(p) => {
                m.serialize_entry("symbol", &p.symbol)?;
                m.serialize_entry("contract", &p.symbol)?;
                m.serialize_entry("size", &p.size)?;
                m.serialize_entry("entry_price", &p.entry_price)?;
                m.serialize_entry("leverage", &p.leverage)?;
                m.serialize_entry("liquidation_price", &p.liquidation_price)?;
                m.serialize_entry("realised_pnl", &p.realised_pnl)?;
                exchange_ts = Some(p.time_ms);
            }
            EventBody::Error { category, message } => {
                m.serialize_entry("category", category_name(*category))?;
                m.serialize_entry("message", message)?;
            }
            EventBody::Book(b) => {
                m.serialize_entry("symbol", &b.symbol)?;
                m.serialize_entry("status", status_name(b.status))?;
                m.serialize_entry("update_id", &b.update_id)?;
                m.serialize_entry("bids", &Levels(&b.bids))?;
                m.serialize_entry("asks", &Levels(&b.asks))?;
            }
            EventBody::Connection(c) => {
                m.serialize_entry("role", c.role.as_str())?;
                m.serialize_entry("shard", &c.shard)?;
                let (status, reason) = match &c.status {
                    ConnectionStatus::Connected => ("connected", None),
                    ConnectionStatus::Disconnected { reason } => ("disconnected", Some(reason)),
                };
                m.serialize_entry("status", status)?;
                m.serialize_entry("reason", &reason)?;
            }
            EventBody::Lagged(l) => {
                if let Some(symbol) = &l.symbol {
                    m.serialize_entry("symbol", symbol)?;
                }
                m.serialize_entry("lost", l.kind.as_str())?;
                m.serialize_entry("dropped", &l.dropped)?;
            }
        }
        if let Some(ts) = exchange_ts {
            m.serialize_entry("exchange_ts_ms", &ts)?;
        }
        m.serialize_entry("receive_ts_ns", &self.receive_ts_ns)?;
        m.end()
    }
}
