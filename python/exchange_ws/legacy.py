"""The old ``WebSocketManager`` API, backed by the Rust compat crate ``ws-manager-compat``.

A service written against the old Python layer switches by changing its import::

    from exchange_ws.legacy import (
        WebSocketManager, create_websocket_manager, WebSocketConfig, ExchangeConfig,
        ExchangeCredentials, ConnectionState, MessageType, ParsedMessage,
        PublicWebsocketChannelType, Symbol,
    )

Everything runs in Rust (parsing, subscriptions, book sync, heartbeats, reconnection with
backoff, both compat paths); this module only converts arguments and results. Which path
runs is chosen as in Rust: ``WS_COMPAT_ARCHITECTURE[_MEXC_SPOT|_GATEIO_SPOT|_GATEIO_FUTURES]
=legacy|direct`` at construction, ``architecture=`` on the factory, or
``await manager.switch_architecture(use_direct)`` at runtime.

Callbacks: ``message_handler(ParsedMessage)`` and ``connection_handler(ConnectionState)``
are async callables (plain functions work too). They run on the event loop that called
``initialize``, one at a time and in order, from a task that awaits the Rust side (GIL
released). Rust never waits for them: it puts each message in a bounded queue of
``WebSocketManagerConfig.max_pending_messages`` items. When the queue is full:

* ``ORDERBOOK``, ``BOOK_TICKER``, ``TICKER`` and book status (``OTHER``): only the latest
  per symbol is kept (an ``ORDERBOOK`` message carries the whole local book, so the book
  you see is never wrong; intermediate states are skipped and counted);
* public ``TRADE``: dropped and counted;
* orders, fills, balances, positions, errors and connection states: kept in a reserve as
  large as the queue; beyond it they are counted and reported to the message handler as an
  ``ERROR`` message saying how many were lost (never dropped silently).

``get_performance_metrics()["delivery"]`` has the counts; ``manager.metrics`` is the old
:class:`PerformanceMetrics` object.

Exceptions carry the Rust error's message: ``ValueError`` for bad configuration (as
before), :class:`ExchangeRestError` with ``status_code`` 503 (not connected), 400 (send or
subscribe failed) or 500 (initialize failed), ``TypeError`` for arguments of the wrong type.

Prices and quantities are ``decimal.Decimal`` (exact) unless the manager is created with
``numbers=float``, which gives the old floats.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
import warnings
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._lifetime import EXIT_TIMEOUT_S, OPEN
from ._native import ExchangeWsError

__all__ = [
    "AssetBalance",
    "BookStatusChange",
    "BookTicker",
    "ConnectionState",
    "DEFAULT_PUBLIC_WEBSOCKET_CHANNELS",
    "ErrorInfo",
    "ExchangeConfig",
    "ExchangeCredentials",
    "ExchangeRestError",
    "MessageType",
    "Order",
    "OrderBook",
    "OrderBookEntry",
    "OrderStatus",
    "OrderType",
    "ParsedMessage",
    "PerformanceMetrics",
    "Position",
    "PrivateWebsocketChannelType",
    "PublicWebsocketChannelType",
    "Reconciled",
    "Side",
    "SubscriptionAction",
    "Symbol",
    "Ticker",
    "Trade",
    "WebSocketConfig",
    "WebSocketManager",
    "WebSocketManagerConfig",
    "create_websocket_manager",
]

_log = logging.getLogger("exchange_ws.legacy")

# Items taken from the Rust queue per wake-up.
_BATCH = 256
# How long close() waits for the callbacks to see what was queued before it.
_DRAIN_TIMEOUT_S = 5.0


# --- Enums ---------------------------------------------------------------------------


class ConnectionState(Enum):
    """The old connection states (string values). ``CLOSING`` and ``CLOSED`` are now
    reported too."""

    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    ERROR = "ERROR"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"


class MessageType(IntEnum):
    """The old ``MessageType`` carried by every :class:`ParsedMessage`.

    ``SUBSCRIPTION_CONFIRM`` and ``HEARTBEAT`` are consumed in Rust and never delivered;
    positions, book status changes and "reconciled" arrive as ``OTHER``; public trades and
    our own fills both as ``TRADE`` (``data`` tells them apart)."""

    ORDERBOOK = 1
    TRADES = 2
    BOOK_TICKER = 3
    TICKER = 4
    TRADE = 5
    BALANCE = 6
    ORDER = 7
    SUBSCRIPTION_CONFIRM = 0
    HEARTBEAT = 999
    ERROR = -1
    SUBSCRIPTION_ERROR = -2
    OTHER = 888
    UNKNOWN = -999


class PublicWebsocketChannelType(IntEnum):
    """Public channels ``initialize(default_channels=...)`` takes."""

    ORDERBOOK = 1
    TRADES = 2
    BOOK_TICKER = 3
    TICKER = 4


class PrivateWebsocketChannelType(IntEnum):
    """The old private channel values (private managers subscribe all of them)."""

    TRADE = 5
    BALANCE = 6
    ORDER = 7


class SubscriptionAction(IntEnum):
    """The old subscription action values."""

    SUBSCRIBE = 1
    UNSUBSCRIBE = 2


DEFAULT_PUBLIC_WEBSOCKET_CHANNELS = [
    PublicWebsocketChannelType.BOOK_TICKER,
    PublicWebsocketChannelType.ORDERBOOK,
    PublicWebsocketChannelType.TRADES,
]


class Side(IntEnum):
    """Buy or sell (old values)."""

    BUY = 1
    SELL = 2


class OrderStatus(IntEnum):
    """Order states (old values)."""

    UNKNOWN = -1
    NEW = 1
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 5
    EXPIRED = 6
    REJECTED = 7


class OrderType(IntEnum):
    """Order types (old values)."""

    LIMIT = 1
    MARKET = 2
    LIMIT_MAKER = 3
    IOC = 4
    FOK = 5
    STOP_LIMIT = 6
    STOP_MARKET = 7


# --- Errors --------------------------------------------------------------------------


class ExchangeRestError(ExchangeWsError):
    """The old ``ExchangeRestError(status_code, message)``: 503 not connected, 400 send or
    subscribe failed, 500 initialize failed. The message is the Rust error's."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


