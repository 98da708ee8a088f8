"""CPU per event delivered to Python code: exchange_ws against ccxt pro, same frames, same run.

    python python/bench/ccxt_compare.py [--frames N] [--repeats R] [--json FILE]

Needs the extension built in release (``maturin develop --release``) and
``ccxt>=4.5,<4.6`` in the same (bench-only) virtual environment; see docs/BENCHMARKS.md.

Two workloads on Gate.io spot, each a few thousand distinct, consistent frames from
gateio_frames.py (the venue's wire format; moving prices, contiguous update ids):

- ``book_ticker``: ``spot.book_ticker`` pushes;
- ``book_update_20``: ``spot.order_book_update`` pushes of about 20 levels (10 per side,
  changes, deletions and new levels) to a 20-level book, each delivered as the top 20
  levels per side.

exchange_ws: the frames go through the venue's Rust handler and the client's event path
(``_native.Replay``), and every event reaches a Python callback as the ``exchange_ws.Event``
users get from ``client.events()``: a native object whose prices and quantities become
``decimal.Decimal`` (and levels ``Level`` tuples) when read. ``--breakdown`` also measures
reading the best bid/ask price and converting every level.

ccxt pro: each frame goes to ``Client.handle_text_or_binary_message`` of the exchange's
own WebSocket client object (the JSON decode ccxt uses, orjson when installed, then
``gate.handle_message``), with markets set and the order book seeded from the same REST
snapshot; ccxt keeps the book and calls ``client.resolve``, which is where a ``watch*``
caller would be woken. The wake-up itself, ``orderbook.limit()`` in ``watch_order_book``
and exchange_ws's asyncio hop are outside both measurements.

CPU is ``time.process_time()`` (user + system, all threads of the process) around the
feeding of every frame of a workload, divided by the events delivered. Sides alternate
within each repetition; the figures are medians over the repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gateio_frames  # noqa: E402
from replay_feed import ReplayFeed  # noqa: E402

SYMBOL = "BTC_USDT"
UNIFIED = "BTC/USDT"
DEPTH = 20


def cpu_per_event(feed: Callable[[], int]) -> Tuple[float, int]:
    """Runs ``feed`` (returns events delivered) with the collector off; µs per event."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        events = feed()
        cpu = time.process_time() - start
    finally:
        gc.enable()
    if events == 0:
        raise RuntimeError("no event was delivered")
    return cpu * 1e6 / events, events


# ---- exchange_ws ----------------------------------------------------------------------


def ours_book(snapshot: str, bridge: str, updates: List[str], expected: Any, stage: str = "event") -> Tuple[float, int]:
    feed = ReplayFeed("gateio-spot", [SYMBOL], ["book"], levels=DEPTH, depth=DEPTH)
    feed.start_book(snapshot, bridge)
    feed.stop_at(stage)
    result = cpu_per_event(lambda: feed.feed(updates))
    feed.check_book(SYMBOL, expected)
    if stage != "event":
        return result
    last = feed.last
    if last is None or last.kind != "book_update" or len(last.bids) != len(expected[0]):
        raise RuntimeError(f"unexpected last event {last!r}")
    return result


def ours_ticker(frames: List[str], stage: str = "event") -> Tuple[float, int]:
    feed = ReplayFeed("gateio-spot", [SYMBOL], ["ticker"])
    feed.start_book(None)
    feed.stop_at(stage)
    result = cpu_per_event(lambda: feed.feed(frames))
    if stage != "event":
        return result
    last = feed.last
    want = json.loads(frames[-1])["result"]
    if last is None or last.kind != "ticker" or last.bid.price != Decimal(want["b"]):
        raise RuntimeError(f"unexpected last event {last!r}")
    return result


# ---- ccxt pro -------------------------------------------------------------------------


def ccxt_exchange() -> Tuple[Any, Any]:
    """A ccxt pro gate exchange with BTC/USDT spot set and its spot WebSocket client."""
    import ccxt.pro as ccxtpro

    exchange = ccxtpro.gate({"newUpdates": False})
    exchange.set_markets(
        [
            {
                "id": SYMBOL,
                "symbol": UNIFIED,
                "base": "BTC",
                "quote": "USDT",
                "baseId": "BTC",
                "quoteId": "USDT",
                "type": "spot",
                "spot": True,
                "margin": False,
                "swap": False,
                "future": False,
                "option": False,
                "contract": False,
                "linear": None,
                "inverse": None,
                "active": True,
                "precision": {"amount": 0.0001, "price": 0.01},
                "limits": {"amount": {"min": None, "max": None}, "price": {"min": None, "max": None}},
                "info": {},
            }
        ]
    )
    client = exchange.client(exchange.urls["api"]["spot"])
    return exchange, client


