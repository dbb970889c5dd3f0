"""The Telegram adapter: ``run(settings, services)`` serves the bot until stopped."""

from bot.adapters.telegram.app import build_application, run

__all__ = ["build_application", "run"]
