"""Build the python-telegram-bot Application and run it (long polling, or a webhook when configured)."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.adapters.telegram import handlers, study
from bot.adapters.telegram.token_guard import WITHOUT_TOKEN_TRACEBACKS, TokenGuard
from bot.messages import COMMANDS
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 32  # one slow answer must not stall every other chat
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.POLL_ANSWER]
CONNECT_RETRY_MAX_S = 30.0
BOOTSTRAP_RETRIES = 5  # deleteWebhook / setWebhook at start; getMe is retried by _connect
BAD_TOKEN = "Telegram rejected the bot token: check ATLAS_TELEGRAM_TOKEN (from @BotFather)."
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


async def _post_init(application: Application) -> None:
    await application.bot_data["services"].start()
    for lang, language_code in (("en", None), ("zh", "zh")):
        commands = [BotCommand(name, description) for name, description in COMMANDS[lang]]
        await application.bot.set_my_commands(commands, language_code=language_code)


async def _post_shutdown(application: Application) -> None:
    await application.bot_data["services"].close()


def build_application(settings: Settings, services: Services, base_url: str | None = None) -> Application:
    """The Application with every handler; ``base_url`` is a Bot API server root (a local one, or a test's)."""
    guard = TokenGuard()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value().strip())
        .request(guard.request(connection_pool_size=256))  # PTB's defaults for the two pools
        .get_updates_request(guard.request(connection_pool_size=1))
        .concurrent_updates(CONCURRENT_UPDATES)
        # Telegram allows ~30 messages/s overall and ~20/min per group; on a 429 wait retry_after, retry.
        .rate_limiter(AIORateLimiter(overall_max_rate=30, group_max_rate=20, max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if base_url:
        builder = builder.base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot")
    application = builder.build()
    guard.application = application
    application.bot_data["services"] = services
    application.bot_data["settings"] = settings
    application.bot_data["token_guard"] = guard

    application.add_handler(TypeHandler(Update, handlers.allow_listed_chats_only), group=-1)
    for names, callback in (
        (["start", "help"], handlers.help_command),
        (["ask"], handlers.ask_command),
        (["debug"], handlers.debug_command),
        (["lang"], handlers.lang_command),
        (["about"], handlers.about_command),
        (["reindex"], handlers.reindex_command),
        (["gaps"], handlers.gaps_command),
    ):
        application.add_handler(CommandHandler(names, callback))
    for name in study.COMMANDS:
        application.add_handler(CommandHandler(name, study.command_handler(name)))
    application.add_handler(CommandHandler("rhythm", study.rhythm_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_button, pattern=r"^[dun]:"))
    application.add_handler(CallbackQueryHandler(study.on_study_button, pattern=r"^s[psrdq]:"))
    application.add_handler(PollAnswerHandler(study.on_poll_answer))
    application.add_error_handler(handlers.on_error)
    # The group rhythm: PTB's JobQueue looks for due posts; what was posted lives in Redis, not here.
    application.job_queue.run_repeating(study.rhythm_tick, interval=settings.study_tick_s, first=settings.study_tick_s,
                                        name="study-rhythm")
    return application


def webhook_options(settings: Settings) -> dict:
    """Arguments for ``run_webhook``. Without a configured secret, a random one per run: Telegram
    sends it back on every update, so forged POSTs to the webhook are refused either way.

    Raises ValueError for settings Telegram would refuse at setWebhook.
    """
    url = settings.telegram_webhook_url or ""
    if urlparse(url).scheme != "https":
        raise ValueError("ATLAS_TELEGRAM_WEBHOOK_URL must be an https:// URL (Telegram only calls https webhooks).")
    secret = settings.telegram_webhook_secret.get_secret_value() or secrets.token_urlsafe(32)
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise ValueError("ATLAS_TELEGRAM_WEBHOOK_SECRET may only hold 1-256 characters A-Z, a-z, 0-9, _ and -.")
    return {
        "listen": settings.telegram_webhook_listen,
        "port": settings.telegram_webhook_port,
        "url_path": urlparse(url).path.strip("/"),
        "webhook_url": url,
        "secret_token": secret,
    }


async def _connect(application: Application) -> None:
    """getMe (checks the token), retrying while Telegram is unreachable; a bad token raises at once."""
    delay = 1.0
    while True:
        try:
            await application.initialize()
            return
        except (BadRequest, InvalidToken):
            raise
        except NetworkError as exc:
            log.warning("Telegram unreachable (%s); retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, CONNECT_RETRY_MAX_S)


def run(settings: Settings, services: Services, base_url: str | None = None) -> int:
    """Serve until stopped (Ctrl-C / SIGTERM). Returns the process exit code."""
    if not settings.telegram_token.get_secret_value().strip():
        log.error("No Telegram bot token: set ATLAS_TELEGRAM_TOKEN (get one from @BotFather).")
        return 2
    try:
        webhook = webhook_options(settings) if settings.telegram_webhook_url else None
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("telegram.ext", "telegram.ext.Updater", "telegram.ext.Application"):
        logging.getLogger(name).addFilter(WITHOUT_TOKEN_TRACEBACKS)
    application = build_application(settings, services, base_url)
    # run_polling/run_webhook close their event loop when done: give each run a fresh one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_connect(application))
    except (TelegramError, KeyboardInterrupt) as exc:
        _log_start_failure(exc)
        loop.run_until_complete(application.bot.shutdown())
        loop.close()
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    try:
        if webhook:
            log.info("Telegram bot @%s: webhook at %s", application.bot.username, settings.telegram_webhook_url)
            application.run_webhook(**webhook, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES)
        else:
            log.info("Telegram bot @%s: long polling", application.bot.username)
            application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES)
    except TelegramError as exc:
        _log_start_failure(exc)
        return 1
    if application.bot_data["token_guard"].tripped:
        log.error(BAD_TOKEN)
        return 1
    return 0


def _log_start_failure(exc: BaseException) -> None:
    """One line, no traceback; never the exception text of InvalidToken (it quotes the token)."""
    if isinstance(exc, InvalidToken):
        log.error(BAD_TOKEN)
    elif isinstance(exc, TelegramError):
        log.error("Telegram refused to start the bot: %s", exc.message)
