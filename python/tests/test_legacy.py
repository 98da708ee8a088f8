"""The old WebSocketManager API (exchange_ws.legacy) on both compat paths, against the
embedded simulator. Every wait is bounded."""

import asyncio
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

import exchange_ws
from exchange_ws.legacy import (
    AssetBalance,
    ConnectionState,
    ExchangeConfig,
    ExchangeCredentials,
    ExchangeRestError,
    MessageType,
    Order,
    OrderBook,
    OrderStatus,
    ParsedMessage,
    PerformanceMetrics,
    PublicWebsocketChannelType,
    Symbol,
    Trade,
    WebSocketConfig,
    WebSocketManager,
    WebSocketManagerConfig,
    create_websocket_manager,
)

WAIT = 15.0
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "legacy_downstream.py"
ARCH_VARS = (
    "WS_COMPAT_ARCHITECTURE",
    "WS_COMPAT_ARCHITECTURE_MEXC_SPOT",
    "WS_COMPAT_ARCHITECTURE_GATEIO_SPOT",
    "WS_COMPAT_ARCHITECTURE_GATEIO_FUTURES",
)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def eventually(predicate, what):
    deadline = asyncio.get_running_loop().time() + WAIT
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Collected:
    def __init__(self):
        self.messages = []
        self.states = []

    async def on_message(self, message):
        self.messages.append(message)

    async def on_state(self, state):
        self.states.append(state)

    def of(self, message_type):
        return [m for m in self.messages if m.message_type == message_type]


# --- The ported example, on both paths ----------------------------------------------


def run_example(venue, env=None, extra=()):
    environment = {k: v for k, v in os.environ.items() if k not in ARCH_VARS}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--venue", venue, "--seconds", "1.5", *extra],
        capture_output=True, text=True, timeout=60, env=environment,
    )
    assert done.returncode == 0, f"{venue}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(summary, expected_current):
    """What examples/legacy-downstream/tests/runs.rs asserts."""
    by_type = summary["by_type"]
    assert by_type.get("ORDERBOOK", 0) > 0, summary
    assert by_type.get("TRADE", 0) > 0, summary
    assert by_type.get("BOOK_TICKER", 0) > 0, summary
    assert by_type.get("ERROR", 0) + by_type.get("SUBSCRIPTION_ERROR", 0) == 0, summary
    assert len(summary["symbols"]) == 2, f"both the initial and the subscribed symbol: {summary}"
    metrics = summary["metrics"]
    for key in ("messages_processed", "messages_per_second", "avg_processing_time_ms",
                "max_processing_time_ms", "connection_uptime_seconds", "reconnection_count",
                "error_count", "connection_state", "handler_type", "architecture", "delivery"):
        assert key in metrics, key
    processed = metrics["messages_processed"]
    assert processed > 0, summary
    assert metrics["messages_per_second"] > 0
    assert metrics["avg_processing_time_ms"] >= 0
    assert metrics["max_processing_time_ms"] >= metrics["avg_processing_time_ms"]
    assert metrics["connection_uptime_seconds"] > 0
    assert metrics["error_count"] == 0, summary
    assert metrics["reconnection_count"] == 0, summary
    assert metrics["connection_state"] == "CONNECTED", summary
    architecture = metrics["architecture"]
    assert architecture["current"] == expected_current, summary
    per_path = architecture["legacy_path"]["messages"] + architecture["direct_path"]["messages"]
    assert per_path == processed, f"per-path counts add up: {summary}"
    # Nothing lost on the way to the callbacks at this rate.
    assert metrics["delivery"]["dropped"] == 0, summary
    assert metrics["delivery"]["handler_errors"] == 0, summary
    assert summary["states"][0] == "CONNECTING", summary
    assert summary["states"][-1] == "CLOSED", summary


@pytest.mark.parametrize("venue", ["mexc", "gateio", "gateio-futures"])
def test_example_on_the_default_path(venue):
    summary = run_example(venue)
    check(summary, "direct")
    assert summary["metrics"]["handler_type"] == "mixin"


