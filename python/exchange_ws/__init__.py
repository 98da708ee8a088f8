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
    client.subscribe("ETH_USDT", ["book"])             # at run time
    print(client.stats().delivered)
    await client.close()
    await sim.shutdown()

Several venues in one client: ``connect(streams=[Stream("gateio-spot", ["BTC_USDT"]),
Stream("mexc-spot", ["BTCUSDT"], ["book", "trades"])])``. Account channels take
:class:`Credentials` (values, ``Credentials.from_env(venue)``, ``Credentials.from_file``,
``Credentials.load``); secrets are never shown.

Services written against the old ``WebSocketManager`` layer import it from
:mod:`exchange_ws.legacy` instead (backed by the Rust compat crate).
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import (
    Any, AsyncIterator, Deque, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union,
)

from . import _native
from ._lifetime import EXIT_TIMEOUT_S, OPEN
from ._native import Credentials, Event, ExchangeWsError, Levels

__all__ = [
    "Book",
    "Client",
    "Credentials",
    "Event",
    "ExchangeWsError",
    "Level",
    "Levels",
    "PoolStats",
    "Simulator",
    "Stats",
    "Stream",
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


# Events fetched from Rust per asyncio wake-up, at most (bounds Client's buffer).
_BATCH = 256


def _convert(fields: Dict[str, Any]) -> Dict[str, Any]:
    # How an event's JSON fields become Python values; exchange_ws.Event uses it for every
    # kind it does not read straight from Rust, so both give the same values.
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


@dataclass(frozen=True)
class PoolStats:
    """Counters of one venue's connections of one role (``public`` market data or
    ``private`` account data), summed over its connections, since :func:`connect`."""

    venue: str
    role: str
    #: Connections, and how many of them are connected now.
    connections: int
    connected: int
    #: Data messages and payload bytes received and sent.
    messages_received: int
    bytes_received: int
    messages_sent: int
    bytes_sent: int
    #: Connection attempts, sockets opened, and re-opened after a loss.
    connect_attempts: int
    connects: int
    reconnects: int
    #: Transport errors (failed attempts, protocol violations).
    errors: int
    #: Messages the venue handlers took, and those they could not use.
    handler_messages: int
    handler_errors: int
    #: Book snapshots requested, applied (book live), failed or stale; books rebuilt.
    snapshots_requested: int
    snapshots_applied: int
    snapshots_failed: int
    resyncs: int


@dataclass(frozen=True)
class Stats:
    """What a client has done so far (:meth:`Client.stats`).

    ``delivered``: events handed to :meth:`Client.events`; ``conflated``: values replaced by
    a newer one before they were read; ``queued``: events waiting now; ``dropped``: events
    lost to a full queue, by kind (``trade``, ``book_update``, ...); ``pools``: one
    :class:`PoolStats` per venue and role."""

    delivered: int
    conflated: int
    queued: int
    dropped: Dict[str, int]
    pools: Tuple[PoolStats, ...]

    @property
    def dropped_total(self) -> int:
        """Events dropped, every kind together."""
        return sum(self.dropped.values())

    def pool(self, venue: str, role: str = "public") -> PoolStats:
        """The counters of ``venue``'s ``role`` connections; ``KeyError`` when it has none."""
        for pool in self.pools:
            if pool.venue == venue and pool.role == role:
                return pool
        raise KeyError(f"no {role} connections to {venue} in these stats")

    @classmethod
    def _from_json(cls, line: str) -> "Stats":
        raw = json.loads(line)
        pools = tuple(PoolStats(**pool) for pool in raw.pop("pools"))
        return cls(pools=pools, **raw)


def _check_names(name: str, values: Any) -> List[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, e.g. {name}=[...]")
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a list of strings")
    return list(values)


def _check_count(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int or None, not {value!r}")


CredentialsArg = Union[Credentials, Tuple[str, str], Tuple[str, str, str]]


def _credentials(value: Any) -> Optional[Credentials]:
    if value is None or isinstance(value, Credentials):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3) and all(isinstance(v, str) for v in value):
        return Credentials(*value)
    # The value may hold a secret: its type only.
    raise TypeError(
        "credentials must be a Credentials, (key, secret) or (key, secret, user_id), "
        f"not a {type(value).__name__}"
    )


@dataclass(frozen=True)
class Stream:
    """What to stream from one venue, for ``connect(streams=[...])``.

    ``venue`` as :func:`venues` names it, ``symbols`` spelled the venue's way
    (``BTC_USDT`` on Gate.io, ``BTCUSDT`` on MEXC), ``channels`` (``book``, ``trades``,
    ``ticker``, ``ticker24h``, ``orders``, ``fills``, ``balances``, ``positions``),
    ``depth`` the venue's book depth, ``levels`` the levels per side in book events,
    ``credentials`` a :class:`Credentials` (or ``(key, secret[, user_id])``) for account
    channels. Types are checked here (``TypeError``); values by :func:`connect`."""

    venue: str
    symbols: Sequence[str]
    channels: Sequence[str] = ("book",)
    depth: Optional[int] = None
    levels: Optional[int] = None
    credentials: Optional[CredentialsArg] = field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.venue, str):
            raise TypeError("venue must be a string such as 'gateio-spot'")
        object.__setattr__(self, "symbols", tuple(_check_names("symbols", self.symbols)))
        object.__setattr__(self, "channels", tuple(_check_names("channels", self.channels)))
        _check_count("depth", self.depth)
        _check_count("levels", self.levels)
        object.__setattr__(self, "credentials", _credentials(self.credentials))


class Client:
    """A connected client (from :func:`connect`)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        # Events taken from Rust in one batch and not handed out yet; at most _BATCH.
        self._buffer: Deque[Event] = deque()
        OPEN.add(self)

    def _close_blocking(self) -> None:
        self._native.close_blocking(EXIT_TIMEOUT_S)

    async def _fill(self) -> bool:
        """Waits for the next batch of events; ``False`` once the stream has ended."""
        batch = await self._native.next_events(_BATCH)
        self._buffer.extend(batch)
        return bool(batch)

    async def events(self) -> AsyncIterator[Event]:
        """Every event from every venue, in order, until :meth:`close`."""
        buffer = self._buffer
        while True:
            while buffer:
                yield buffer.popleft()
            if not await self._fill():
                return

    async def next_event(self) -> Optional[Event]:
        """The next event, or ``None`` once the client is closed."""
        if not self._buffer and not await self._fill():
            return None
        return self._buffer.popleft()

    def book(self, symbol: str, venue: Optional[str] = None) -> Book:
        """A consistent copy of the local book of ``symbol`` (on ``venue`` when the client
        has several). Raises :class:`ExchangeWsError` when no book is kept for it."""
        return Book(Event._from_json(self._native.book(symbol, venue)))

    def stats(self) -> Stats:
        """The client's counters now: events delivered, conflated, queued and dropped, and
        per venue and role the connections' counters (see :class:`Stats`)."""
        stats = Stats._from_json(self._native.stats())
        held = len(self._buffer)
        if not held:
            return stats
        # Fetched from Rust but not handed out yet: still queued, from the user's side.
        return dataclasses.replace(stats, delivered=stats.delivered - held, queued=stats.queued + held)

    def resync(self, symbol: str, venue: Optional[str] = None) -> None:
        """Throws the local book of ``symbol`` (on ``venue`` when the client has several)
        away and rebuilds it from a fresh snapshot; ``book_status`` events follow
        (``resyncing``, then ``live``). Raises :class:`ExchangeWsError` when no book is kept
        for it."""
        self._native.resync(symbol, venue)

    def subscribe(
        self, symbol: str, channels: Union[str, Sequence[str]] = ("book",),
        venue: Optional[str] = None,
    ) -> None:
        """Subscribes market-data ``channels`` of ``symbol`` (on ``venue`` when the client
        has several) while the client runs. Returns once the request is on its way; events
        (and for ``book`` a local book, :meth:`book`) follow. Raises
        :class:`ExchangeWsError` for an unknown symbol or channel, or an account channel."""
        self._native.set_subscribed(symbol, _channel_list(channels), True, venue)

    def unsubscribe(
        self, symbol: str, channels: Union[str, Sequence[str]] = ("book",),
        venue: Optional[str] = None,
    ) -> None:
        """Unsubscribes ``channels`` of ``symbol``; its events stop once the venue has the
        request (events already queued are still delivered)."""
        self._native.set_subscribed(symbol, _channel_list(channels), False, venue)

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
        OPEN.add(self)

    def _close_blocking(self) -> None:
        self._native.shutdown_blocking(EXIT_TIMEOUT_S)

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


def _channel_list(channels: Any) -> List[str]:
    return [channels] if isinstance(channels, str) else _check_names("channels", channels)


async def connect(
    venue: Optional[str] = None,
    symbols: Optional[Sequence[str]] = None,
    channels: Optional[Sequence[str]] = None,
    depth: Optional[int] = None,
    levels: Optional[int] = None,
    credentials: Optional[CredentialsArg] = None,
    simulator: Union[str, Simulator, None] = None,
    *,
    streams: Optional[Sequence[Stream]] = None,
) -> Client:
    """Connects to ``venue`` (``mexc-spot``, ``mexc-futures``, ``gateio-spot``,
    ``gateio-futures``) for ``symbols`` (spelled the venue's way) and ``channels`` (``book``,
    the default, ``trades``, ``ticker``, ``ticker24h``, ``orders``, ``fills``, ``balances``,
    ``positions``); or, with ``streams=[Stream(...), ...]``, to several venues in one client
    (one :class:`Stream` per venue; then leave the per-venue arguments out).

    ``depth`` is the venue's book depth, ``levels`` the levels per side in book events,
    ``credentials`` a :class:`Credentials` (or ``(key, secret)``, ``(key, secret,
    user_id)``) for account channels, ``simulator`` a :class:`Simulator`'s ``addr`` (or the
    simulator itself) to connect every venue offline. Raises ``TypeError`` for arguments of
    the wrong type and :class:`ExchangeWsError` with the reason when a value is wrong or a
    venue cannot be reached.
    """
    if streams is None:
        if venue is None or symbols is None:
            raise TypeError("connect needs venue= and symbols= (or streams=[Stream(...), ...])")
        chosen = [Stream(venue, symbols, ("book",) if channels is None else channels,
                         depth, levels, credentials)]
    else:
        given = [name for name, value in (("venue", venue), ("symbols", symbols),
                                          ("channels", channels), ("depth", depth),
                                          ("levels", levels), ("credentials", credentials))
                 if value is not None]
        if given:
            raise TypeError(f"give {', '.join(given)} in each Stream, not next to streams=")
        if isinstance(streams, Stream) or not isinstance(streams, (list, tuple)):
            raise TypeError("streams must be a list of Stream, e.g. streams=[Stream(...)]")
        if not streams or not all(isinstance(s, Stream) for s in streams):
            raise TypeError("streams must be a non-empty list of Stream objects")
        chosen = list(streams)
    if isinstance(simulator, Simulator):
        simulator = simulator.addr
    native = await _native.connect(chosen, simulator)
    return Client(native)


def venues() -> List[str]:
    """The venue names :func:`connect` takes."""
    return list(_native.venues())
