"""The replay entry point (``_native.Replay``): Gate.io frames given by the test go through
the venue's handler and reach a Python callback as the ``Event`` objects ``Client.events()``
yields.
It is what python/bench measures against ccxt pro; ccxt is not needed here."""

import json
import pickle
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from exchange_ws import Book, Event, ExchangeWsError, Level, Levels, _native

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gateio_frames  # noqa: E402
from replay_feed import ReplayFeed  # noqa: E402

SNAPSHOT = json.dumps(
    {
        "id": 100,
        "current": 1765000000000,
        "update": 1765000000000,
        "bids": [["60000.10", "1.5"], ["60000.00", "2"], ["59999.90", "0.25"]],
        "asks": [["60000.20", "0.75"], ["60000.30", "3"]],
    }
)


def push(first, last, bids, asks):
    return json.dumps(
        {
            "time": 1765000000,
            "time_ms": 1765000000100,
            "channel": "spot.order_book_update",
            "event": "update",
            "result": {
                "t": 1765000000099,
                "full": False,
                "l": "20",
                "e": "depthUpdate",
                "E": 1765000000,
                "s": "BTC_USDT",
                "U": first,
                "u": last,
                "b": bids,
                "a": asks,
            },
        }
    )


class Collected:
    def __init__(self):
        self.events = []

    def __call__(self, event):
        assert isinstance(event, Event)
        self.events.append(event)

    def kinds(self):
        return [e.kind for e in self.events]


def synced_replay(levels=20):
    got = Collected()
    replay = _native.Replay("gateio-spot", ["BTC_USDT"], ["book"], got, None, levels)
    requests = replay.connect()
    assert any("spot.order_book_update" in r for r in requests), requests
    replay.feed([gateio_frames.ack(r) for r in requests])
    pending = replay.rest_requests()
    assert len(pending) == 1 and "currency_pair=BTC_USDT" in pending[0], pending
    # The snapshot waits for the first push that bridges it: no event yet.
    assert replay.answer_rest(SNAPSHOT) == 0
    book = Book(Event._from_json(replay.book("BTC_USDT")))
    assert book.status == "syncing" and book.update_id == 100
    assert [e.status for e in got.events if e.kind == "book_status"] == ["syncing"]
    return replay, got


def test_book_updates_reach_the_callback_with_exact_decimals():
    replay, got = synced_replay()
    got.events.clear()

    delivered = replay.feed(
        [
            # Bridges the snapshot (id 100). Changes 60000.00, deletes 59999.90, adds a
            # better bid; deletes the best ask.
            push(101, 103, [["60000.00", "4.125"], ["59999.90", "0"], ["60000.15", "0.5"]], [["60000.20", "0"]]),
            push(104, 104, [], [["60000.25", "1.00000001"]]),
            # Already applied: skipped, no event.
            push(102, 103, [["60000.00", "9"]], []),
        ]
    )
    assert delivered == 3 and got.kinds() == ["book_status", "book_update", "book_update"]
    status, first, second = got.events
    assert status.status == "live"
    assert first.symbol == "BTC_USDT" and first.venue == "gateio-spot"
    # The first event after a sync carries the whole book: the snapshot with the bridge applied.
    assert first.update == "snapshot" and second.update == "delta"
    assert (first.first_update_id, first.last_update_id) == (100, 103)
    assert (second.first_update_id, second.last_update_id) == (104, 104)
    assert first.bids == [
        Level(Decimal("60000.15"), Decimal("0.5")),
        Level(Decimal("60000.10"), Decimal("1.5")),
        Level(Decimal("60000.00"), Decimal("4.125")),
    ]
    assert first.asks == [Level(Decimal("60000.30"), Decimal("3"))]
    assert all(isinstance(l.price, Decimal) and isinstance(l.qty, Decimal) for l in first.bids)
    assert second.asks[0] == Level(Decimal("60000.25"), Decimal("1.00000001"))

    book = Book(Event._from_json(replay.book("BTC_USDT")))
    assert book.is_live and book.update_id == 104
    assert [(l.price, l.qty) for l in book.bids] == [
        (Decimal("60000.15"), Decimal("0.5")),
        (Decimal("60000.10"), Decimal("1.5")),
        (Decimal("60000.00"), Decimal("4.125")),
    ]
    assert [(l.price, l.qty) for l in book.asks] == [
        (Decimal("60000.25"), Decimal("1.00000001")),
        (Decimal("60000.30"), Decimal("3")),
    ]