@pytest.mark.parametrize("venue", ["mexc", "gateio", "gateio-futures"])
def test_example_on_the_legacy_path_by_environment(venue):
    summary = run_example(venue, {"WS_COMPAT_ARCHITECTURE": "legacy"})
    check(summary, "legacy")
    assert summary["metrics"]["handler_type"] == "strategy"


def test_example_switches_at_runtime_and_back():
    # direct → legacy half-way.
    summary = run_example("mexc", extra=["--switch-after", "0.7"])
    check(summary, "legacy")
    architecture = summary["metrics"]["architecture"]
    assert architecture["switches"] == 1
    assert architecture["direct_path"]["messages"] > 0
    assert architecture["legacy_path"]["messages"] > 0
    # Rollback: legacy → direct, started on legacy by the per-exchange variable.
    summary = run_example("gateio", {"WS_COMPAT_ARCHITECTURE_GATEIO_SPOT": "legacy"},
                          ["--switch-after", "0.7"])
    check(summary, "direct")
    assert summary["started_on"] == "legacy"


# --- In-process: messages, private events, errors ------------------------------------


def gate_config(sim, venue="gateio-spot", private=False):
    rest, ws = sim.endpoints(venue)
    key, secret, _ = sim.credentials()
    creds = ExchangeCredentials(key, secret) if private else ExchangeCredentials()
    name = "GATEIO_FUTURES" if venue == "gateio-futures" else "GATEIO"
    return ExchangeConfig(name, creds, rest, ws)


@pytest.mark.parametrize("architecture", ["direct", "legacy"])
def test_books_are_exact_and_equal_the_local_book(architecture):
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            seen = Collected()
            manager = create_websocket_manager(gate_config(sim), False, seen.on_message,
                                               seen.on_state, architecture=architecture)
            assert manager.architecture == architecture
            assert manager.connection_state == ConnectionState.DISCONNECTED
            await manager.initialize([Symbol("BTC", "USDT")], [PublicWebsocketChannelType.ORDERBOOK])
            await eventually(lambda: len(seen.of(MessageType.ORDERBOOK)) >= 3, "books")
            message = seen.of(MessageType.ORDERBOOK)[-1]
            assert isinstance(message, ParsedMessage)
            assert message.symbol == Symbol("BTC", "USDT")
            assert message.channel == "spot.order_book_update"
            assert message.raw_data is None and message.timestamp > 0
            book = message.data
            assert isinstance(book, OrderBook) and book.last_update_id > 0
            assert isinstance(book.bids[0].price, Decimal)
            bids = [e.price for e in book.bids]
            asks = [e.price for e in book.asks]
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
            assert bids[0] < asks[0]
            assert manager.is_connected()
            assert manager.connection_state == ConnectionState.CONNECTED
            await manager.close()
            assert seen.states[0] == ConnectionState.CONNECTING
            assert seen.states[-1] == ConnectionState.CLOSED
            # Each real change once.
            assert all(a != b for a, b in zip(seen.states, seen.states[1:])), seen.states

    run(main())


def test_numbers_float_gives_the_old_floats_and_sync_handlers_work():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            got = []
            manager = create_websocket_manager(gate_config(sim), False, got.append, numbers=float)
            await manager.initialize([Symbol("BTC", "USDT")], [PublicWebsocketChannelType.TRADES])
            await eventually(lambda: any(m.message_type == MessageType.TRADE for m in got), "a trade")
            trade = next(m.data for m in got if m.message_type == MessageType.TRADE)
            assert isinstance(trade, Trade) and isinstance(trade.price, float)
            assert trade.quantity > 0 and trade.order_id is None
            await manager.close()

    run(main())


