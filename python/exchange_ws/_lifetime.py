"""What is still open, closed at interpreter exit so that no Rust task is still running (and
touching Python objects) while the interpreter finalizes. Shared by the client, the
simulator and the old API's managers."""

from __future__ import annotations

import atexit
import weakref
from typing import Protocol

from . import _native

# How long exit waits for each close, and then for the runtime to go quiet.
EXIT_TIMEOUT_S = 5.0


class Closable(Protocol):
    def _close_blocking(self) -> None: ...


OPEN: "weakref.WeakSet[Closable]" = weakref.WeakSet()


@atexit.register
def _close_all_at_exit() -> None:
    for opened in list(OPEN):
        opened._close_blocking()
    _native.quiesce(EXIT_TIMEOUT_S)