def test_a_gap_resyncs_the_book_instead_of_applying_it():
    replay, got = synced_replay()
    assert replay.feed([push(101, 101, [["60000.00", "7"]], [])]) == 2
    got.events.clear()
    assert replay.feed([push(150, 151, [["60000.00", "7"]], [])]) >= 1
    status = [e for e in got.events if e.kind == "book_status"]
    assert status and status[-1].status == "resyncing", got.events
    assert "book_update" not in got.kinds()
    assert len(replay.rest_requests()) == 1


def test_book_ticker_frames_become_ticker_events():
    got = Collected()
    replay = _native.Replay("gateio-spot", ["BTC_USDT"], ["ticker"], got)
    replay.feed([gateio_frames.ack(r) for r in replay.connect()])
    frames = gateio_frames.book_ticker_frames(3)
    assert replay.feed(frames) == 3
    last = json.loads(frames[-1])["result"]
    event = got.events[-1]
    assert event.kind == "ticker" and event.symbol == "BTC_USDT"
    assert event.bid == Level(Decimal(last["b"]), Decimal(last["B"]))
    assert event.ask == Level(Decimal(last["a"]), Decimal(last["A"]))
    assert event.update_id == last["u"] and event.exchange_ts_ms == last["t"]


def test_generated_frames_keep_the_book_equal_to_the_venues():
    # The benchmark's frames: a moving 20-level book with contiguous ids.
    model = gateio_frames.BookModel(depth=20, seed=3)
    feed = ReplayFeed("gateio-spot", ["BTC_USDT"], ["book"], levels=20, depth=20)
    feed.start_book(model.snapshot_body(), model.update_frame())
    frames = [model.update_frame() for _ in range(300)]
    assert feed.feed(frames) == 300
    feed.check_book("BTC_USDT", model.top())
    bids, asks = model.top()
    assert feed.last is not None and feed.last.bids[0] == Level(*bids[0]) and feed.last.asks[0] == Level(*asks[0])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ExchangeWsError, match="unknown venue"):
        _native.Replay("binance", ["BTC_USDT"], ["book"], print)
    with pytest.raises(ExchangeWsError, match="did you mean BTC_USDT"):
        _native.Replay("gateio-spot", ["btc-usdt"], ["book"], print)
    with pytest.raises(ExchangeWsError, match="market-data"):
        _native.Replay("gateio-spot", ["BTC_USDT"], ["orders"], print)
    replay = _native.Replay("gateio-spot", ["BTC_USDT"], ["book"], print)
    with pytest.raises(ExchangeWsError, match="no REST request"):
        replay.answer_rest("{}")
    with pytest.raises(ExchangeWsError, match="str or bytes"):
        replay.feed([42])


def test_a_callback_cannot_feed_its_own_replay():
    holder = {}

    def reenter(event):
        holder["replay"].feed([])

    replay = _native.Replay("gateio-spot", ["BTC_USDT"], ["ticker"], reenter)
    holder["replay"] = replay
    replay.feed([gateio_frames.ack(r) for r in replay.connect()])
    with pytest.raises(ExchangeWsError, match="busy"):
        replay.feed(gateio_frames.book_ticker_frames(1))
    # Still usable afterwards.
    holder["replay"] = None
    assert replay.rest_requests() == []


# ---- the native Event: values converted when read -----------------------------------------


def book_update_events():
    replay, got = synced_replay()
    got.events.clear()
    replay.feed(
        [
            push(101, 103, [["60000.00", "4.125"], ["59999.90", "0"], ["60000.15", "0.5"]], [["60000.20", "0"]]),
            push(104, 104, [], [["60000.25", "1.00000001"]]),
        ]
    )
    return [e for e in got.events if e.kind == "book_update"]