async def _rest_errors(awaitable: Awaitable[Any]) -> Any:
    try:
        return await awaitable
    except _native.LegacyRestError as e:
        raise ExchangeRestError(int(e.args[0]), str(e.args[1])) from None


# --- Configuration -------------------------------------------------------------------


def _check_number(owner: str, name: str, value: Any, kind: type = float) -> None:
    ok = isinstance(value, (int, float)) if kind is float else isinstance(value, int)
    if isinstance(value, bool) or not ok:
        raise TypeError(f"{owner}.{name} must be a{'n int' if kind is int else ' number'}, not {value!r}")


@dataclass(frozen=True)
class WebSocketConfig:
    """The old ``WebSocketConfig`` (times in seconds) with its defaults. Values are
    checked by Rust when a manager is built (``ValueError`` with the reason)."""

    url: str
    connect_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 10.0
    close_timeout: float = 5.0
    max_reconnect_attempts: int = 10
    reconnect_delay: float = 1.0
    reconnect_backoff: float = 2.0
    max_reconnect_delay: float = 60.0
    max_message_size: int = 1_048_576
    max_queue_size: int = 1000
    heartbeat_interval: Optional[float] = 30.0
    enable_compression: bool = True
    text_encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if not isinstance(self.url, str):
            raise TypeError(f"WebSocketConfig.url must be a string, not {self.url!r}")
        for name in ("connect_timeout", "ping_interval", "ping_timeout", "close_timeout",
                     "reconnect_delay", "reconnect_backoff", "max_reconnect_delay"):
            _check_number("WebSocketConfig", name, getattr(self, name))
        for name in ("max_reconnect_attempts", "max_message_size", "max_queue_size"):
            _check_number("WebSocketConfig", name, getattr(self, name), int)
        if self.heartbeat_interval is not None:
            _check_number("WebSocketConfig", "heartbeat_interval", self.heartbeat_interval)

    @property
    def has_heartbeat(self) -> bool:
        """Whether ``heartbeat_interval`` is set and positive."""
        return self.heartbeat_interval is not None and self.heartbeat_interval > 0

    def with_url(self, new_url: str) -> "WebSocketConfig":
        """A copy with another URL."""
        return replace(self, url=new_url)


