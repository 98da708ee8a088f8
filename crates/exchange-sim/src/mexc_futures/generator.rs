//! The book generator's output: per-version and merged `push.depth`, deals, ticker and
//! top-N depth, with the version faults applied on the way.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use market_types::Symbol;

use crate::mexc::Interval;
use crate::mexc::book::PublicTrade;
use crate::mexc_futures::config::DealShape;
use crate::mexc_futures::venue::{
    DEPTH_FULL_LIMITS, MexcFuturesStats, MexcFuturesVenue, Published, State, Topic, now_ms,
};
use crate::mexc_futures::wire;

impl MexcFuturesVenue {
    pub(super) fn tick(&self) {
        let now = now_ms();
        let mut state = self.lock();
        if state.paused {
            return;
        }
        state.ticks += 1;
        let slow = state
            .ticks
            .is_multiple_of(u64::from(self.config.slow_every));
        let symbols: Vec<Symbol> = state.books.keys().copied().collect();
        for symbol in symbols {
            let versions = match state.books.get_mut(&symbol) {
                Some(contract) => contract
                    .book
                    .versions_this_tick(self.config.max_versions_per_tick),
                None => continue,
            };
            self.step_contract(&mut state, symbol, versions, now);
            if slow {
                self.publish_snapshots(&mut state, symbol, now);
            }
        }
    }

    /// Makes `versions` pushed versions (plus armed hidden ones) of one contract.
    pub(super) fn step_contract(&self, state: &mut State, symbol: Symbol, versions: u32, now: i64) {
        let gaps = take_all(&mut state.gaps, symbol);
        let mut duplicates = take_all(&mut state.duplicates, symbol);
        let merge = take_all(&mut state.merged, symbol) > 0;
        let versions = if merge {
            versions.max(MERGED_VERSIONS)
        } else {
            versions
        };
        let depth = Topic::Depth(symbol);
        let mut trades: Vec<PublicTrade> = Vec::new();
        // What a merged per-version push carries: price units to contracts, and its version.
        let mut merged: (BTreeMap<i64, i64>, BTreeMap<i64, i64>, u64) = Default::default();
        for index in 0..versions as usize + gaps {
            let Some(contract) = state.books.get_mut(&symbol) else {
                return;
            };
            contract.book.step();
            let Some(flush) = contract.book.take_window(Interval::Ms10) else {
                continue;
            };
            let scale = contract.spec.book.price_scale;
            // Hidden versions come first, so the next pushed one is previous + 2.
            let hidden = index < gaps;
            if merge && !hidden {
                merged.0.extend(flush.asks.iter().copied());
                merged.1.extend(flush.bids.iter().copied());
                merged.2 = flush.to;
            }
            let frame = (!hidden && !merge && is_held(&state.subscribers, depth)).then(|| {
                let data = wire::depth_data(&flush.asks, &flush.bids, flush.to, scale);
                wire::push("push.depth", &data, symbol.as_str(), now)
            });
            if !hidden {
                trades.extend(flush.trades.iter().cloned());
            }
            contract.commits.push_back(flush);
            if contract.commits.len() > self.config.commits_kept {
                contract.commits.pop_front();
            }
            if hidden {
                state.stats.faults_applied += 1;
            }
            if let Some(frame) = frame {
                if duplicates > 0 {
                    duplicates -= 1;
                    state.stats.faults_applied += 1;
                    self.publish(&mut state.stats, depth, frame.clone());
                }
                self.publish(&mut state.stats, depth, frame);
            }
        }
        // A duplicate armed while nobody was subscribed waits for a subscriber.
        for _ in 0..duplicates {
            state.duplicates.push_back(symbol);
        }
        let Some(contract) = state.books.get_mut(&symbol) else {
            return;
        };
        if merge {
            state.stats.faults_applied += 1;
            let (asks, bids, version) = merged;
            let asks: Vec<(i64, i64)> = asks.into_iter().collect();
            let bids: Vec<(i64, i64)> = bids.into_iter().rev().collect();
            let data = wire::depth_data(&asks, &bids, version, contract.spec.book.price_scale);
            let frame = wire::push("push.depth", &data, symbol.as_str(), now);
            self.publish(&mut state.stats, depth, frame);
        }
        let merged = contract.book.take_window(Interval::Ms100);
        let scale = contract.spec.book.price_scale;
        for trade in &trades {
            let ticker = &mut contract.ticker;
            ticker.last = trade.price;
            ticker.high = ticker.high.max(trade.price);
            ticker.low = ticker.low.min(trade.price);
            ticker.volume24 = ticker
                .volume24
                .saturating_add(trade.quantity.unsigned_abs());
        }
        let mut frames = Vec::new();
        if let Some(flush) = merged
            && is_held(&state.subscribers, Topic::DepthMerged(symbol))
        {
            let data = wire::depth_data(&flush.asks, &flush.bids, flush.to, scale);
            frames.push((
                Topic::DepthMerged(symbol),
                wire::push("push.depth", &data, symbol.as_str(), now),
            ));
        }
        let deal = Topic::Deal(symbol);
        if !trades.is_empty() && is_held(&state.subscribers, deal) {
            match self.config.deal_shape {
                DealShape::Object => {
                    for trade in &trades {
                        let data = wire::deal(trade, scale, now);
                        frames.push((deal, wire::push("push.deal", &data, symbol.as_str(), now)));
                    }
                }
                DealShape::Array => {
                    let items: Vec<String> =
                        trades.iter().map(|t| wire::deal(t, scale, now)).collect();
                    let data = format!("[{}]", items.join(","));
                    frames.push((deal, wire::push("push.deal", &data, symbol.as_str(), now)));
                }
            }
        }
        for (topic, frame) in frames {
            self.publish(&mut state.stats, topic, frame);
        }
    }

