"""Gate.io spot wire frames for replay: a book that moves, and its best bid/ask.

The frames are what Gate.io sends (spot v4 WebSocket API, the shapes of
../shared/fixtures/gateio_spot_order_book_update.json and gateio_spot_book_ticker.json):
a REST snapshot (``GET /spot/order_book?with_id=true``), then ``spot.order_book_update``
pushes with contiguous update ids (``U`` = previous ``u`` + 1), and ``spot.book_ticker``
pushes. Prices move: levels are inserted inside the spread and deleted at the top, so
the best bid and ask walk. Every side keeps at most ``depth`` levels, so a client that
trims its book to the stream depth and one that keeps every level hold the same book.

Deterministic for a seed; no dependency beyond the standard library (the pytest suite
imports it).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Tuple

TICK = Decimal("0.01")
LOT = Decimal("0.0001")


def wire(message: object) -> str:
    """JSON as Gate.io's servers write it: compact, no space after ``:`` or ``,``."""
    return json.dumps(message, separators=(",", ":"))


def price_text(ticks: int) -> str:
    return str(Decimal(ticks) * TICK)


def qty_text(lots: int) -> str:
    return str(Decimal(lots) * LOT)


@dataclass
class BookModel:
    """The venue's book, in integer ticks and lots; what every client must end up with."""

    symbol: str = "BTC_USDT"
    depth: int = 20
    changes_per_side: int = 10
    seed: int = 7
    update_id: int = 1_000_000
    time_ms: int = 1_765_000_000_000
    bids: Dict[int, int] = field(default_factory=dict)
    asks: Dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        mid = 6_000_000  # 60000.00
        for i in range(self.depth):
            self.bids[mid - 1 - 2 * i] = self._lots()
            self.asks[mid + 1 + 2 * i] = self._lots()

    def _lots(self) -> int:
        return self.rng.randint(1, 200_000)

    def best_bid(self) -> int:
        return max(self.bids)

    def best_ask(self) -> int:
        return min(self.asks)

    def snapshot_body(self) -> str:
        """The REST answer to ``GET /spot/order_book?currency_pair=..&with_id=true``."""
        return wire(
            {
                "id": self.update_id,
                "current": self.time_ms,
                "update": self.time_ms - 2,
                "asks": self.levels(self.asks, reverse=False),
                "bids": self.levels(self.bids, reverse=True),
            }
        )

    @staticmethod
    def levels(side: Dict[int, int], reverse: bool) -> List[List[str]]:
        return [[price_text(p), qty_text(side[p])] for p in sorted(side, reverse=reverse)]

    def top(self) -> Tuple[List[Tuple[Decimal, Decimal]], List[Tuple[Decimal, Decimal]]]:
        """The book as exact decimals, best first: (bids, asks)."""
        bids = [(Decimal(p) * TICK, Decimal(self.bids[p]) * LOT) for p in sorted(self.bids, reverse=True)]
        asks = [(Decimal(p) * TICK, Decimal(self.asks[p]) * LOT) for p in sorted(self.asks)]
        return bids, asks

    def _change_side(self, is_bid: bool) -> Dict[int, int]:
        """Changes one side: quantities, deletions, and new levels that may move the best
        price into the spread; returns the changed levels (quantity 0 = deleted)."""
        side = self.bids if is_bid else self.asks
        changed: Dict[int, int] = {}
        for _ in range(self.changes_per_side):
            roll = self.rng.random()
            if roll < 0.25 and len(side) > self.depth // 2:
                price = self.rng.choice(list(side))
                del side[price]
                changed[price] = 0
            elif roll < 0.5 and len(side) < self.depth:
                if is_bid:
                    low, high = self.best_bid() - 40, self.best_ask() - 1
                else:
                    low, high = self.best_bid() + 1, self.best_ask() + 40
                price = self.rng.randint(low, high)
                if price in side or price in changed:
                    continue
                side[price] = self._lots()
                changed[price] = side[price]
            else:
                price = self.rng.choice(list(side))
                side[price] = self._lots()
                changed[price] = side[price]
        return changed

    def update_frame(self) -> str:
        """The next ``spot.order_book_update`` push (ids continue the last one)."""
        bids = self._change_side(True)
        asks = self._change_side(False)
        first = self.update_id + 1
        self.update_id += self.rng.randint(1, 4)
        self.time_ms += self.rng.randint(20, 120)
        return wire(
            {
                "time": self.time_ms // 1000,
                "time_ms": self.time_ms + 1,
                "channel": "spot.order_book_update",
                "event": "update",
                "result": {
                    "t": self.time_ms,
                    "full": False,
                    "l": str(self.depth),
                    "e": "depthUpdate",
                    "E": self.time_ms // 1000,
                    "s": self.symbol,
                    "U": first,
                    "u": self.update_id,
                    "b": [[price_text(p), qty_text(q)] for p, q in bids.items()],
                    "a": [[price_text(p), qty_text(q)] for p, q in asks.items()],
                },
            }
        )


def book_ticker_frames(count: int, symbol: str = "BTC_USDT", seed: int = 11) -> List[str]:
    """``count`` ``spot.book_ticker`` pushes with a walking best bid/ask."""
    rng = random.Random(seed)
    bid = 6_000_000
    update_id = 2_000_000
    time_ms = 1_765_000_000_000
    frames = []
    for _ in range(count):
        bid += rng.randint(-3, 3)
        ask = bid + rng.randint(1, 5)
        update_id += rng.randint(1, 3)
        time_ms += rng.randint(1, 30)
        frames.append(
            wire(
                {
                    "time": time_ms // 1000,
                    "time_ms": time_ms + 1,
                    "channel": "spot.book_ticker",
                    "event": "update",
                    "result": {
                        "t": time_ms,
                        "u": update_id,
                        "s": symbol,
                        "b": price_text(bid),
                        "B": qty_text(rng.randint(1, 200_000)),
                        "a": price_text(ask),
                        "A": qty_text(rng.randint(1, 200_000)),
                    },
                }
            )
        )
    return frames


def ack(request: str, time_ms: int = 1_765_000_000_000) -> str:
    """Gate.io's success answer to a subscribe request (fixture
    gateio_spot_obu_subscribe_ack.json: it echoes id, channel, event and payload)."""
    sent = json.loads(request)
    reply = {
        "time": time_ms // 1000,
        "time_ms": time_ms,
        "conn_id": "bench",
        "trace_id": "bench",
        "channel": sent.get("channel"),
        "event": sent.get("event"),
        "result": {"status": "success"},
    }
    if "id" in sent:
        reply["id"] = sent["id"]
    if "payload" in sent:
        reply["payload"] = sent["payload"]
    return wire(reply)