@dataclass
class WebSocketManagerConfig:
    """The old ``WebSocketManagerConfig``. Every field has an effect now:
    ``max_pending_messages`` bounds both Rust's processing queue and the queue to your
    callbacks; see docs/MIGRATION.md for the others."""

    max_reconnect_attempts: int = 10
    reconnect_delay: float = 1.0
    message_timeout: float = 30.0
    enable_performance_tracking: bool = True
    max_pending_messages: int = 1000
    batch_processing_enabled: bool = True
    batch_size: int = 100

    def _checked(self) -> "WebSocketManagerConfig":
        for name in ("max_reconnect_attempts", "max_pending_messages", "batch_size"):
            _check_number("WebSocketManagerConfig", name, getattr(self, name), int)
            if getattr(self, name) < 0:
                raise ValueError(f"WebSocketManagerConfig.{name} must not be negative")
        for name in ("reconnect_delay", "message_timeout"):
            _check_number("WebSocketManagerConfig", name, getattr(self, name))
        return self


@dataclass(frozen=True)
class ExchangeCredentials:
    """API key and secret (empty for public-only use). Never shown by ``repr``."""

    api_key: str = ""
    secret_key: str = ""

    def __repr__(self) -> str:
        def shown(value: str) -> str:
            return "<set>" if value else ""

        return f"ExchangeCredentials(api_key={shown(self.api_key)!r}, secret_key={shown(self.secret_key)!r})"


@dataclass
class ExchangeConfig:
    """The old ``ExchangeConfig``: ``name`` is ``MEXC``, ``GATEIO`` or ``GATEIO_FUTURES``
    (also ``MEXC_SPOT``, ``GATEIO_SPOT``, any case)."""

    name: str
    credentials: ExchangeCredentials
    base_url: str
    websocket_url: str
    network: Optional[str] = None
    rate_limit: Optional[float] = None
    websocket: Optional[WebSocketConfig] = None
    transport: Optional[Any] = None
    enabled: bool = True

    def has_credentials(self) -> bool:
        """Whether both the key and the secret are set."""
        return bool(self.credentials.api_key and self.credentials.secret_key)

    def is_public_only(self) -> bool:
        """Whether there are no credentials."""
        return not self.has_credentials()

    def is_ready_for_trading(self) -> bool:
        """Enabled and with credentials."""
        return self.enabled and self.has_credentials()


# --- Messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Symbol:
    """The old ``Symbol(base, quote, is_futures)``; ``str()`` gives ``BASE/QUOTE``."""

    base: str
    quote: str
    is_futures: bool = False

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}" + (" (futures)" if self.is_futures else "")


@dataclass(frozen=True)
class OrderBookEntry:
    """One level: price and size."""

    price: Any
    size: Any


@dataclass
class OrderBook:
    """An ``ORDERBOOK`` message's data: the **local book** right after an update (every
    level, best first), not the raw delta the old parsers passed on."""

    symbol: Optional[Symbol]
    bids: List[OrderBookEntry]
    asks: List[OrderBookEntry]
    timestamp: float
    last_update_id: Optional[int] = None
    is_snapshot: bool = False


@dataclass
class Trade:
    """A public trade, or (``order_id`` set) one of our fills."""

    symbol: Optional[Symbol]
    side: Optional[Side]
    quantity: Any
    price: Any
    timestamp: int
    quote_quantity: Any = None
    trade_id: Optional[str] = None
    order_id: Optional[str] = None
    fee: Any = None
    fee_asset: Optional[str] = None
    is_buyer: bool = False
    is_maker: bool = False


@dataclass
class BookTicker:
    """Best bid and ask."""

    symbol: Optional[Symbol]
    bid_price: Any
    bid_quantity: Any
    ask_price: Any
    ask_quantity: Any
    timestamp: int
    update_id: Optional[int] = None


@dataclass
class Ticker:
    """The 24 h ticker (fields a venue does not publish are ``None``)."""

    symbol: Optional[Symbol]
    last_price: Any = None
    bid_price: Any = None
    ask_price: Any = None
    high_price: Any = None
    low_price: Any = None
    volume: Any = None
    quote_volume: Any = None
    price_change_percent: Any = None
    close_time: Optional[int] = None