    /// The slow cadence: ticker and top-N depth.
    fn publish_snapshots(&self, state: &mut State, symbol: Symbol, now: i64) {
        let Some(contract) = state.books.get_mut(&symbol) else {
            return;
        };
        let scale = contract.spec.book.price_scale;
        let mut frames = Vec::new();
        if is_held(&state.subscribers, Topic::Ticker(symbol)) {
            let (bid, ask) = contract.book.touch();
            let ticker = &mut contract.ticker;
            ticker.bid = bid.map_or(ticker.bid, |l| l.0);
            ticker.ask = ask.map_or(ticker.ask, |l| l.0);
            let data = wire::ticker_data(ticker, symbol.as_str(), scale, now);
            frames.push((
                Topic::Ticker(symbol),
                wire::push("push.ticker", &data, symbol.as_str(), now),
            ));
        }
        for limit in DEPTH_FULL_LIMITS {
            let topic = Topic::DepthFull(symbol, limit);
            if is_held(&state.subscribers, topic) {
                let (bids, asks) = contract.book.top(limit);
                let data = wire::depth_data(&asks, &bids, contract.book.version(), scale);
                frames.push((
                    topic,
                    wire::push("push.depth.full", &data, symbol.as_str(), now),
                ));
            }
        }
        for (topic, frame) in frames {
            self.publish(&mut state.stats, topic, frame);
        }
    }

    pub(super) fn publish(&self, stats: &mut MexcFuturesStats, topic: Topic, text: Bytes) {
        stats.pushes_published += 1;
        // No receiver just means nobody is connected.
        let _ = self.feed.send(Arc::new(Published { topic, text }));
    }
}

/// How many versions a [`MexcFuturesFault::MergedDepth`] push covers at least.
const MERGED_VERSIONS: u32 = 3;

fn is_held(subscribers: &HashMap<Topic, usize>, topic: Topic) -> bool {
    subscribers.get(&topic).is_some_and(|n| *n > 0)
}

fn take_all(queue: &mut VecDeque<Symbol>, symbol: Symbol) -> usize {
    let before = queue.len();
    queue.retain(|s| *s != symbol);
    before - queue.len()
}