@pytest.mark.parametrize("architecture", ["direct", "legacy"])
def test_private_events_arrive_exactly_once(architecture):
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            seen = Collected()
            manager = create_websocket_manager(gate_config(sim, private=True), True,
                                               seen.on_message, seen.on_state,
                                               architecture=architecture)
            await manager.initialize()
            await eventually(lambda: sim.subscribers("gateio-spot", "spot.orders", "BTC_USDT") > 0
                             and sim.subscribers("gateio-spot", "spot.usertrades", "BTC_USDT") > 0,
                             "the private subscriptions")
            order = sim.place_order("gateio-spot", "BTC_USDT", "buy", "50000", "1")
            sim.fill(order, "0.4")
            sim.fill(order, "0.6")
            want_orders, want_trades = sim.private_counts("gateio-spot")
            assert (want_orders, want_trades) == (3, 2)

            def fills():
                return [m.data for m in seen.of(MessageType.TRADE) if m.data.order_id]

            await eventually(lambda: len(seen.of(MessageType.ORDER)) >= want_orders
                             and len(fills()) >= want_trades, "every private event")
            # Nothing more arrives: each push was delivered once.
            await asyncio.sleep(0.5)
            await manager.close()
            orders = [m.data for m in seen.of(MessageType.ORDER)]
            assert len(orders) == want_orders, orders
            assert all(isinstance(o, Order) for o in orders)
            assert orders[-1].status == OrderStatus.FILLED
            assert orders[-1].filled_quantity == Decimal("1")
            trade_ids = [f.trade_id for f in fills()]
            assert len(trade_ids) == want_trades == len(set(trade_ids)), trade_ids
            assert sum(f.quantity for f in fills()) == Decimal("1")
            assert any(isinstance(m.data, AssetBalance) for m in seen.of(MessageType.BALANCE))
            metrics = manager.get_performance_metrics()
            assert metrics["delivery"]["dropped"] == 0

    run(main())


def test_bad_arguments_raise_clear_exceptions():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            config = gate_config(sim)
            with pytest.raises(ValueError, match="unsupported exchange: BINANCE"):
                create_websocket_manager(ExchangeConfig("BINANCE", ExchangeCredentials(), "http://x", "ws://x"))
            with pytest.raises(ValueError, match="requires credentials"):
                create_websocket_manager(config, True)
            with pytest.raises(ValueError, match="is disabled"):
                create_websocket_manager(ExchangeConfig("GATEIO", ExchangeCredentials(), config.base_url,
                                                        config.websocket_url, enabled=False))
            with pytest.raises(ValueError, match="utf-8"):
                create_websocket_manager(ExchangeConfig("GATEIO", ExchangeCredentials(), config.base_url,
                                                        config.websocket_url,
                                                        websocket=WebSocketConfig(config.websocket_url,
                                                                                  text_encoding="latin-1")))
            with pytest.raises(ValueError, match="max_pending_messages"):
                create_websocket_manager(config, manager_config=WebSocketManagerConfig(max_pending_messages=0))
            with pytest.raises(ValueError, match="unknown architecture 'sideways'"):
                create_websocket_manager(config, architecture="sideways")
            with pytest.raises(TypeError, match="exchange_config must be an ExchangeConfig"):
                create_websocket_manager("GATEIO")
            with pytest.raises(TypeError, match="message_handler must be an async callable"):
                create_websocket_manager(config, False, "print")
            with pytest.raises(TypeError, match="ping_interval must be a number"):
                WebSocketConfig("ws://x", ping_interval="20")
            with pytest.raises(TypeError, match="numbers must be"):
                create_websocket_manager(config, numbers=int)
            with pytest.raises(ValueError, match="strategy"):
                WebSocketManager(WebSocketConfig(config.websocket_url), strategies=object())
            with pytest.raises(ValueError):
                WebSocketManager(WebSocketConfig("wss://example.com/nowhere"))
            with pytest.warns(UserWarning, match="ignores colour"):
                create_websocket_manager(config, colour="red")

            manager = create_websocket_manager(config)
            # Not initialized: the old 503s.
            with pytest.raises(ExchangeRestError, match="not connected") as raised:
                await manager.subscribe([Symbol("ETH", "USDT")])
            assert raised.value.status_code == 503
            with pytest.raises(ExchangeRestError) as raised:
                await manager.send_message({"ping": 1})
            assert raised.value.status_code == 503
            with pytest.raises(TypeError, match="list of Symbol"):
                await manager.initialize("BTC_USDT")
            with pytest.raises(ValueError, match="PublicWebsocketChannelType"):
                await manager.initialize([Symbol("BTC", "USDT")], [9])
            await manager.initialize([Symbol("BTC", "USDT")])
            with pytest.raises(ExchangeRestError, match="already initialized") as raised:
                await manager.initialize()
            assert raised.value.status_code == 500
            with pytest.raises(TypeError, match="must be a dict"):
                await manager.send_message("ping")
            with pytest.raises(TypeError, match="use_direct"):
                await manager.switch_architecture(1)
            await eventually(manager.is_connected, "the connection")
            await manager.send_message({"time": 0, "channel": "spot.ping"})
            await manager.close()
            await manager.close()

    run(main())


