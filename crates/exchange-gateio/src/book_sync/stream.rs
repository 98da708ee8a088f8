//! The single-pass decoder: a live push's levels go straight from the frame into the
//! book (no intermediate buffer, no allocation); the generic machine does the rest.

use market_types::{OrderBook, ResyncReason, Side, Symbol};
use ws_handlers::LiveSlot;

use super::BookSync;
use crate::json::{Fault, Scanner};
use crate::wire::book::{level, quick_level};
use crate::wire::read;
use crate::wire::{CompactHead, Event};

impl BookSync {
    /// Reads the envelope up to the `result` of an `update` push of this sync's channel;
    /// what to answer instead for any other frame.
    pub(super) fn read_envelope(&self, sc: &mut Scanner<'_>) -> Option<Fast> {
        let mut first = true;
        if sc.begin_object().is_err() {
            return Some(Fast::Fallback);
        }
        let (mut ours, mut update) = (false, false);
        loop {
            let Ok(Some(key)) = sc.next_key(&mut first) else {
                return Some(Fast::Fallback);
            };
            match key.raw {
                b"channel" => match read::word(sc, "channel") {
                    Ok(name) if name == self.channel.as_str().as_bytes() => ours = true,
                    Ok(_) => return Some(Fast::NotOurs),
                    Err(_) => return Some(Fast::Fallback),
                },
                b"event" => match read::word(sc, "event") {
                    Ok(b"update" | b"all") => update = true,
                    Ok(_) => return Some(Fast::NotOurs),
                    Err(_) => return Some(Fast::Fallback),
                },
                b"result" if ours && update => return None,
                b"result" => return Some(Fast::Fallback),
                _ => {
                    if sc.skip_value().is_err() {
                        return Some(Fast::Fallback);
                    }
                }
            }
        }
    }

    /// The single-pass decoder behind [`BookSync::on_frame`]. It commits to applying only
    /// once the header has been read and says the push continues a live book; until then
    /// nothing is changed and any surprise means [`Fast::Fallback`].
    #[inline]
    pub(super) fn stream(&mut self, frame: &[u8], head: Option<CompactHead>) -> Fast {
        let mut sc = Scanner::new(frame);
        // Envelope up to `result`: only `update` pushes of our channel are taken.
        match head {
            Some(head) => {
                if head.channel != self.channel || !matches!(head.event, Event::Update | Event::All)
                {
                    return Fast::NotOurs;
                }
                sc.set_pos(head.result_at);
            }
            None => {
                if let Some(fast) = self.read_envelope(&mut sc) {
                    return fast;
                }
            }
        }
        // Header, up to the first level array.
        let mut first = true;
        if sc.begin_object().is_err() {
            return Fast::Fallback;
        }
        let mut header = Header::default();
        let side = loop {
            let Ok(Some(key)) = sc.next_key(&mut first) else {
                return Fast::Fallback;
            };
            let fresh = match key.raw {
                b"b" => break Side::Buy,
                b"a" => break Side::Sell,
                b"s" => {
                    header.symbol.is_none() && {
                        header.symbol = read::symbol(&mut sc, "s").ok();
                        header.symbol.is_some()
                    }
                }
                b"U" => {
                    header.first.is_none() && {
                        header.first = read::uint(&mut sc, "U").ok();
                        header.first.is_some()
                    }
                }
                b"u" => {
                    header.last.is_none() && {
                        header.last = read::uint(&mut sc, "u").ok();
                        header.last.is_some()
                    }
                }
                b"full" => {
                    header.full.is_none() && {
                        header.full = read::boolean(&mut sc, "full").ok();
                        header.full == Some(false)
                    }
                }
                b"t" => read::millis(&mut sc, "t")
                    .map(|t| header.time_ms = t)
                    .is_ok(),
                b"l" => read::uint(&mut sc, "l")
                    .map(|l| header.depth = Some(l))
                    .is_ok(),
                _ => sc.skip_value().is_ok(),
            };
            if !fresh {
                return Fast::Fallback;
            }
        };
        let (Some(symbol), Some(first_id), Some(last_id)) =
            (header.symbol, header.first, header.last)
        else {
            return Fast::Fallback;
        };
        let depth = u64::from(self.config.depth.levels());
        if header.depth.is_some_and(|l| l != depth) || first_id > last_id {
            return Fast::Fallback;
        }
        let Some((slot, book)) = self.inner.continuing(symbol, first_id, last_id) else {
            return Fast::Fallback;
        };
        // Committed: from here on the book changes, and a broken frame restarts it.
        let broken = |fault| Fast::Broken {
            slot,
            symbol,
            fault,
        };
        let (mut seen_bids, mut seen_asks) = (false, false);
        let mut side = Some(side);
        loop {
            if let Some(side) = side.take() {
                let seen = match side {
                    Side::Buy => &mut seen_bids,
                    Side::Sell => &mut seen_asks,
                };
                if *seen {
                    return broken(Fault::duplicate(
                        if side == Side::Buy { "b" } else { "a" },
                        sc.pos(),
                    ));
                }
                *seen = true;
                match stream_side(&mut sc, book, side) {
                    Ok(()) => {}
                    Err(Stop::Fault(fault)) => return broken(fault),
                    Err(Stop::Book(reason)) => return Fast::Rejected { slot, reason },
                }
            }
            let key = match sc.next_key(&mut first) {
                Ok(Some(key)) => key,
                Ok(None) => break,
                Err(fault) => return broken(fault),
            };
            let at = key.at;
            let checked = match key.raw {
                b"b" => {
                    side = Some(Side::Buy);
                    Ok(())
                }
                b"a" => {
                    side = Some(Side::Sell);
                    Ok(())
                }
                // A late `full: true` would have meant "replace", not "amend".
                b"full" => match read::boolean(&mut sc, "full") {
                    Ok(false) if header.full.is_none() => Ok(()),
                    Ok(_) => Err(Fault::duplicate("full", at)),
                    Err(fault) => Err(fault),
                },
                b"s" | b"U" | b"u" => Err(Fault::duplicate("u", at)),
                // Futures send `l` last. A push of another depth (a second subscription
                // to the same pair) has just been applied to the wrong book.
                b"l" => match read::uint(&mut sc, "l") {
                    Ok(l) if header.depth.is_none() => {
                        if l != depth {
                            return Fast::Rejected {
                                slot,
                                reason: ResyncReason::InvalidUpdate,
                            };
                        }
                        Ok(())
                    }
                    Ok(_) => Err(Fault::duplicate("l", at)),
                    Err(fault) => Err(fault),
                },
                b"t" => read::millis(&mut sc, "t").map(|t| header.time_ms = t),
                _ => sc.skip_value(),
            };
            if let Err(fault) = checked {
                return broken(fault);
            }
        }
        // The rest of the envelope must be well formed too.
        let mut first = false;
        loop {
            match sc.next_key(&mut first) {
                Ok(Some(key)) => {
                    if matches!(key.raw, b"channel" | b"event" | b"result") {
                        return broken(Fault::duplicate("result", key.at));
                    }
                    if let Err(fault) = sc.skip_value() {
                        return broken(fault);
                    }
                }
                Ok(None) => break,
                Err(fault) => return broken(fault),
            }
        }
        if let Err(fault) = sc.finish() {
            return broken(fault);
        }
        Fast::Commit {
            slot,
            first: first_id,
            last: last_id,
            time_ms: header.time_ms,
        }
    }
}