def test_levels_are_a_lazy_sequence_of_exact_levels():
    first, second = book_update_events()
    bids = first.bids
    assert isinstance(bids, Levels) and len(bids) == 3 and bool(bids)
    want = [
        Level(Decimal("60000.15"), Decimal("0.5")),
        Level(Decimal("60000.10"), Decimal("1.5")),
        Level(Decimal("60000.00"), Decimal("4.125")),
    ]
    # Items, negative indexes, slices and iteration all give exact Level(Decimal, Decimal).
    assert bids[0] == want[0] and bids[-1] == want[-1] and bids[1:] == want[1:]
    assert list(bids) == want and [l.price for l in bids] == [w.price for w in want]
    assert all(type(l) is Level and type(l.qty) is Decimal for l in bids)
    assert str(second.asks[0].qty) == "1.00000001" and second.asks[0].qty == Decimal("1.00000001")
    with pytest.raises(IndexError):
        bids[3]
    with pytest.raises(IndexError):
        bids[-4]
    # Equality with lists, tuples and other Levels; unequal when an item differs.
    assert bids == want and bids == tuple(want) and bids == first.bids
    assert bids != want[:2] and bids != second.asks and bids != [Level(Decimal(1), Decimal(1))] * 3
    assert not (bids == "not levels")
    assert Level(Decimal("60000.10"), Decimal("1.5")) in bids
    assert repr(bids) == repr(list(bids)) and repr(bids).startswith("[Level(price=Decimal('60000.15')")
    # The same values as the JSON path (fields) gives.
    assert first.fields["bids"] == list(bids) and first.fields["asks"] == list(first.asks)
    assert pickle.loads(pickle.dumps(bids)) == want


def test_book_update_attributes_match_the_json_fields():
    first, second = book_update_events()
    for event in (first, second):
        for name in ("update", "first_update_id", "last_update_id"):
            assert getattr(event, name) == event.fields[name], name
        assert event.symbol == "BTC_USDT" and event.venue == "gateio-spot" and event.kind == "book_update"
        assert isinstance(event.exchange_ts_ms, int) and isinstance(event.receive_ts_ns, int)
    assert (second.update, second.first_update_id, second.last_update_id) == ("delta", 104, 104)
    with pytest.raises(AttributeError, match="a book_update event has no field 'price'"):
        first.price


def test_ticker_decimals_are_exact_and_match_the_json_fields():
    got = Collected()
    replay = _native.Replay("gateio-spot", ["BTC_USDT"], ["ticker"], got)
    replay.feed([gateio_frames.ack(r) for r in replay.connect()])
    frames = gateio_frames.book_ticker_frames(2)
    replay.feed(frames)
    event = got.events[-1]
    last = json.loads(frames[-1])["result"]
    assert type(event.bid.price) is Decimal and event.bid.price == Decimal(last["b"])
    assert event.ask == Level(Decimal(last["a"]), Decimal(last["A"]))
    for name in ("bid", "ask", "update_id"):
        assert getattr(event, name) == event.fields[name], name
    assert set(event.fields) == {"bid", "ask", "update_id"}
    text = repr(event)
    assert text.startswith("Event(kind='ticker', venue='gateio-spot', symbol='BTC_USDT', fields={")
    assert repr(event.bid.price) in text


def test_events_pickle_and_rebuild_from_a_dict_or_json():
    first, _ = book_update_events()
    again = pickle.loads(pickle.dumps(first))
    assert isinstance(again, Event)
    for name in ("kind", "venue", "symbol", "exchange_ts_ms", "receive_ts_ns", "fields"):
        assert getattr(again, name) == getattr(first, name), name
    assert again.bids == first.bids and again.update == "snapshot"
    line = json.dumps(
        {"kind": "trade", "venue": "mexc-spot", "symbol": "BTCUSDT", "trade_id": "7",
         "price": "64250.10", "quantity": "0.00012", "side": "buy", "exchange_ts_ms": 5,
         "receive_ts_ns": 6}
    )
    trade = Event._from_json(line)
    assert (trade.kind, trade.venue, trade.symbol, trade.exchange_ts_ms, trade.receive_ts_ns) == (
        "trade", "mexc-spot", "BTCUSDT", 5, 6)
    assert trade.price == Decimal("64250.10") and type(trade.quantity) is Decimal
    assert trade.side == "buy" and trade.trade_id == "7"
    raw = json.loads(line)
    assert Event(raw).fields == trade.fields and "kind" in raw  # the caller's dict is left alone
    with pytest.raises(KeyError):
        Event({"venue": "mexc-spot"})
