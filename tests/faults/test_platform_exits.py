"""Issue #14 item 6: a token the platform stops accepting ends the process with one line and a
non-zero code (so ``restart: on-failure`` or an alert fires), and a stop signal ends it cleanly. Each
``run`` is the real entry point's, owning the main thread as in production (signals arrive there);
the stand-ins serve from their own threads."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time

import discord
import pytest
import yarl

from bot.adapters import discord as discord_adapter
from bot.adapters import telegram as telegram_adapter
from tests.e2e import discord_standin as di
from tests.e2e.test_discord import TOKEN as DISCORD_TOKEN
from tests.e2e.test_discord import settings as discord_settings
from tests.e2e.test_telegram import make_settings as telegram_settings
from tests.fakes import FakeService

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def after(condition, then, timeout: float = 20.0) -> threading.Thread:
    """In a thread: wait for ``condition()``, then call ``then()``; a timeout sends SIGINT so run() returns."""
    def drive() -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)
        then()

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    return thread


def polling(standin) -> bool:
    """A long poll is waiting on the stand-in: the bot is fully up."""
    return standin.polls_started >= 1


def test_telegram_token_revoked_mid_run_exits_non_zero_with_one_line(standin, caplog, capfd):
    caplog.set_level(logging.INFO)
    service = FakeService()
    driver = after(lambda: polling(standin), standin.revoke_token)
    code = telegram_adapter.run(telegram_settings(), service, base_url=standin.base_url)
    driver.join(5)
    assert code == 1
    [error] = errors(caplog)
    assert error.getMessage().startswith("Telegram rejected the bot token") and error.exc_info is None
    assert [c.ok for c in standin.calls_of("getUpdates", ok=None)][-1] is False  # it was the poll that failed
    assert not service.started  # shut down in order: the services were closed
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Event loop is closed" not in err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_telegram_stop_signal_ends_polling_cleanly(standin, caplog, capfd, stop):
    service = FakeService()
    driver = after(lambda: polling(standin) and service.started, lambda: os.kill(os.getpid(), stop))
    code = telegram_adapter.run(telegram_settings(), service, base_url=standin.base_url)
    driver.join(5)
    assert code == 0 and errors(caplog) == []
    assert not service.started
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Event loop is closed" not in err


class DiscordStandinThread:
    """A Discord stand-in on its own event loop and thread, so ``run`` can own the main thread."""

    def __init__(self, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.standin = di.DiscordStandin(**options)
        self.call(self.standin.start())

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def close(self) -> None:
        self.call(self.standin.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def discord_standin(monkeypatch):
    def start(**options) -> di.DiscordStandin:
        served = DiscordStandinThread(**options)
        started.append(served)
        monkeypatch.setattr(discord.http.Route, "BASE", served.standin.api_base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(served.standin.gateway_url))
        return served.standin

    started: list[DiscordStandinThread] = []
    yield start
    for served in started:
        served.close()


def test_discord_gateway_close_4004_exits_non_zero_with_the_bad_token_line(discord_standin, caplog, capfd):
    standin = discord_standin(close_on_identify=4004)  # REST accepted the token; the gateway does not
    caplog.set_level(logging.INFO)
    code = discord_adapter.run(discord_settings(), FakeService())
    assert code == 1
    [error] = errors(caplog)
    assert error.getMessage() == discord_adapter.BAD_TOKEN and error.exc_info is None
    assert all(r.exc_info is None for r in caplog.records)
    assert DISCORD_TOKEN not in caplog.text
    assert [c.path for c in standin.calls][:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_discord_stop_signal_closes_the_bot_cleanly(discord_standin, caplog, capfd, stop):
    standin = discord_standin()
    service = FakeService()
    driver = after(lambda: standin.guild_created.is_set() and service.started and standin.commands,
                   lambda: os.kill(os.getpid(), stop))
    code = discord_adapter.run(discord_settings(), service)
    driver.join(5)
    assert code == 0 and errors(caplog) == []
    assert not service.started  # closing the bot closed the services
    assert "Traceback" not in capfd.readouterr().err
