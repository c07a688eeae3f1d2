"""Alert bookkeeping and delivery against a real store, a real HTTP receiver and a real
SMTP server: reminders after the quiet period, escalation from the 30-day to the 7-day
credential warning, resolve, backoff for a failing destination, the Slack payload, and the
`orderhub alerts` commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from orderhub.alerts.dispatch import deliver_due
from orderhub.alerts.engine import DELIVERIES, evaluate
from orderhub.cli import app
from orderhub.config import AppConfig, ConfigError, load_config
from orderhub.health import account_health

from .conftest import SMTP_PASSWORD, Mailbox, Webhook, alerts_env, alerts_toml

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def ebay_account(expires_on: str) -> str:
    return (
        "[[accounts]]\n"
        'id = "ebay-uk"\n'
        'connector = "ebay"\n'
        "[accounts.settings]\n"
        'client_id_env = "EBAY_ID"\n'
        'client_secret_env = "EBAY_SECRET"\n'
        'refresh_token_env = "EBAY_TOKEN"\n'
        f"refresh_token_expires_on = {expires_on}\n"
    )


def config_for(tmp_path: Path, text: str, env: dict[str, str]) -> AppConfig:
    path = tmp_path / "orderhub.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env, defer_missing_secrets=True)


def round_at(engine: Engine, config: AppConfig, now: datetime) -> None:
    with engine.begin() as connection:
        evaluate(connection, account_health(connection, config, now), config.alerts, now)
    deliver_due(engine, config.alerts, now)


def kinds(hook: Webhook) -> list[tuple[str, str]]:
    return [(m["kind"], m["problem"]) for m in hook.received]


def test_expiry_opens_reminds_escalates_and_resolves_once_each(
    tmp_path: Path, store_engine: Engine, webhook: Webhook, mailbox: Mailbox
) -> None:
    env = alerts_env(webhook)
    header = alerts_toml(webhook, mailbox, extra='quiet_period = "1d"\n')
    config = config_for(tmp_path, header + ebay_account("2026-12-06"), env)

    round_at(store_engine, config, START)  # 35 days left: nothing
    assert webhook.received == []
    round_at(store_engine, config, START + timedelta(days=6))  # 29 days: the 30-day warning
    round_at(store_engine, config, START + timedelta(days=6, hours=1))  # nothing new
    assert kinds(webhook) == [("opened", "credentials_expiring")]
    assert webhook.received[0]["severity"] == "warning"
    assert "expires on 2026-12-06 (in 29 days)" in webhook.received[0]["summary"]
    round_at(store_engine, config, START + timedelta(days=7, hours=1))  # quiet period over
    assert kinds(webhook)[-1] == ("reminder", "credentials_expiring")
    round_at(store_engine, config, START + timedelta(days=29))  # 6 days: the 7-day warning
    assert kinds(webhook)[-1] == ("escalated", "credentials_expiring")
    assert webhook.received[-1]["severity"] == "critical"
    # The seller renews the token and updates the date: resolved, once.
    renewed = config_for(tmp_path, header + ebay_account("2027-11-01"), env)
    round_at(store_engine, renewed, START + timedelta(days=29, hours=1))
    round_at(store_engine, renewed, START + timedelta(days=30))
    assert kinds(webhook) == [
        ("opened", "credentials_expiring"),
        ("reminder", "credentials_expiring"),
        ("escalated", "credentials_expiring"),
        ("resolved", "credentials_expiring"),
    ]
    assert [str(m["Subject"]) for m in mailbox.messages] == [
        "[orderhub] WARNING ebay-uk: credentials expiring",
        "[orderhub] WARNING ebay-uk: credentials expiring",
        "[orderhub] CRITICAL ebay-uk: credentials expiring",
        "[orderhub] RESOLVED ebay-uk: credentials expiring",
    ]
    body = mailbox.messages[0].get_content()
    assert "Account: ebay-uk (ebay)" in str(body) and "Fix: Get a new refresh token" in str(body)


def test_a_failing_destination_is_retried_with_backoff_without_holding_the_other(
    tmp_path: Path, store_engine: Engine, webhook: Webhook, mailbox: Mailbox
) -> None:
    config = config_for(
        tmp_path, alerts_toml(webhook, mailbox) + ebay_account("2026-11-04"), alerts_env(webhook)
    )
    webhook.status = 500
    round_at(store_engine, config, START)
    assert (webhook.attempts, len(webhook.received), len(mailbox.messages)) == (1, 0, 1)
    with store_engine.connect() as connection:
        (row,) = [r for r in connection.execute(DELIVERIES.select()) if r.destination == "hook"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "webhook hook: answered HTTP 500"
    assert row.next_attempt_at == START + timedelta(seconds=10)
    deliver_due(store_engine, config.alerts, START + timedelta(seconds=5))
    assert webhook.attempts == 1, "not before its time"
    deliver_due(store_engine, config.alerts, START + timedelta(seconds=11))
    assert webhook.attempts == 2  # failed again: next wait is 20 s
    webhook.status = 200
    deliver_due(store_engine, config.alerts, START + timedelta(seconds=25))
    assert webhook.attempts == 2
    deliver_due(store_engine, config.alerts, START + timedelta(seconds=32))
    assert kinds(webhook) == [("opened", "credentials_expiring")]
    assert len(mailbox.messages) == 1, "the e-mail was sent once, in the first round"


def test_slack_payload_is_text_only(
    tmp_path: Path, store_engine: Engine, webhook: Webhook, mailbox: Mailbox
) -> None:
    header = alerts_toml(webhook, mailbox).replace(
        'url_env = "ALERT_HOOK_URL"\n', 'url_env = "ALERT_HOOK_URL"\nformat = "slack"\n'
    )
    config = config_for(tmp_path, header + ebay_account("2026-11-04"), alerts_env(webhook))
    round_at(store_engine, config, START)
    (payload,) = webhook.received
    assert list(payload) == ["text"]
    assert payload["text"].startswith("[orderhub] CRITICAL ebay-uk: credentials expiring: ")
    assert "Fix: Get a new refresh token" in payload["text"]


def cli(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(tmp_path / "orderhub.toml"),
            "--database-url",
            f"sqlite:///{tmp_path / 'orderhub.db'}",
            *args,
        ],
        env={**env, "COLUMNS": "250"},
    )
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_alerts_test_and_list_commands(tmp_path: Path, webhook: Webhook, mailbox: Mailbox) -> None:
    env = alerts_env(webhook)
    config = config_for(tmp_path, alerts_toml(webhook, mailbox) + ebay_account("2026-11-04"), env)
    code, output = cli(tmp_path, "alerts", "test", env=env)
    assert code == 0, output
    assert "sent hook (webhook)" in output and "sent mail (email)" in output
    assert webhook.received[0]["kind"] == "test" and len(mailbox.messages) == 1
    assert str(mailbox.messages[0]["Subject"]) == "orderhub test alert"

    webhook.status = 503
    code, output = cli(tmp_path, "alerts", "test", env=env)
    assert code == 1
    assert "failed hook (webhook): webhook hook: answered HTTP 503" in output
    assert "1 of 2 destinations did not take the test message" in output
    assert "T0KEN" not in output and SMTP_PASSWORD not in output

    assert cli(tmp_path, "db", "upgrade", env=env)[0] == 0
    assert "No alerts yet" in cli(tmp_path, "alerts", "list", env=env)[1]
    webhook.status = 200
    from orderhub.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}")
    try:
        round_at(engine, config, datetime.now(UTC))
    finally:
        engine.dispose()
    code, output = cli(tmp_path, "alerts", "list", env=env)
    assert code == 0
    assert "Alerts (1 open)" in output
    assert "ebay-uk │ credentials_expiring │ critical" in output
    assert "hook 1, mail 1" in output


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('[alerts]\nquiet_perod = "1h"\n', "alerts.quiet_perod", 'Did you mean "quiet_period"'),
        ('[alerts.rules]\nmute = ["stael"]\n', "alerts.rules.mute", 'Did you mean "stale"'),
        (
            '[[alerts.destinations]]\nname = "m"\ntype = "email"\nhost = "h"\n'
            'from = "a@b.example"\nto = ["c@d.example"]\npassword = "hunter22"\n',
            "alerts.destinations[0].password",
            "secrets are not read from the file",
        ),
        (
            '[[alerts.destinations]]\nname = "w"\ntype = "webhook"\nurl_env = "NOPE_URL"\n',
            "alerts.destinations[0].url_env",
            "NOPE_URL is not set",
        ),
        (
            '[[alerts.destinations]]\nname = "w"\ntype = "pager"\n',
            "alerts.destinations[0].type",
            'type = "webhook" or "email"',
        ),
    ],
)
def test_bad_alerts_configuration_names_the_key_and_the_fix(
    tmp_path: Path, table: str, key: str, words: str
) -> None:
    path = tmp_path / "orderhub.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    text = str(info.value)
    assert key in text and words in text, text
    assert "hunter22" not in text