/// What the single-pass decoder did.
pub(super) enum Fast {
    /// Not an update push of this sync's channel.
    NotOurs,
    /// The levels are in the book; the generic machine checks and reports it.
    Commit {
        slot: LiveSlot,
        first: u64,
        last: u64,
        time_ms: u64,
    },
    /// Nothing changed; take the general path.
    Fallback,
    /// Levels were applied, then the frame turned out broken.
    Broken {
        slot: LiveSlot,
        symbol: Symbol,
        fault: Fault,
    },
    /// The update is well formed but makes the book invalid.
    Rejected {
        slot: LiveSlot,
        reason: ResyncReason,
    },
}

/// Header members read before the first level array.
#[derive(Debug, Default)]
struct Header {
    symbol: Option<Symbol>,
    first: Option<u64>,
    last: Option<u64>,
    full: Option<bool>,
    time_ms: u64,
    depth: Option<u64>,
}

enum Stop {
    Fault(Fault),
    Book(ResyncReason),
}

/// Decodes one level array straight into the book.
#[inline]
fn stream_side(sc: &mut Scanner<'_>, book: &mut OrderBook, side: Side) -> Result<(), Stop> {
    let at = sc.pos();
    if sc.peek().map_err(Stop::Fault)? != b'[' {
        return Err(Stop::Fault(Fault::invalid(
            "b",
            crate::error::FieldError::ExpectedArray,
            at,
        )));
    }
    sc.begin_array().map_err(Stop::Fault)?;
    if sc.peek().map_err(Stop::Fault)? == b']' {
        sc.set_pos(sc.pos() + 1);
        return Ok(());
    }
    loop {
        let (price, size) = match quick_level(sc.bytes(), sc.pos()) {
            Some((price, size, end)) => {
                sc.set_pos(end);
                (price, size)
            }
            None => level(sc).map_err(Stop::Fault)?,
        };
        book.apply(side, price, size)
            .map_err(|e| Stop::Book(e.resync_reason()))?;
        match sc.peek().map_err(Stop::Fault)? {
            b',' => sc.set_pos(sc.pos() + 1),
            b']' => {
                sc.set_pos(sc.pos() + 1);
                return Ok(());
            }
            other => {
                return Err(Stop::Fault(Fault::json(
                    crate::error::Malformation::UnexpectedByte(other),
                    sc.pos(),
                )));
            }
        }
    }
}
