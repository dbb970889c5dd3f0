"""A token Telegram stops accepting ends the run, whenever it happens (see ``TokenGuard``)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from http import HTTPStatus

from telegram.error import InvalidToken
from telegram.ext import Application
from telegram.request import HTTPXRequest

POLLING_TASK = "Updater:start_polling:polling_task"  # the name PTB 22 gives its polling loop


class TokenGuard:
    """Ends the run when Telegram stops accepting the token, at any time.

    PTB's polling loop gives up on a rejected token (InvalidToken) without telling the Application: the
    process would stay alive and deaf, and ``restart: on-failure`` would never fire. Every Bot API
    request goes through ``request()``, which reports a 401/404 answer (what PTB turns into InvalidToken)
    here; the guard then stops the updater and the Application cleanly, and ``run`` exits non-zero.
    """

    def __init__(self) -> None:
        self.application: Application | None = None
        self.tripped = False
        self._stopping: asyncio.Task | None = None

    def request(self, connection_pool_size: int) -> HTTPXRequest:
        return _WatchedRequest(self._trip, connection_pool_size=connection_pool_size)

    def _trip(self) -> None:
        if self.tripped:
            return
        self.tripped = True
        if self.application is not None and self.application.running:  # at start, _connect reports it
            self._stopping = asyncio.get_running_loop().create_task(self._stop())

    async def _stop(self) -> None:
        # A poll that got the 401 is ending on InvalidToken: let it end before the updater is stopped, or PTB
        # leaves that exception unretrieved (an "exception was never retrieved" traceback at exit).
        polling = [task for task in asyncio.all_tasks() if task.get_name() == POLLING_TASK]
        if polling:
            await asyncio.wait(polling, timeout=1.0)
        updater = self.application.updater
        if updater.running:
            with suppress(InvalidToken):  # the polling task ended with it
                await updater.stop()
        self.application.stop_running()


class _WatchedRequest(HTTPXRequest):
    def __init__(self, on_rejected, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_rejected = on_rejected

    async def do_request(self, *args, **kwargs) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
            self._on_rejected()
        return code, payload


class _WithoutTokenTracebacks(logging.Filter):
    """PTB logs a traceback when the token is rejected; ``run`` says it in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


WITHOUT_TOKEN_TRACEBACKS = _WithoutTokenTracebacks()