def counting(client: Any) -> List[int]:
    """Counts ``client.resolve`` calls (events a watcher would get)."""
    resolved = [0]
    original = client.resolve

    def resolve(result: Any, message_hash: Any) -> Any:
        resolved[0] += 1
        return original(result, message_hash)

    client.resolve = resolve
    return resolved


async def ccxt_book(snapshot: str, bridge: str, updates: List[str], expected: Any) -> Tuple[float, int]:
    exchange, client = ccxt_exchange()
    try:
        return ccxt_book_on(exchange, client, snapshot, bridge, updates, expected)
    finally:
        await exchange.close()


def ccxt_book_on(
    exchange: Any, client: Any, snapshot: str, bridge: str, updates: List[str], expected: Any
) -> Tuple[float, int]:
    # What watch_order_book and load_order_book leave behind: the subscription, then the
    # book reset from fetch_order_book's parse of the REST snapshot (gate.fetch_order_book).
    message_hash = "orderbook:" + UNIFIED
    client.subscriptions[message_hash] = {"symbol": UNIFIED, "limit": DEPTH}
    response = json.loads(snapshot)
    parsed = exchange.parse_order_book(response, UNIFIED, response["current"], "bids", "asks", 0, 1)
    parsed["nonce"] = response["id"]
    book = exchange.order_book({}, DEPTH)
    book.reset(parsed)
    exchange.orderbooks[UNIFIED] = book
    handle = client.handle_text_or_binary_message
    # The first push after the snapshot, outside the measurement as on our side.
    handle(bridge)
    resolved = counting(client)

    def feed() -> int:
        for frame in updates:
            handle(frame)
        return resolved[0]

    result = cpu_per_event(feed)
    stored = exchange.orderbooks[UNIFIED]
    bids, asks = expected
    got = ([(p, q) for p, q in stored["bids"]], [(p, q) for p, q in stored["asks"]])
    want = ([(float(p), float(q)) for p, q in bids], [(float(p), float(q)) for p, q in asks])
    if got != want:
        raise RuntimeError("ccxt's book differs from the venue's")
    return result


async def ccxt_ticker(frames: List[str]) -> Tuple[float, int]:
    exchange, client = ccxt_exchange()
    try:
        return ccxt_ticker_on(exchange, client, frames)
    finally:
        await exchange.close()


def ccxt_ticker_on(exchange: Any, client: Any, frames: List[str]) -> Tuple[float, int]:
    resolved = counting(client)
    handle = client.handle_text_or_binary_message

    def feed() -> int:
        for frame in frames:
            handle(frame)
        return resolved[0]

    result = cpu_per_event(feed)
    want = json.loads(frames[-1])["result"]
    if exchange.bidsasks[UNIFIED]["bid"] != float(want["b"]):
        raise RuntimeError("ccxt's best bid differs from the last frame's")
    return result


# ---- the run ---------------------------------------------------------------------------


def book_workload(count: int, seed: int) -> Tuple[str, str, List[str], Any]:
    """The REST snapshot, the push that bridges it, ``count`` pushes and the final book."""
    model = gateio_frames.BookModel(symbol=SYMBOL, depth=DEPTH, seed=seed)
    snapshot = model.snapshot_body()
    bridge = model.update_frame()
    updates = [model.update_frame() for _ in range(count)]
    return snapshot, bridge, updates, model.top()


def machine() -> Dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


