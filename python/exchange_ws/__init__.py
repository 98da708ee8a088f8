"""exchange_ws: fast, correct WebSocket market and account data from MEXC and Gate.io.

asyncio bindings of the exchange-ws Rust client. The Rust side runs on one tokio runtime
for the process and releases the GIL while it works. Prices and quantities are exact
``decimal.Decimal`` values built from the venue's decimal strings, never floats.

    sim = await exchange_ws.Simulator.start()          # offline: every venue on 127.0.0.1
    client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                       channels=["book", "trades"], simulator=sim.addr)
    async for event in client.events():
        if event.kind == "book_update":
            print(event.symbol, event.bids[0], event.asks[0])
            break
    print(client.book("BTC_USDT").bids[:3])
    await client.close()
    await sim.shutdown()

Services written against the old ``WebSocketManager`` layer import it from
:mod:`exchange_ws.legacy` instead (backed by the Rust compat crate).
"""

from __future__ import annotations

import atexit
import json
import weakref
from decimal import Decimal
from typing import Any, AsyncIterator, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import _native
from ._native import ExchangeWsError

__all__ = [
    "Book",
    "Client",
    "Event",
    "ExchangeWsError",
    "Level",
    "Simulator",
    "connect",
    "venues",
]

# Fields holding one exact decimal, in any event kind.
_DECIMAL_FIELDS = frozenset(
    {
        "price", "quantity", "filled", "average_price", "fee", "available", "locked",
        "size", "entry_price", "leverage", "liquidation_price", "realised_pnl", "last",
        "best_bid", "best_ask", "high_24h", "low_24h", "base_volume", "quote_volume",
        "volume_24h", "change", "change_percentage", "mark_price", "index_price",
        "funding_rate",
    }
)
# Fields holding a list of [price, qty] pairs or a single pair.
_LEVEL_LISTS = frozenset({"bids", "asks"})
_LEVEL_PAIRS = frozenset({"bid", "ask"})


class Level(NamedTuple):
    """One book level: exact price and quantity."""

    price: Decimal
    qty: Decimal


def _decimal(value: Any) -> Any:
    if isinstance(value, str):
        return Decimal(value)
    return value


def _level(pair: Any) -> Optional[Level]:
    if pair is None:
        return None
    return Level(Decimal(pair[0]), Decimal(pair[1]))


