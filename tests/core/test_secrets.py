"""Secrets never logged (core.secrets): whichever library logs, at whichever level, through whichever handler.

The registry is process-wide, as in production; each test registers values of its own, made up fresh, so
the tests do not depend on each other.
"""

from __future__ import annotations

import io
import logging
import secrets as random
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from core import plugin, secrets
from core.secrets import SecretsFilter, register_secret, register_url_password
from core.storage import close_database, open_database
from tests.adapters.telegram.conftest import stack
from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, fresh_postgres_url, require_service
from tests.support.telegram_emulator import BotApiEmulator


def fresh(prefix: str = "s") -> str:
    return f"{prefix}-{random.token_hex(12)}"


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB >= 22.2 warns on every RetryAfter unless retry_after is opted in as a timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def test_a_registered_value_is_redacted_from_messages_of_any_logger(caplog: pytest.LogCaptureFixture) -> None:
    secret = fresh()
    register_secret(secret, "demo key")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.third_party.library.deep.child").debug("calling with %s", {"secret_token": secret})
    logging.getLogger().warning(f"in the message itself: {secret}")
    logging.getLogger("x").info("as the URL quoted it: %s", f"https://h/{quote(secret + '/é', safe='')}")
    assert secret not in caplog.text
    assert "calling with {'secret_token': '<demo key>'}" in caplog.text
    assert "in the message itself: <demo key>" in caplog.text
    assert len(caplog.records) == 3


def test_a_record_without_a_secret_is_left_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    register_secret(fresh())
    caplog.set_level(logging.INFO)
    logging.getLogger("plain").info("%d apples", 3)
    [record] = caplog.records
    assert (record.msg, record.args) == ("%d apples", (3,))


def test_tracebacks_and_stacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    secret = fresh()
    register_secret(secret, "db password")
    caplog.set_level(logging.INFO)
    log = logging.getLogger("tests.secrets")
    try:
        raise ConnectionError(f"could not connect to postgres://u:{secret}@db/x")
    except ConnectionError:
        log.exception("opening the database failed")
    log.info("where we are", stack_info=True, extra={"note": "stack"})
    assert secret not in caplog.text
    assert "ConnectionError: could not connect to postgres://u:<db password>@db/x" in caplog.text
    record = caplog.records[0]
    assert record.exc_info is None, "the raw exception is gone, so no handler can format it again"
    assert record.exc_text is not None and "<db password>" in record.exc_text
    # a handler formatting the record itself, with its own formatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.handle(record)
    assert secret not in stream.getvalue() and "<db password>" in stream.getvalue()


def test_a_handler_added_later_on_a_logger_that_does_not_propagate_gets_redacted_records() -> None:
    secret = fresh()
    register_secret(secret)
    stream = io.StringIO()
    lonely = logging.getLogger(f"lonely.{fresh()}")
    lonely.propagate = False
    lonely.setLevel(logging.DEBUG)
    lonely.addHandler(logging.StreamHandler(stream))
    lonely.debug("token=%s", secret)
    assert stream.getvalue() == "token=<secret>\n"


def test_a_hand_made_record_is_redacted_by_the_filter_on_a_handler() -> None:
    secret = fresh()
    register_secret(secret, "k")
    record = logging.makeLogRecord({"msg": "value %s", "args": (secret,), "levelno": logging.INFO})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretsFilter())
    handler.handle(record)
    assert stream.getvalue() == "value <k>\n"


def test_empty_and_very_short_values_are_ignored_and_a_broken_record_does_not_break_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for value in ("", "   ", "ab", "12345"):
        register_secret(value)
    caplog.set_level(logging.INFO)
    logging.getLogger("t").info("ab 12345 %s", "ok")
    assert "ab 12345 ok" in caplog.text
    broken = logging.makeLogRecord({"msg": "two %s %s", "args": ("only one",)})
    secrets.redact_record(broken)  # logging reports a broken record when it formats it; redacting must not raise
    assert broken.args == ("only one",)


