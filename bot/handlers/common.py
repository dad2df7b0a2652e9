"""What every chat platform's adapter shares and no platform's SDK: a short-lived cache for look-ups, and a
threaded HTTP server (for slash commands, buttons and health checks) that logs requests at debug level."""

from __future__ import annotations

import logging
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

log = logging.getLogger(__name__)
TTL = 300.0  # seconds a membership or profile look-up is trusted


class TTLCache:
    """Look-ups (membership, channels, users) trusted for `ttl` seconds; safe across threads."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item and time.monotonic() - item[0] < self.ttl:
                return item[1]
            return None

    def drop(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def put(self, key: Any, value: Any) -> Any:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
        return value


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)
