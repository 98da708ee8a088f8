"""Drives ``exchange_ws._native.Replay`` as Gate.io would: answers the subscribe requests,
the snapshot request, then feeds pushes; every event reaches Python as the
``exchange_ws.Event`` a user of ``client.events()`` gets."""

from __future__ import annotations

from decimal import Decimal
from typing import List, Optional, Sequence, Tuple

from exchange_ws import Book, Event, _native

import gateio_frames

Levels = List[Tuple[Decimal, Decimal]]


class ReplayFeed:
    def __init__(
        self,
        venue: str,
        symbols: Sequence[str],
        channels: Sequence[str],
        levels: Optional[int] = None,
        depth: Optional[int] = None,
    ) -> None:
        self.last: Optional[Event] = None
        self.replay = _native.Replay(venue, list(symbols), list(channels), self._on_event, depth, levels)
        self._stage = "event"

    def _on_event(self, event: Event) -> None:
        # The Event is what Client.events() yields; nothing in it is converted yet.
        if self._stage == "event":
            self.last = event
        elif self._stage == "top":
            # Reading the best bid and ask as Decimals (the values a strategy looks at).
            if event.kind == "ticker":
                event.bid.price, event.ask.price
            elif event.kind == "book_update":
                event.bids[0].price, event.asks[0].price
        elif self._stage == "all":
            # Converting every price and quantity of the event to Decimal.
            if event.kind == "ticker":
                event.bid, event.ask
            elif event.kind == "book_update":
                list(event.bids), list(event.asks)

    def stop_at(self, stage: str) -> None:
        """What the callback does with each event, to see what reading it costs: ``event``
        (keeps it: what delivery costs), ``top`` (also reads the best bid and ask price as
        ``Decimal``) or ``all`` (also converts every level to ``Level(Decimal, Decimal)``)."""
        if stage not in ("event", "top", "all"):
            raise ValueError(stage)
        self._stage = stage

    def start_book(self, snapshot: Optional[str], bridge: Optional[str] = None) -> None:
        """Connects, acknowledges every subscription and, when a book is subscribed,
        answers its snapshot request with ``snapshot`` (a REST body) and feeds ``bridge``,
        the first push after the snapshot, which makes the book live (it delivers a status
        event and the whole book, so later pushes give one event each)."""
        requests = self.replay.connect()
        if not requests:
            raise RuntimeError("the handler sent no subscribe request")
        self.replay.feed([gateio_frames.ack(r) for r in requests])
        pending = self.replay.rest_requests()
        if snapshot is None:
            if pending:
                raise RuntimeError(f"unexpected REST requests {pending}")
            return
        if len(pending) != 1 or "with_id=true" not in pending[0]:
            raise RuntimeError(f"expected one snapshot request, got {pending}")
        self.replay.answer_rest(snapshot)
        if bridge is not None:
            self.replay.feed([bridge])
            if not self.book(self.replay_symbol(pending[0])).is_live:
                raise RuntimeError("the bridging push did not make the book live")

    @staticmethod
    def replay_symbol(url: str) -> str:
        """The symbol a snapshot request asks for."""
        return url.split("currency_pair=", 1)[1].split("&", 1)[0]

    def feed(self, frames: List[str]) -> int:
        """Feeds frames; how many events reached Python."""
        return int(self.replay.feed(frames))

    def book(self, symbol: str) -> Book:
        return Book(Event._from_json(self.replay.book(symbol)))

    def check_book(self, symbol: str, expected: Tuple[Levels, Levels]) -> None:
        """Raises unless the local book is live and equals ``expected`` (bids, asks)."""
        book = self.book(symbol)
        got = ([(l.price, l.qty) for l in book.bids], [(l.price, l.qty) for l in book.asks])
        if not book.is_live or got != expected:
            raise RuntimeError(f"the replayed book differs from the venue's: {book!r}")