@dataclass
class Order:
    """An order change."""

    symbol: Optional[Symbol]
    order_id: str
    side: Side
    order_type: OrderType
    quantity: Any
    client_order_id: Optional[str] = None
    price: Any = None
    filled_quantity: Any = 0
    remaining_quantity: Any = None
    status: OrderStatus = OrderStatus.NEW
    timestamp: Optional[int] = None
    average_price: Any = None


@dataclass
class AssetBalance:
    """A balance change."""

    asset: str
    available: Any
    locked: Any

    @property
    def total(self) -> Any:
        """Available plus locked."""
        return self.available + self.locked


@dataclass
class Position:
    """A futures position (``side`` BUY means long; ``size`` is absolute)."""

    symbol: Optional[Symbol]
    side: Optional[Side] = None
    size: Any = None
    entry_price: Any = None
    liquidation_price: Any = None
    realized_pnl: Any = None
    timestamp: Optional[int] = None


@dataclass
class BookStatusChange:
    """A local book became ``syncing``, ``live`` or ``resyncing`` (``OTHER`` message)."""

    symbol: Optional[Symbol]
    status: str
    reason: Optional[str] = None


@dataclass
class Reconciled:
    """REST reconciliation after a reconnect finished (``OTHER`` message)."""

    venue: str


@dataclass
class ErrorInfo:
    """An ``ERROR`` / ``SUBSCRIPTION_ERROR`` message's data; the stream goes on.
    ``category``: ``parse``, ``subscription_rejected``, ``authentication``, ``book_sync``,
    ``rest``, ``venue``, or ``overflow`` (messages lost behind a slow callback)."""

    category: str
    message: str


@dataclass
class ParsedMessage:
    """The old ``ParsedMessage``. ``raw_data`` is always ``None`` (the frame is not kept
    after parsing); ``timestamp`` is wall-clock seconds when the message was translated;
    ``channel`` is the venue channel without the symbol."""

    message_type: MessageType
    symbol: Optional[Symbol] = None
    channel: Optional[str] = None
    data: Any = None
    timestamp: float = 0.0
    raw_data: Any = None


MessageHandler = Callable[[ParsedMessage], Union[Awaitable[None], None]]
ConnectionHandler = Callable[[ConnectionState], Union[Awaitable[None], None]]


@dataclass
class PerformanceMetrics:
    """The old ``PerformanceMetrics`` object (``manager.metrics``), a snapshot taken when
    read. From Rust: ``messages_processed`` (each message once),
    ``messages_per_second``, ``avg_processing_time_ms`` and ``max_processing_time_ms``
    (receive to handled), ``connection_uptime`` (seconds since ``initialize``),
    ``reconnection_count`` (counted now), ``error_count`` (transport and message errors
    plus callbacks that raised). From the delivery to your callbacks: ``last_message_time``
    (wall-clock seconds of the last message given to ``message_handler``, 0.0 before),
    ``orderbook_updates`` (``ORDERBOOK`` messages given to it), ``sub_1ms_messages`` and
    ``latency_violations`` (messages whose ``message_handler`` call took under / at least
    1 ms; the old manager timed its Python parser plus the handler, parsing is in Rust
    now)."""

    messages_processed: int = 0
    messages_per_second: float = 0.0
    avg_processing_time_ms: float = 0.0
    max_processing_time_ms: float = 0.0
    last_message_time: float = 0.0
    connection_uptime: float = 0.0
    reconnection_count: int = 0
    error_count: int = 0
    sub_1ms_messages: int = 0
    orderbook_updates: int = 0
    latency_violations: int = 0


@dataclass
class _DeliveryTally:
    """What the delivery task counted (see :class:`PerformanceMetrics`)."""

    handler_errors: int = 0
    last_message_time: float = 0.0
    orderbook_updates: int = 0
    sub_1ms: int = 0
    slow: int = 0

