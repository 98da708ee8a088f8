from decimal import Decimal
from typing import Any, AsyncIterator, Dict, List, NamedTuple, Optional, Sequence, Tuple

class ExchangeWsError(Exception):
    """An error from the exchange-ws client (the message is the Rust error's)."""

class Level(NamedTuple):
    price: Decimal
    qty: Decimal

class Event:
    kind: str
    venue: str
    symbol: Optional[str]
    exchange_ts_ms: Optional[int]
    receive_ts_ns: int
    fields: Dict[str, Any]
    def __getattr__(self, name: str) -> Any: ...

class Book:
    venue: str
    symbol: str
    status: str
    update_id: int
    bids: List[Level]
    asks: List[Level]
    @property
    def is_live(self) -> bool: ...

class Client:
    def events(self) -> AsyncIterator[Event]: ...
    async def next_event(self) -> Optional[Event]: ...
    def book(self, symbol: str, venue: Optional[str] = None) -> Book: ...
    @property
    def venues(self) -> List[str]: ...
    @property
    def closed(self) -> bool: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> Client: ...
    async def __aexit__(self, *exc: Any) -> None: ...

class Simulator:
    @classmethod
    async def start(cls) -> Simulator: ...
    @property
    def addr(self) -> str: ...
    async def shutdown(self) -> None: ...
    async def __aenter__(self) -> Simulator: ...
    async def __aexit__(self, *exc: Any) -> None: ...

async def connect(
    venue: str,
    symbols: Sequence[str],
    channels: Sequence[str] = ...,
    depth: Optional[int] = None,
    levels: Optional[int] = None,
    credentials: Optional[Tuple[str, ...]] = None,
    simulator: Optional[str | Simulator] = None,
) -> Client: ...
def venues() -> List[str]: ...
