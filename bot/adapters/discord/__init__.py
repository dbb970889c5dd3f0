"""The Discord adapter. ``run`` is what ``atlas-bot discord`` calls."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import aiohttp
import discord

from bot.adapters.discord.client import AtlasBot
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["AtlasBot", "run"]

NO_TOKEN = "ATLAS_DISCORD_TOKEN is empty: set it to the bot token from the Discord Developer Portal (Bot → Token)."
BAD_TOKEN = ("Discord rejected ATLAS_DISCORD_TOKEN: reset the token in the Developer Portal (Bot → Token) "
             "and set it again.")
NO_INTENT = ("Discord refused the Message Content intent: enable it in the Developer Portal "
             "(Bot → Privileged Gateway Intents).")
AUTHENTICATION_FAILED = 4004  # the gateway's close code for a token it does not accept
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _serve(bot: AtlasBot, token: str) -> None:
    """Run until Discord closes the connection or a stop signal (Ctrl-C, ``docker stop``) closes the bot."""
    if threading.current_thread() is threading.main_thread():  # only the main thread may take signals
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, lambda: loop.create_task(bot.close()))
    async with bot:
        await bot.start(token)


def run(settings: Settings, services: Services) -> int:
    """Connect and answer until stopped; blocks. Returns a process exit code (0 on a clean stop).

    Setup problems and a token Discord stops accepting become one clear log line and a non-zero
    code (so a supervisor restarts or alerts), never a traceback."""
    token = settings.discord_token.get_secret_value().strip()
    if not token:
        log.error(NO_TOKEN)
        return 2
    bot = AtlasBot(settings, services)
    try:
        asyncio.run(_serve(bot, token))
    except discord.LoginFailure:
        log.error(BAD_TOKEN)
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error(NO_INTENT)
        return 1
    except discord.ConnectionClosed as exc:
        log.error(BAD_TOKEN if exc.code == AUTHENTICATION_FAILED
                  else f"Discord closed the gateway connection (close code {exc.code}).")
        return 1
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        log.error("could not connect to Discord: %s", exc)
        return 1
    except KeyboardInterrupt:
        log.info("stopped")
    return 0
