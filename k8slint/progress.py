"""A progress line on stderr for long runs ("rendering 37/116 targets…"), as a terminal user
sees it: only when stderr is a terminal, never in CI logs (``CI`` set), never with --quiet or
a machine format on stdout; shown once a run has taken a moment, rewritten in place at most
a few times a second, and cleared before anything else is printed."""

from __future__ import annotations

import threading
import time
from typing import IO

DELAY = 0.5  # seconds of silence before the line appears (short runs never show it)
INTERVAL = 0.1  # at most this often


def wanted(stream: IO, environ, quiet: bool, machine_on_stdout: bool) -> bool:
    """Whether a run writing to ``stream`` (stderr) shows progress."""
    if quiet or machine_on_stdout or environ.get("CI"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """``progress(done, total)`` callbacks (from any thread) drawn as one line on ``stream``."""

    def __init__(self, stream: IO, what: str = "rendering", unit: str = "targets", clock=time.monotonic) -> None:
        self.stream, self.what, self.unit, self.clock = stream, what, unit, clock
        self.started = clock()
        self.shown_at: float | None = None
        self.width = 0
        self.lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        with self.lock:
            now = self.clock()
            if now - self.started < DELAY or total < 2:
                return
            if self.shown_at is not None and now - self.shown_at < INTERVAL and done < total:
                return
            text = f"{self.what} {done}/{total} {self.unit}…"
            self.stream.write("\r" + text.ljust(self.width))
            self.stream.flush()
            self.width, self.shown_at = len(text), now

    def clear(self) -> None:
        """Remove the line (nothing when it was never shown)."""
        with self.lock:
            if self.width:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
                self.width = 0