async def run(args: argparse.Namespace) -> Dict[str, Any]:
    import ccxt

    snapshot, bridge, updates, expected = book_workload(args.frames, args.seed)
    tickers = gateio_frames.book_ticker_frames(args.frames, SYMBOL, args.seed + 1)
    workloads = {
        "book_ticker": (lambda: ours_ticker(tickers), lambda: ccxt_ticker(tickers)),
        "book_update_20": (
            lambda: ours_book(snapshot, bridge, updates, expected),
            lambda: ccxt_book(snapshot, bridge, updates, expected),
        ),
    }
    load_before = os.getloadavg()
    samples: Dict[str, Dict[str, List[float]]] = {w: {"exchange_ws": [], "ccxt": []} for w in workloads}
    events: Dict[str, Dict[str, int]] = {w: {} for w in workloads}
    for repeat in range(args.repeats):
        for name, (ours, theirs) in workloads.items():
            # Alternate which side goes first so drifting load hits both alike.
            order = [("exchange_ws", ours), ("ccxt", theirs)]
            if repeat % 2:
                order.reverse()
            for side, run_side in order:
                outcome = run_side()
                if asyncio.iscoroutine(outcome):
                    outcome = await outcome
                per_event, count = outcome
                samples[name][side].append(per_event)
                events[name][side] = count
    # What reading the event adds: the same run with the callback reading values.
    stages: Dict[str, Dict[str, float]] = {}
    if args.breakdown:
        for stage in ("top", "all"):
            stages[stage] = {
                "book_ticker": statistics.median(ours_ticker(tickers, stage)[0] for _ in range(args.repeats)),
                "book_update_20": statistics.median(
                    ours_book(snapshot, bridge, updates, expected, stage)[0] for _ in range(args.repeats)
                ),
            }
    load_after = os.getloadavg()
    results = {}
    for name in workloads:
        ours_median = statistics.median(samples[name]["exchange_ws"])
        ccxt_median = statistics.median(samples[name]["ccxt"])
        results[name] = {
            "exchange_ws_us": round(ours_median, 3),
            "ccxt_us": round(ccxt_median, 3),
            "ratio": round(ccxt_median / ours_median, 2),
            "events": events[name],
            "samples_us": {k: [round(v, 3) for v in vs] for k, vs in samples[name].items()},
        }
        for stage, figures in stages.items():
            results[name][f"exchange_ws_{stage}_us"] = round(figures[name], 3)
    return {
        "ccxt_version": ccxt.__version__,
        "frames": args.frames,
        "repeats": args.repeats,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "machine": machine(),
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="CPU per event delivered to Python: exchange_ws vs ccxt pro on the same "
        "Gate.io spot frames (book ticker; 20-level book update). Needs ccxt>=4.5,<4.6 and "
        "the extension built with maturin develop --release.",
    )
    parser.add_argument("--frames", type=int, default=5000, help="frames per workload (default 5000)")
    parser.add_argument("--repeats", type=int, default=7, help="repetitions; medians are reported (default 7)")
    parser.add_argument("--seed", type=int, default=7, help="frame generator seed (default 7)")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also measure exchange_ws with the callback reading the best bid and ask price "
        "as Decimal (top) and converting every level to Level(Decimal, Decimal) (all)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if args.frames < 10 or args.repeats < 1:
        parser.error("--frames must be at least 10 and --repeats at least 1")
    try:
        import ccxt  # noqa: F401
    except ImportError:
        parser.exit(2, "ccxt is not installed here: pip install 'ccxt>=4.5,<4.6' into a bench-only venv\n")
    report = asyncio.run(run(args))
    print(f"ccxt {report['ccxt_version']}, Python {report['machine']['python']}, "
          f"{report['machine']['cpu']} ({report['machine']['cores']} cores)")
    print(f"{args.frames} frames x {args.repeats} repetitions; load average before "
          f"{report['loadavg_before']}, after {report['loadavg_after']}")
    print(f"{'workload':<16}{'exchange_ws µs/event':>22}{'ccxt pro µs/event':>20}{'ratio':>8}")
    for name, r in report["results"].items():
        print(f"{name:<16}{r['exchange_ws_us']:>22.2f}{r['ccxt_us']:>20.2f}{r['ratio']:>7.1f}x")
    if args.breakdown:
        print("exchange_ws reading the event (µs/event): delivered | + best bid/ask price "
              "as Decimal | + every level as Level(Decimal, Decimal)")
        for name, r in report["results"].items():
            print(f"{name:<16}{r['exchange_ws_us']:>10.2f}{r['exchange_ws_top_us']:>10.2f}"
                  f"{r['exchange_ws_all_us']:>10.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