def _convert(fields: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for name, value in fields.items():
        if name in _LEVEL_LISTS and isinstance(value, list):
            out[name] = [Level(Decimal(p), Decimal(q)) for p, q in value]
        elif name in _LEVEL_PAIRS:
            out[name] = _level(value)
        elif name in _DECIMAL_FIELDS:
            out[name] = _decimal(value)
        else:
            out[name] = value
    return out


class Event:
    """One normalized event.

    Every event has ``kind`` (``book_update``, ``book_status``, ``trade``, ``ticker``,
    ``ticker24h``, ``order``, ``fill``, ``balance``, ``position``, ``error``, ``book``,
    ``connection``, ``lagged``), ``venue``, ``symbol`` (``None`` when not about one
    instrument), ``exchange_ts_ms`` and ``receive_ts_ns``; the kind's own fields are
    attributes too (``price``, ``quantity``, ``bids``, ``asks``, ``status``, ...), with
    decimals as ``decimal.Decimal`` and book levels as ``Level(price, qty)``. ``fields``
    holds them all as a dict.
    """

    __slots__ = ("kind", "venue", "symbol", "exchange_ts_ms", "receive_ts_ns", "fields")

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.kind: str = raw.pop("kind")
        self.venue: str = raw.pop("venue")
        self.symbol: Optional[str] = raw.pop("symbol", None)
        self.exchange_ts_ms: Optional[int] = raw.pop("exchange_ts_ms", None)
        self.receive_ts_ns: int = raw.pop("receive_ts_ns", 0)
        self.fields: Dict[str, Any] = _convert(raw)

    @classmethod
    def _from_json(cls, line: str) -> "Event":
        return cls(json.loads(line))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(f"a {self.kind} event has no field '{name}'") from None

    def __repr__(self) -> str:
        return (
            f"Event(kind={self.kind!r}, venue={self.venue!r}, symbol={self.symbol!r}, "
            f"fields={self.fields!r})"
        )


class Book:
    """A consistent copy of a local book: ``status`` (``syncing``/``live``/``resyncing``),
    ``update_id``, ``bids`` and ``asks`` (every level, best first, exact decimals)."""

    __slots__ = ("venue", "symbol", "status", "update_id", "bids", "asks")

    def __init__(self, event: Event) -> None:
        self.venue: str = event.venue
        self.symbol: str = event.symbol or ""
        self.status: str = event.fields["status"]
        self.update_id: int = event.fields["update_id"]
        self.bids: List[Level] = event.fields["bids"]
        self.asks: List[Level] = event.fields["asks"]

    @property
    def is_live(self) -> bool:
        """Whether the book can be trusted now."""
        return self.status == "live"

    def __repr__(self) -> str:
        return (
            f"Book(venue={self.venue!r}, symbol={self.symbol!r}, status={self.status!r}, "
            f"update_id={self.update_id}, {len(self.bids)} bids, {len(self.asks)} asks)"
        )


# Clients and simulators still open; closed at interpreter exit so that no Rust task is
# still running (and touching Python objects) while the interpreter finalizes.
_OPEN: "weakref.WeakSet[Any]" = weakref.WeakSet()
_EXIT_TIMEOUT_S = 5.0


@atexit.register
def _close_all_at_exit() -> None:
    for opened in list(_OPEN):
        opened._close_blocking()
    _native.quiesce(_EXIT_TIMEOUT_S)


class Client:
    """A connected client (from :func:`connect`)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        _OPEN.add(self)

    def _close_blocking(self) -> None:
        self._native.close_blocking(_EXIT_TIMEOUT_S)

    async def events(self) -> AsyncIterator[Event]:
        """Every event from every venue, in order, until :meth:`close`."""
        while True:
            line = await self._native.next_event()
            if line is None:
                return
            yield Event._from_json(line)

    async def next_event(self) -> Optional[Event]:
        """The next event, or ``None`` once the client is closed."""
        line = await self._native.next_event()
        return None if line is None else Event._from_json(line)

    def book(self, symbol: str, venue: Optional[str] = None) -> Book:
        """A consistent copy of the local book of ``symbol`` (on ``venue`` when the client
        has several). Raises :class:`ExchangeWsError` when no book is kept for it."""
        return Book(Event._from_json(self._native.book(symbol, venue)))

    @property
    def venues(self) -> List[str]:
        """The client's venues."""
        return list(self._native.venues())

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return bool(self._native.closed())

    async def close(self) -> None:
        """Logs out, closes every connection and ends :meth:`events`. A second call does
        nothing."""
        await self._native.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class Simulator:
    """The embedded exchange simulator: every venue on 127.0.0.1, offline."""

    def __init__(self, native: Any) -> None:
        self._native = native
        _OPEN.add(self)

    def _close_blocking(self) -> None:
        self._native.shutdown_blocking(_EXIT_TIMEOUT_S)

    @classmethod
    async def start(cls) -> "Simulator":
        """Starts a simulator on a free loopback port."""
        return cls(await _native.NativeSimulator.start())

    @property
    def addr(self) -> str:
        """``HOST:PORT``; pass it as ``connect(..., simulator=sim.addr)``."""
        return str(self._native.addr)

    def truth(self, venue: str, symbol: str, depth: int = 20) -> Book:
        """The simulator's own book (Gate.io venues): what a client's local book must equal
        once it has caught up. ``depth`` levels per side; ``status`` is ``"truth"``."""
        raw = json.loads(self._native.gateio_truth(venue, symbol, depth))
        raw.update(kind="book", venue=venue, symbol=symbol, status="truth")
        return Book(Event(raw))

    def inject(self, venue: str, symbol: str, fault: str) -> None:
        """Queues a one-shot book fault on a Gate.io venue: ``gap``, ``duplicate``,
        ``out_of_order``, ``full`` or ``crossed``."""
        self._native.gateio_inject(venue, symbol, fault)

    def pause(self, paused: bool = True) -> None:
        """Stops (or, with ``False``, restarts) Gate.io's book generator, so books settle."""
        self._native.gateio_pause(paused)

    def endpoints(self, venue: str) -> Tuple[str, str]:
        """``(rest_url, websocket_url)`` of ``venue`` on this simulator, for configs that
        take URLs (the old API's ``ExchangeConfig(base_url=..., websocket_url=...)``)."""
        rest, ws = self._native.endpoints(venue)
        return str(rest), str(ws)

    def credentials(self) -> Tuple[str, str, str]:
        """``(key, secret, user_id)`` that Gate.io's simulated account accepts."""
        key, secret, user = self._native.gateio_credentials()
        return str(key), str(secret), str(user)

    def place_order(self, venue: str, symbol: str, side: str, price: str, amount: str) -> int:
        """Places a resting order on a Gate.io venue's simulated account (``side``
        ``buy``/``sell``, exact decimal strings) and returns its id; the venue pushes the
        order and balance events."""
        return int(self._native.gateio_place_order(venue, symbol, side, price, amount))

    def fill(self, order_id: int, amount: str) -> int:
        """Fills ``amount`` of an order from :meth:`place_order`; returns the trade id."""
        return int(self._native.gateio_fill(order_id, amount))

    def subscribers(self, venue: str, channel: str, symbol: str) -> int:
        """Connections subscribed to a Gate.io channel (wire name, e.g. ``spot.orders``)."""
        return int(self._native.gateio_subscribers(venue, channel, symbol))

    def private_counts(self, venue: str) -> Tuple[int, int]:
        """``(orders, trades)``: the order and user-trade events a Gate.io venue's account
        pushed so far (each once to every subscribed connection)."""
        orders, trades = self._native.gateio_private_counts(venue)
        return int(orders), int(trades)

    async def shutdown(self) -> None:
        """Stops the simulator. A second call does nothing."""
        await self._native.shutdown()

    async def __aenter__(self) -> "Simulator":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()


def _check_names(name: str, values: Any) -> List[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, e.g. {name}=[...]")
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a list of strings")
    return list(values)


async def connect(
    venue: str,
    symbols: Sequence[str],
    channels: Sequence[str] = ("book",),
    depth: Optional[int] = None,
    levels: Optional[int] = None,
    credentials: Optional[Tuple[str, ...]] = None,
    simulator: Optional[str] = None,
) -> Client:
    """Connects to ``venue`` (``mexc-spot``, ``mexc-futures``, ``gateio-spot``,
    ``gateio-futures``) for ``symbols`` (spelled the venue's way) and ``channels`` (``book``,
    ``trades``, ``ticker``, ``ticker24h``, ``orders``, ``fills``, ``balances``,
    ``positions``).

    ``depth`` is the venue's book depth, ``levels`` the levels per side in book events,
    ``credentials`` ``(key, secret)`` or ``(key, secret, user_id)`` for account channels,
    ``simulator`` a :class:`Simulator`'s ``addr`` (or the simulator itself) to connect
    offline. Raises :class:`ExchangeWsError` with the reason when an argument is wrong or
    the venue cannot be reached.
    """
    if not isinstance(venue, str):
        raise TypeError("venue must be a string such as 'gateio-spot'")
    syms = _check_names("symbols", symbols)
    chans = _check_names("channels", channels)
    creds: Optional[Tuple[str, str, Optional[str]]] = None
    if credentials is not None:
        if len(credentials) not in (2, 3):
            raise TypeError("credentials must be (key, secret) or (key, secret, user_id)")
        creds = (credentials[0], credentials[1], credentials[2] if len(credentials) == 3 else None)
    if isinstance(simulator, Simulator):
        simulator = simulator.addr
    native = await _native.connect(venue, syms, chans, depth, levels, creds, simulator)
    return Client(native)


def venues() -> List[str]:
    """The venue names :func:`connect` takes."""
    return list(_native.venues())