_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_STATUSES = {
    "new": OrderStatus.NEW, "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED, "canceled": OrderStatus.CANCELED,
    "partially_canceled": OrderStatus.PARTIALLY_CANCELED, "rejected": OrderStatus.REJECTED,
    "expired": OrderStatus.EXPIRED,
}
_TYPES = {
    "limit": OrderType.LIMIT, "market": OrderType.MARKET, "post_only": OrderType.LIMIT_MAKER,
    "immediate_or_cancel": OrderType.IOC, "fill_or_kill": OrderType.FOK,
}


class _Decoder:
    """Rust's JSON for one message → the old classes, with ``num`` for decimal strings."""

    def __init__(self, num: Callable[[str], Any]) -> None:
        self.num = num

    def opt(self, value: Optional[str]) -> Any:
        return None if value is None else self.num(value)

    def message(self, raw: Dict[str, Any]) -> ParsedMessage:
        sym = raw.get("symbol")
        symbol = Symbol(sym[0], sym[1], sym[2]) if sym else None
        data = raw.get("data")
        return ParsedMessage(
            message_type=MessageType(raw["message_type"]),
            symbol=symbol,
            channel=raw.get("channel"),
            data=None if data is None else self.data(data, symbol),
            timestamp=raw.get("timestamp", 0.0),
        )

    def data(self, d: Dict[str, Any], symbol: Optional[Symbol]) -> Any:
        kind, num, opt = d["kind"], self.num, self.opt
        if kind == "orderbook":
            update = d["update"]
            return OrderBook(
                symbol=symbol,
                bids=[OrderBookEntry(num(p), num(q)) for p, q in d["bids"]],
                asks=[OrderBookEntry(num(p), num(q)) for p, q in d["asks"]],
                timestamp=update["exchange_time_ms"],
                last_update_id=d["update_id"],
                is_snapshot=update["kind"] == "snapshot",
            )
        if kind == "trade":
            price, qty = num(d["price"]), num(d["quantity"])
            return Trade(symbol, _SIDES.get(d.get("taker_side") or ""), qty, price,
                         d["exchange_time_ms"], quote_quantity=price * qty,
                         trade_id=d["trade_id"])
        if kind == "fill":
            price, qty = num(d["price"]), num(d["quantity"])
            side = _SIDES[d["side"]]
            return Trade(symbol, side, qty, price, d["time_ms"], quote_quantity=price * qty,
                         trade_id=d["trade_id"], order_id=d["order_id"], fee=num(d["fee"]),
                         fee_asset=d.get("fee_asset"), is_buyer=side == Side.BUY,
                         is_maker=d.get("role") == "maker")
        if kind == "book_ticker":
            bid, ask = d.get("bid") or {}, d.get("ask") or {}
            return BookTicker(symbol, opt(bid.get("price")), opt(bid.get("quantity")),
                              opt(ask.get("price")), opt(ask.get("quantity")),
                              d["exchange_time_ms"], d.get("update_id"))
        if kind == "ticker":
            return Ticker(symbol, opt(d.get("last")), opt(d.get("best_bid")),
                          opt(d.get("best_ask")), opt(d.get("high_24h")), opt(d.get("low_24h")),
                          opt(d.get("base_volume")), opt(d.get("quote_volume")),
                          opt(d.get("change_percentage")), d["exchange_time_ms"])
        if kind == "order":
            qty, filled = num(d["quantity"]), num(d["filled"])
            return Order(symbol, d["order_id"], _SIDES[d["side"]],
                         _TYPES.get(d["order_type"], OrderType.LIMIT), qty,
                         client_order_id=d.get("client_order_id"), price=opt(d.get("price")),
                         filled_quantity=filled, remaining_quantity=qty - filled,
                         status=_STATUSES.get(d["status"], OrderStatus.UNKNOWN),
                         timestamp=d["update_time_ms"],
                         average_price=opt(d.get("average_price")))
        if kind == "balance":
            return AssetBalance(d["asset"], num(d["available"]), num(d["locked"]))
        if kind == "position":
            size = num(d["size"])
            direction = Side.BUY if size > 0 else Side.SELL if size < 0 else None
            return Position(symbol, direction, abs(size), opt(d.get("entry_price")),
                            opt(d.get("liquidation_price")), opt(d.get("realised_pnl")),
                            d["time_ms"])
        if kind == "book_status":
            status = d["status"]
            if isinstance(status, dict):  # {"resyncing": reason}
                reason = status.get("resyncing")
                return BookStatusChange(symbol, "resyncing",
                                        reason if isinstance(reason, str) else json.dumps(reason))
            return BookStatusChange(symbol, status)
        if kind == "reconciled":
            return Reconciled(d["venue"])
        if kind == "error":
            return ErrorInfo(d["category"], d["message"])
        return d


