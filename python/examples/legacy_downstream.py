"""A downstream service written only against the old ``WebSocketManager`` API (the Python
port of ``examples/legacy-downstream``): build an ``ExchangeConfig``, call the factory,
handle ``ParsedMessage``s by ``MessageType``, ``initialize``, ``subscribe``, read
``get_performance_metrics``, ``close``. Apart from the import line it is what a service of
the old layer looked like.

To stay offline it starts the embedded simulator and points the ``ExchangeConfig`` at it.
Which implementation runs underneath is not the service's business:
``WS_COMPAT_ARCHITECTURE=legacy|direct`` (or ``..._MEXC_SPOT``, ``..._GATEIO_SPOT``,
``..._GATEIO_FUTURES``) picks it at start, and ``--switch-after SECS`` exercises the old V4
``switch_architecture`` call at runtime.

    python legacy_downstream.py [--venue mexc|gateio|gateio-futures] [--seconds N] [--switch-after SECS]

The last line of output is a JSON summary (counts and the old metrics dict).
"""

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

import exchange_ws

# The only line that changed from the old service.
from exchange_ws.legacy import (
    ConnectionState,
    ExchangeConfig,
    ExchangeCredentials,
    MessageType,
    ParsedMessage,
    PublicWebsocketChannelType,
    Symbol,
    create_websocket_manager,
)

VENUES = {
    # old exchange name, simulator venue, futures?
    "mexc": ("MEXC", "mexc-spot", False),
    "gateio": ("GATEIO", "gateio-spot", False),
    "gateio-futures": ("GATEIO_FUTURES", "gateio-futures", True),
}


class Seen:
    """What the service keeps from the stream (the old PublicWebsocketHandlers bundle did
    the same with callbacks per message type)."""

    def __init__(self) -> None:
        self.by_type: Counter = Counter()
        self.symbols: Counter = Counter()
        self.last_spread = None
        self.states = []

    async def on_message(self, message: ParsedMessage) -> None:
        self.by_type[message.message_type.name] += 1
        if message.symbol is not None:
            self.symbols[str(message.symbol)] += 1
        if message.message_type == MessageType.ORDERBOOK:
            book = message.data
            if book.bids and book.asks:
                self.last_spread = str(book.asks[0].price - book.bids[0].price)
        elif message.message_type in (MessageType.ERROR, MessageType.SUBSCRIPTION_ERROR):
            print(f"stream error: {message.data}", file=sys.stderr)

    async def on_state(self, state: ConnectionState) -> None:
        self.states.append(state.value)


async def main(venue: str, seconds: float, switch_after) -> dict:
    name, sim_venue, futures = VENUES[venue]
    # The "exchange": the simulator, in this process, on loopback.
    sim = await exchange_ws.Simulator.start()
    rest_url, ws_url = sim.endpoints(sim_venue)
    config = ExchangeConfig(name, ExchangeCredentials(), rest_url, ws_url)
    if venue == "mexc":
        symbols = [Symbol("BTC", "USDT"), Symbol("ETH", "USDT")]
    else:
        symbols = [Symbol("BTC", "USDT", futures), Symbol("ETH", "USDT", futures)]

    seen = Seen()
    manager = create_websocket_manager(config, False, seen.on_message, seen.on_state)
    started_on = manager.architecture
    await manager.initialize(
        [symbols[0]],
        [
            PublicWebsocketChannelType.ORDERBOOK,
            PublicWebsocketChannelType.TRADES,
            PublicWebsocketChannelType.BOOK_TICKER,
        ],
    )

    # The old code waited for is_connected() before subscribing more symbols.
    deadline = time.monotonic() + 10
    while not manager.is_connected():
        if time.monotonic() > deadline:
            raise SystemExit("not connected after 10 s")
        await asyncio.sleep(0.02)
    await manager.subscribe(symbols[1:])

    started = time.monotonic()
    switched = False
    while time.monotonic() - started < seconds:
        await asyncio.sleep(0.05)
        if switch_after is not None and not switched and time.monotonic() - started >= switch_after:
            await manager.switch_architecture(manager.architecture == "legacy")
            switched = True

    metrics = manager.get_performance_metrics()
    await manager.close()
    await sim.shutdown()

    print(
        f"{venue} on {started_on}: {metrics['messages_processed']} messages, "
        f"by type {dict(seen.by_type)}, last spread {seen.last_spread}"
    )
    return {
        "venue": venue,
        "started_on": started_on,
        "by_type": dict(seen.by_type),
        "symbols": dict(seen.symbols),
        "states": seen.states,
        "metrics": metrics,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venue", choices=sorted(VENUES), default="mexc")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--switch-after", type=float, default=None)
    args = parser.parse_args()
    summary = asyncio.run(main(args.venue, args.seconds, args.switch_after))
    print(json.dumps(summary))