def test_passwords_in_database_urls_are_registered_as_typed_and_decoded(caplog: pytest.LogCaptureFixture) -> None:
    decoded = fresh("p@ss:wörd")
    register_url_password(f"postgres://linli:{quote(decoded, safe='')}@db.example/linli")
    register_url_password("sqlite://data/linli.db")  # no password: nothing to do
    caplog.set_level(logging.INFO)
    logging.getLogger("t").info("connecting with %s and %s", decoded, quote(decoded, safe=""))
    assert decoded not in caplog.text and quote(decoded, safe="") not in caplog.text
    assert "connecting with <database password> and <database password>" in caplog.text


def test_registration_from_threads_while_logging() -> None:
    values = [fresh(f"t{i}") for i in range(40)]
    stream = io.StringIO()
    log = logging.getLogger(f"threads.{fresh()}")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(stream))
    threads = [threading.Thread(target=register_secret, args=(v, "x")) for v in values]
    for thread in threads:
        thread.start()
    for value in values:
        log.info("%s", value)
    for thread in threads:
        thread.join()
    for value in values:
        log.info("after: %s", value)
    after = [line for line in stream.getvalue().splitlines() if line.startswith("after")]
    assert after == ["after: <x>"] * len(values)


def test_plugins_register_their_secrets_through_the_plugin_api() -> None:
    assert plugin.register_secret is secrets.register_secret
    assert "register_secret" in plugin.__all__


async def test_opening_the_database_registers_its_password(caplog: pytest.LogCaptureFixture) -> None:
    """Opening the database registers its password, so no later line shows it: a driver's error quoting
    the URL, a plugin's careless log. (The test server trusts local connections, so any password works.)"""
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    password = fresh("Pw")
    url = fresh_postgres_url().replace("postgres@", f"postgres:{password}@", 1)
    caplog.set_level(logging.DEBUG)
    await open_database(url, {}, create_db=True)
    try:
        logging.getLogger("asyncpg.pool").warning("connection to %s lost", url)
    finally:
        await close_database(drop=True)
    assert "tortoise.db_client" in caplog.text, "the database was used with every library at DEBUG"
    assert password not in caplog.text
    assert "connection to postgres://postgres:<database password>@" in caplog.text


async def test_the_telegram_token_and_webhook_secret_never_reach_a_log_at_debug(
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:
    """The real adapter in webhook mode against the emulator, every library at DEBUG: python-telegram-bot
    logs setWebhook's parameters (secret_token included), httpx every URL (the token is in its path)."""
    token = f"{random.randbelow(10**9) + 10**9}:{random.token_urlsafe(26)}"
    hook_secret = fresh("hook")
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()  # and a handler of our own, added after start-up, on the root logger
    async with BotApiEmulator(token, strict_webhook_url=False) as emu:
        wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
        group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=[])
        async with stack(emu, f"sqlite://{tmp_path}/linli.db", webhook=True,
                         webhook_secret=SecretStr(hook_secret)) as linli:
            await linli.start()
            late = logging.StreamHandler(stream)
            late.setFormatter(logging.Formatter("%(name)s %(message)s"))
            logging.getLogger().addHandler(late)
            try:
                assert emu.webhook is not None and emu.webhook.secret_token == hook_secret
                emu.user_says(group, wang, "/setup 观梅社区")
                assert await emu.deliver_webhook() == 200
                [reply] = await emu.wait_for_sent(1)
                assert (reply.plain_text or "").startswith("观梅社区设置好了")
            finally:
                logging.getLogger().removeHandler(late)
    text = caplog.text + stream.getvalue()
    assert hook_secret not in text
    assert token not in text and token.split(":")[1] not in text
    assert "setWebhook" in caplog.text and "<telegram webhook secret>" in caplog.text, \
        "PTB's DEBUG line with the setWebhook parameters was captured, redacted"
    assert "<telegram token>" in stream.getvalue(), "httpx's request lines were captured, redacted"