# --- The manager ---------------------------------------------------------------------


def _check_handler(name: str, handler: Any) -> None:
    if handler is not None and not callable(handler):
        raise TypeError(f"{name} must be an async callable, not {handler!r}")


def _symbols(name: str, symbols: Any) -> List[Tuple[str, str, bool]]:
    if isinstance(symbols, (str, Symbol)) or not isinstance(symbols, (list, tuple, set)):
        raise TypeError(f"{name} must be a list of Symbol, e.g. [Symbol('BTC', 'USDT')]")
    out = []
    for s in symbols:
        if not isinstance(s, Symbol):
            raise TypeError(f"{name} must hold Symbol objects, not {s!r}")
        out.append((s.base, s.quote, bool(s.is_futures)))
    return out


def _numbers(numbers: Any) -> Callable[[str], Any]:
    if numbers is Decimal or numbers is float:
        return numbers
    raise TypeError("numbers must be decimal.Decimal (exact, the default) or float (the old type)")


class WebSocketManager:
    """The old ``WebSocketManager``: the same calls, run by ws-manager-compat in Rust.

    ``WebSocketManager(config, message_handler, connection_handler, manager_config)``
    recognises the venue from ``config.url`` and streams public data; use
    :func:`create_websocket_manager` for private streams or URLs that do not name the
    venue. Attributes as before: ``config``, ``message_handler``, ``connection_handler``,
    ``manager_config``, ``logger``, ``connection_state``, ``metrics``, ``start_time``.
    """

    def __init__(
        self,
        config: WebSocketConfig,
        message_handler: Optional[MessageHandler] = None,
        connection_handler: Optional[ConnectionHandler] = None,
        manager_config: Optional[WebSocketManagerConfig] = None,
        logger: Any = None,
        strategies: None = None,
        *,
        numbers: Any = Decimal,
        architecture: Optional[str] = None,
        _native_manager: Any = None,
    ) -> None:
        if strategies is not None:
            raise ValueError(
                "custom strategy sets cannot be passed in: each venue's strategies are built "
                "in (use create_websocket_manager(exchange_config, ...))"
            )
        _check_handler("message_handler", message_handler)
        _check_handler("connection_handler", connection_handler)
        self.config = config
        self.message_handler = message_handler
        self.connection_handler = connection_handler
        self.manager_config = manager_config or WebSocketManagerConfig()
        self.logger = logger or _log
        self._decoder = _Decoder(_numbers(numbers))
        if _native_manager is None:
            if not isinstance(config, WebSocketConfig):
                raise TypeError(f"config must be a WebSocketConfig, not {config!r}")
            if not isinstance(self.manager_config, WebSocketManagerConfig):
                raise TypeError("manager_config must be a WebSocketManagerConfig")
            _native_manager = _native.NativeCompat.from_url(
                config, self.manager_config._checked(), architecture)
        self._native = _native_manager
        self._pump: Optional["asyncio.Task[None]"] = None
        self._tally = _DeliveryTally()
        self.start_time: Optional[float] = None
        OPEN.add(self)

    # The calls of the old API.

    async def initialize(
        self,
        symbols: Optional[Sequence[Symbol]] = None,
        default_channels: Optional[Sequence[PublicWebsocketChannelType]] = None,
    ) -> None:
        """Starts the connection and returns without waiting for it; ``symbols`` are
        subscribed once connected (and after every reconnect), on ``default_channels``
        (public streams; default :data:`DEFAULT_PUBLIC_WEBSOCKET_CHANNELS`). A second call
        raises ``ExchangeRestError(500)``."""
        syms = None if symbols is None else _symbols("symbols", symbols)
        chans = None
        if default_channels is not None:
            if isinstance(default_channels, (str, int)) or not isinstance(default_channels, (list, tuple)):
                raise TypeError("default_channels must be a list of PublicWebsocketChannelType")
            chans = [int(PublicWebsocketChannelType(c)) for c in default_channels]
        loop = asyncio.get_running_loop()
        await _rest_errors(self._native.initialize(syms, chans))
        self.start_time = time.time()
        if self._pump is None:
            self._pump = loop.create_task(self._deliver())

    async def subscribe(self, symbols: Sequence[Symbol]) -> None:
        """Subscribes the manager's channels of ``symbols``. ``ExchangeRestError(503)`` when
        not connected, ``(400)`` when the request could not be sent."""
        await _rest_errors(self._native.subscribe(_symbols("symbols", symbols)))

    async def unsubscribe(self, symbols: Sequence[Symbol]) -> None:
        """Unsubscribes ``symbols``; does nothing when disconnected (failures are logged)."""
        await self._native.unsubscribe(_symbols("symbols", symbols))

    async def send_message(self, message: Dict[str, Any]) -> None:
        """Sends ``message`` as JSON text. ``ExchangeRestError(503)`` when not connected,
        ``(400)`` when sending fails."""
        if not isinstance(message, dict):
            raise TypeError(f"message must be a dict, not {type(message).__name__}")
        await _rest_errors(self._native.send_message(json.dumps(message)))

    def is_connected(self) -> bool:
        """Whether the connection is open (``CONNECTED``)."""
        return bool(self._native.is_connected())

    @property
    def connection_state(self) -> ConnectionState:
        """The current state."""
        return ConnectionState(self._native.connection_state())

    def get_performance_metrics(self) -> Dict[str, Any]:
        """The old metrics dict: ``messages_processed`` (each message once),
        ``messages_per_second``, ``avg_processing_time_ms``, ``max_processing_time_ms``,
        ``connection_uptime_seconds``, ``reconnection_count`` (counted now),
        ``error_count`` (transport and message errors plus callbacks that raised),
        ``connection_state``, V6's ``handler_type`` and V4's ``architecture`` (``current``,
        ``switches``, ``legacy_path``/``direct_path``); plus ``delivery`` (``delivered``,
        ``conflated``, ``dropped``, ``queued``, ``handler_errors``) for the queue to the
        callbacks."""
        metrics: Dict[str, Any] = json.loads(self._native.performance_metrics())
        metrics["error_count"] += self._tally.handler_errors
        metrics["delivery"]["handler_errors"] = self._tally.handler_errors
        return metrics

    @property
    def metrics(self) -> PerformanceMetrics:
        """The old ``metrics`` attribute: a :class:`PerformanceMetrics` snapshot."""
        raw = self.get_performance_metrics()
        tally = self._tally
        return PerformanceMetrics(
            messages_processed=raw["messages_processed"],
            messages_per_second=raw["messages_per_second"],
            avg_processing_time_ms=raw["avg_processing_time_ms"],
            max_processing_time_ms=raw["max_processing_time_ms"],
            last_message_time=tally.last_message_time,
            connection_uptime=raw["connection_uptime_seconds"],
            reconnection_count=raw["reconnection_count"],
            error_count=raw["error_count"],
            sub_1ms_messages=tally.sub_1ms,
            orderbook_updates=tally.orderbook_updates,
            latency_violations=tally.slow,
        )

    @property
    def architecture(self) -> str:
        """The path in use: ``"legacy"`` (strategy) or ``"direct"`` (mixin)."""
        return str(self._native.architecture())

    async def switch_architecture(self, use_direct: Union[bool, str]) -> None:
        """V4's runtime switch: reconnects under the other path with the same handlers,
        channels and symbols. ``use_direct`` is a bool (or ``"legacy"``/``"direct"``)."""
        if isinstance(use_direct, bool):
            target = "direct" if use_direct else "legacy"
        elif isinstance(use_direct, str):
            target = use_direct
        else:
            raise TypeError("use_direct must be a bool (or 'legacy' / 'direct')")
        await self._native.switch_architecture(target)

    async def close(self) -> None:
        """Closes the connection and waits (bounded) until the callbacks have seen what was
        queued, ``CLOSED`` included. A second call does nothing."""
        try:
            await self._native.close()
        except Exception:  # the old close() logged and went on
            self.logger.exception("close")
        pump = self._pump
        if pump is not None and pump is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(pump), _DRAIN_TIMEOUT_S)
            except asyncio.TimeoutError:
                pump.cancel()

    def _close_blocking(self) -> None:
        self._native.close_blocking(EXIT_TIMEOUT_S)

    # Delivery to the callbacks.

    async def _deliver(self) -> None:
        while True:
            batch = await self._native.next_batch(_BATCH)
            if batch is None:
                return
            for raw in json.loads(batch):
                if raw["type"] == "state":
                    if self.connection_handler is not None:
                        await self._call(self.connection_handler, ConnectionState(raw["state"]))
                elif self.message_handler is not None:
                    await self._handle(self.message_handler, self._decoder.message(raw))

    async def _handle(self, handler: MessageHandler, message: ParsedMessage) -> None:
        tally = self._tally
        tally.last_message_time = message.timestamp
        if message.message_type == MessageType.ORDERBOOK:
            tally.orderbook_updates += 1
        start = time.perf_counter()
        await self._call(handler, message)
        if time.perf_counter() - start < 0.001:
            tally.sub_1ms += 1
        else:
            tally.slow += 1

    async def _call(self, handler: Callable[[Any], Any], arg: Any) -> None:
        try:
            result = handler(arg)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            # As before: counted, logged, and the stream goes on.
            self._tally.handler_errors += 1
            self.logger.exception("%s raised", getattr(handler, "__name__", "a callback"))

    async def __aenter__(self) -> "WebSocketManager":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


