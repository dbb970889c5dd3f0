"""A circuit breaker for the LLM endpoint (Nygard, "Release It!", 2007): after ``failures`` answers in
a row got nothing usable from the LLM it *opens*, and for ``cooldown_s`` every question goes straight to
the extractive answer without touching the LLM, so a hung server costs users nothing instead of one
timeout each. When the cool-down is over one *probe* (a tiny request, made in the background by the
client) decides: a reply closes the breaker "on probation" — the next failure opens it again at once —
and no reply starts another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "probing"]


class CircuitBreaker:
    def __init__(self, failures: int = 3, cooldown_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if failures < 1 or cooldown_s <= 0:
            raise ValueError("the breaker needs failures >= 1 and a positive cool-down")
        self.threshold, self.cooldown_s, self._clock = failures, cooldown_s, clock
        self.failures = 0  # answers in a row the LLM failed
        self.opened_at: float | None = None
        self.probing = False
        self.last_error = ""

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        return "probing" if self.probing else "open"

    def allows(self) -> bool:
        """May a question call the LLM now?"""
        return self.opened_at is None

    def probe_due(self) -> bool:
        """Open, the cool-down over and no probe running: the caller should start one."""
        return (self.opened_at is not None and not self.probing
                and self._clock() - self.opened_at >= self.cooldown_s)

    def success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self, error: str) -> None:
        self.failures += 1
        self.last_error = error
        if self.failures >= self.threshold and self.opened_at is None:
            self.opened_at = self._clock()

    def start_probe(self) -> None:
        self.probing = True

    def probe_result(self, ok: bool, error: str = "") -> None:
        """A reply closes the breaker with one failure left before it opens again; none re-opens it."""
        self.probing = False
        if ok:
            self.opened_at, self.failures = None, self.threshold - 1
        else:
            self.opened_at, self.last_error = self._clock(), error or self.last_error

    def describe(self) -> str:
        """One line for /debug and the health check."""
        if self.opened_at is None:
            return "closed" if not self.failures else f"closed ({self.failures} failure(s) in a row)"
        if self.probing:
            return f"open, probing the LLM (last error: {self.last_error})"
        left = max(self.cooldown_s - (self._clock() - self.opened_at), 0.0)
        return f"open after {self.failures} failures, next probe in {left:.0f} s (last error: {self.last_error})"
