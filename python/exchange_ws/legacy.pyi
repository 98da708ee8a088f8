"""The old WebSocketManager API (see legacy.py's docstring)."""

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Union

from . import ExchangeWsError

class ConnectionState(Enum):
    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    ERROR = "ERROR"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"

class MessageType(IntEnum):
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
    ORDERBOOK = 1
    TRADES = 2
    BOOK_TICKER = 3
    TICKER = 4

class PrivateWebsocketChannelType(IntEnum):
    TRADE = 5
    BALANCE = 6
    ORDER = 7

class SubscriptionAction(IntEnum):
    SUBSCRIBE = 1
    UNSUBSCRIBE = 2

DEFAULT_PUBLIC_WEBSOCKET_CHANNELS: List[PublicWebsocketChannelType]

class Side(IntEnum):
    BUY = 1
    SELL = 2

class OrderStatus(IntEnum):
    UNKNOWN = -1
    NEW = 1
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 5
    EXPIRED = 6
    REJECTED = 7

class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2
    LIMIT_MAKER = 3
    IOC = 4
    FOK = 5
    STOP_LIMIT = 6
    STOP_MARKET = 7

class ExchangeRestError(ExchangeWsError):
    status_code: int
    message: str
    def __init__(self, status_code: int, message: str) -> None: ...

@dataclass(frozen=True)
class WebSocketConfig:
    url: str
    connect_timeout: float = ...
    ping_interval: float = ...
    ping_timeout: float = ...
    close_timeout: float = ...
    max_reconnect_attempts: int = ...
    reconnect_delay: float = ...
    reconnect_backoff: float = ...
    max_reconnect_delay: float = ...
    max_message_size: int = ...
    max_queue_size: int = ...
    heartbeat_interval: Optional[float] = ...
    enable_compression: bool = ...
    text_encoding: str = ...
    @property
    def has_heartbeat(self) -> bool: ...
    def with_url(self, new_url: str) -> WebSocketConfig: ...

@dataclass
class WebSocketManagerConfig:
    max_reconnect_attempts: int = ...
    reconnect_delay: float = ...
    message_timeout: float = ...
    enable_performance_tracking: bool = ...
    max_pending_messages: int = ...
    batch_processing_enabled: bool = ...
    batch_size: int = ...

@dataclass(frozen=True)
class ExchangeCredentials:
    api_key: str = ...
    secret_key: str = ...

@dataclass
class ExchangeConfig:
    name: str
    credentials: ExchangeCredentials
    base_url: str
    websocket_url: str
    network: Optional[str] = ...
    rate_limit: Optional[float] = ...
    websocket: Optional[WebSocketConfig] = ...
    transport: Optional[Any] = ...
    enabled: bool = ...
    def has_credentials(self) -> bool: ...
    def is_public_only(self) -> bool: ...
    def is_ready_for_trading(self) -> bool: ...

@dataclass(frozen=True)
class Symbol:
    base: str
    quote: str
    is_futures: bool = ...

@dataclass(frozen=True)
class OrderBookEntry:
    price: Any
    size: Any

@dataclass
class OrderBook:
    symbol: Optional[Symbol]
    bids: List[OrderBookEntry]
    asks: List[OrderBookEntry]
    timestamp: float
    last_update_id: Optional[int] = ...
    is_snapshot: bool = ...

@dataclass
class Trade:
    symbol: Optional[Symbol]
    side: Optional[Side]
    quantity: Any
    price: Any
    timestamp: int
    quote_quantity: Any = ...
    trade_id: Optional[str] = ...
    order_id: Optional[str] = ...
    fee: Any = ...
    fee_asset: Optional[str] = ...
    is_buyer: bool = ...
    is_maker: bool = ...

@dataclass
class BookTicker:
    symbol: Optional[Symbol]
    bid_price: Any
    bid_quantity: Any
    ask_price: Any
    ask_quantity: Any
    timestamp: int
    update_id: Optional[int] = ...

@dataclass
class Ticker:
    symbol: Optional[Symbol]
    last_price: Any = ...
    bid_price: Any = ...
    ask_price: Any = ...
    high_price: Any = ...
    low_price: Any = ...
    volume: Any = ...
    quote_volume: Any = ...
    price_change_percent: Any = ...
    close_time: Optional[int] = ...

@dataclass
class Order:
    symbol: Optional[Symbol]
    order_id: str
    side: Side
    order_type: OrderType
    quantity: Any
    client_order_id: Optional[str] = ...
    price: Any = ...
    filled_quantity: Any = ...
    remaining_quantity: Any = ...
    status: OrderStatus = ...
    timestamp: Optional[int] = ...
    average_price: Any = ...

@dataclass
class AssetBalance:
    asset: str
    available: Any
    locked: Any
    @property
    def total(self) -> Any: ...

@dataclass
class Position:
    symbol: Optional[Symbol]
    side: Optional[Side] = ...
    size: Any = ...
    entry_price: Any = ...
    liquidation_price: Any = ...
    realized_pnl: Any = ...
    timestamp: Optional[int] = ...

@dataclass
class BookStatusChange:
    symbol: Optional[Symbol]
    status: str
    reason: Optional[str] = ...

@dataclass
class Reconciled:
    venue: str

@dataclass
class ErrorInfo:
    category: str
    message: str

@dataclass
class ParsedMessage:
    message_type: MessageType
    symbol: Optional[Symbol] = ...
    channel: Optional[str] = ...
    data: Any = ...
    timestamp: float = ...
    raw_data: Any = ...

MessageHandler = Callable[[ParsedMessage], Union[Awaitable[None], None]]
ConnectionHandler = Callable[[ConnectionState], Union[Awaitable[None], None]]

class WebSocketManager:
    config: WebSocketConfig
    message_handler: Optional[MessageHandler]
    connection_handler: Optional[ConnectionHandler]
    manager_config: WebSocketManagerConfig
    logger: Any
    start_time: Optional[float]
    def __init__(
        self,
        config: WebSocketConfig,
        message_handler: Optional[MessageHandler] = None,
        connection_handler: Optional[ConnectionHandler] = None,
        manager_config: Optional[WebSocketManagerConfig] = None,
        logger: Any = None,
        strategies: None = None,
        *,
        numbers: Any = ...,
        architecture: Optional[str] = None,
    ) -> None: ...
    async def initialize(
        self,
        symbols: Optional[Sequence[Symbol]] = None,
        default_channels: Optional[Sequence[PublicWebsocketChannelType]] = None,
    ) -> None: ...
    async def subscribe(self, symbols: Sequence[Symbol]) -> None: ...
    async def unsubscribe(self, symbols: Sequence[Symbol]) -> None: ...
    async def send_message(self, message: Dict[str, Any]) -> None: ...
    def is_connected(self) -> bool: ...
    @property
    def connection_state(self) -> ConnectionState: ...
    def get_performance_metrics(self) -> Dict[str, Any]: ...
    @property
    def architecture(self) -> str: ...
    async def switch_architecture(self, use_direct: Union[bool, str]) -> None: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> WebSocketManager: ...
    async def __aexit__(self, *exc: Any) -> None: ...

def create_websocket_manager(
    exchange_config: ExchangeConfig,
    is_private: bool = False,
    message_handler: Optional[MessageHandler] = None,
    connection_handler: Optional[ConnectionHandler] = None,
    **kwargs: Any,
) -> WebSocketManager: ...