_IGNORED_KWARGS = frozenset({"logger"})


def create_websocket_manager(
    exchange_config: ExchangeConfig,
    is_private: bool = False,
    message_handler: Optional[MessageHandler] = None,
    connection_handler: Optional[ConnectionHandler] = None,
    **kwargs: Any,
) -> WebSocketManager:
    """The old factory: a manager for ``exchange_config`` (MEXC, Gate.io spot or Gate.io
    futures), public or private (``ValueError`` without credentials, for an unknown or
    disabled exchange, or bad settings).

    Keyword arguments: ``manager_config`` (a :class:`WebSocketManagerConfig`; default the
    old factory's HFT settings), ``architecture`` (``"legacy"``/``"direct"``; default from
    ``WS_COMPAT_ARCHITECTURE*``, else direct), ``numbers`` (``Decimal`` or ``float``),
    ``logger``. Other keywords are ignored with a warning, as the old factory ignored them.
    """
    if not isinstance(exchange_config, ExchangeConfig):
        raise TypeError(f"exchange_config must be an ExchangeConfig, not {exchange_config!r}")
    if not isinstance(is_private, bool):
        raise TypeError("is_private must be a bool")
    _check_handler("message_handler", message_handler)
    _check_handler("connection_handler", connection_handler)
    manager_config = kwargs.pop("manager_config", None) or WebSocketManagerConfig()
    if not isinstance(manager_config, WebSocketManagerConfig):
        raise TypeError("manager_config must be a WebSocketManagerConfig")
    architecture = kwargs.pop("architecture", None)
    numbers = kwargs.pop("numbers", Decimal)
    logger = kwargs.pop("logger", None)
    unknown = sorted(set(kwargs) - _IGNORED_KWARGS)
    if unknown:
        warnings.warn(f"create_websocket_manager ignores {', '.join(unknown)}", stacklevel=2)
    ec = exchange_config
    for name in ("name", "base_url", "websocket_url"):
        if not isinstance(getattr(ec, name), str):
            raise TypeError(f"ExchangeConfig.{name} must be a string")
    creds = ec.credentials or ExchangeCredentials()
    native = _native.NativeCompat.for_exchange(
        ec.name, creds.api_key, creds.secret_key, ec.base_url, ec.websocket_url,
        ec.websocket, bool(ec.enabled), is_private, manager_config._checked(), architecture,
    )
    return WebSocketManager(
        ec.websocket or WebSocketConfig(ec.websocket_url),
        message_handler,
        connection_handler,
        manager_config,
        logger,
        numbers=numbers,
        _native_manager=native,
    )
