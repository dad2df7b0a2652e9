"""What an operator watches: log lines (text, or one JSON object per line for a collector) and Prometheus
metrics (answers by kind, so the no-match share; captures; errors; how long each handled event took), served
with a health check on the HTTP listeners and, for Socket Mode alone, on LEERKRING_HEALTH_LISTEN.

At INFO each handled event is one line with its platform, kind and latency, never a token or a message's
text."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

log = logging.getLogger("leerkring.events")
FIELDS = ("platform", "kind", "ms", "outcome")

ANSWERS = Counter("leerkring_answers_total", "Questions answered, by the kind of answer", ["platform", "kind"])
CAPTURES = Counter("leerkring_captures_total", "Lessons captured or updated from a chat", ["platform"])
ERRORS = Counter("leerkring_errors_total", "Events whose handling failed", ["platform", "kind"])
LATENCY = Histogram("leerkring_event_seconds", "Time to handle an event, from receipt to the last reply",
                    ["platform", "kind"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the event's fields when it has them."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@contextmanager
def handled(platform: str, kind: str) -> Iterator[None]:
    """Time one event's handling: a metric always, a log line at INFO; a failure is counted and re-raised."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        ERRORS.labels(platform, kind).inc()
        raise
    finally:
        seconds = time.perf_counter() - started
        LATENCY.labels(platform, kind).observe(seconds)
        log.info("%s %s handled in %.0f ms", platform, kind, seconds * 1000,
                 extra={"platform": platform, "kind": kind, "ms": round(seconds * 1000, 1)})


def counted_answer(platform: str, kind: str) -> None:
    ANSWERS.labels(platform, kind).inc()


def counted_capture(platform: str) -> None:
    CAPTURES.labels(platform).inc()


def health_and_metrics(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes] | None:
    """`/healthz` and `/metrics` for any of the bot's WSGI listeners; None for other paths."""
    path = environ.get("PATH_INFO")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    if path == "/metrics":
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [generate_latest()]
    return None


def serve_health(listen: str) -> Any:
    """A listener with only `/healthz` and `/metrics` (for Socket Mode, which has no HTTP listener)."""
    import threading
    from wsgiref.simple_server import make_server

    from bot.handlers.common import QuietHandler, ThreadingWSGIServer

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answered = health_and_metrics(environ, start_response)
        if answered is not None:
            return answered
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    host, _, port = listen.rpartition(":")
    server = make_server(host or "0.0.0.0", int(port), application, server_class=ThreadingWSGIServer,
                         handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