def test_a_raising_callback_is_counted_and_the_stream_goes_on():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            calls = 0

            async def broken(message):
                nonlocal calls
                calls += 1
                raise RuntimeError("boom")

            manager = create_websocket_manager(gate_config(sim), False, broken)
            await manager.initialize([Symbol("BTC", "USDT")], [PublicWebsocketChannelType.ORDERBOOK])
            await eventually(lambda: calls >= 3, "three calls")
            metrics = manager.get_performance_metrics()
            assert metrics["delivery"]["handler_errors"] >= 3
            assert metrics["error_count"] >= metrics["delivery"]["handler_errors"]
            await manager.close()

    run(main())


def test_a_slow_callback_sees_the_latest_book_and_no_error_is_silent():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            seen = Collected()

            async def slow(message):
                await seen.on_message(message)
                await asyncio.sleep(0.05)

            manager = create_websocket_manager(
                gate_config(sim), False, slow,
                manager_config=WebSocketManagerConfig(max_pending_messages=2),
            )
            await manager.initialize([Symbol("BTC", "USDT")], [PublicWebsocketChannelType.ORDERBOOK,
                                                               PublicWebsocketChannelType.TRADES])
            await eventually(lambda: manager.get_performance_metrics()["delivery"]["conflated"] > 0,
                             "books conflated behind the slow callback")
            await manager.close()
            # Books are never silently lost: each one delivered is a whole, live book.
            books = [m.data for m in seen.of(MessageType.ORDERBOOK)]
            assert books and all(b.bids and b.asks and b.bids[0].price < b.asks[0].price for b in books)

    run(main())


def test_metrics_is_the_old_performance_metrics_object():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            books = 0

            async def on_message(message):
                nonlocal books
                if message.message_type == MessageType.ORDERBOOK:
                    books += 1
                    if books == 3:
                        await asyncio.sleep(0.002)  # one slow call: a latency violation

            manager = create_websocket_manager(gate_config(sim), False, on_message)
            fresh = manager.metrics
            assert isinstance(fresh, PerformanceMetrics)
            assert fresh == PerformanceMetrics(), "all zero before initialize"
            await manager.initialize([Symbol("BTC", "USDT")], [PublicWebsocketChannelType.ORDERBOOK])
            await eventually(lambda: books >= 5, "five books")
            metrics = manager.metrics
            for name, kind in (("messages_processed", int), ("messages_per_second", float),
                               ("avg_processing_time_ms", float), ("max_processing_time_ms", float),
                               ("last_message_time", float), ("connection_uptime", float),
                               ("reconnection_count", int), ("error_count", int),
                               ("sub_1ms_messages", int), ("orderbook_updates", int),
                               ("latency_violations", int)):
                assert isinstance(getattr(metrics, name), kind), name
            assert metrics.messages_processed > 0 and metrics.messages_per_second > 0
            assert metrics.max_processing_time_ms >= metrics.avg_processing_time_ms >= 0
            assert metrics.connection_uptime > 0
            assert metrics.orderbook_updates >= 5
            assert metrics.latency_violations >= 1
            assert metrics.sub_1ms_messages + metrics.latency_violations >= metrics.orderbook_updates
            assert abs(metrics.last_message_time - time.time()) < 10
            assert metrics.error_count == metrics.reconnection_count == 0
            # It agrees with the dict, and moves.
            assert metrics.messages_processed <= manager.get_performance_metrics()["messages_processed"]
            await eventually(lambda: manager.metrics.orderbook_updates > metrics.orderbook_updates,
                             "more books counted")
            assert manager.metrics.messages_processed > metrics.messages_processed
            await manager.close()

    run(main())
