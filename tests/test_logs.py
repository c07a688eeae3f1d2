"""Logging setup and redaction, checked on the real rendered output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from pydantic import BaseModel

from orderhub.logs import (
    Redactor,
    bind_run,
    configure_logging,
    get_redactor,
    logs_above,
    register_job_accounts,
    register_secrets,
    reset_logging,
    scrub_text,
)

SECRET = "cs_live_7f3a9b2c1d4e5f60718293a4b5c6d7e8"
KEY = "ck_live_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
EMAIL = "jane.buyer+shop@example.org"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    reset_logging()
    get_redactor().clear_secrets()
    structlog.contextvars.clear_contextvars()


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_lines_have_timestamp_level_event_and_fields() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    log = structlog.get_logger()
    log.info("order.stored", order_id="114-1234567-1234567", count=3)
    log.warning("sync.slow", seconds=12.5)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert list(first)[:3] == ["timestamp", "level", "event"]
    assert first["event"] == "order.stored"
    assert first["level"] == "info"
    assert first["order_id"] == "114-1234567-1234567"  # not mistaken for a phone number
    assert first["count"] == 3
    stamp = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert second["level"] == "warning"
    assert second["seconds"] == 12.5


def test_auto_format_is_json_off_a_terminal_and_console_on_one() -> None:
    piped = io.StringIO()
    configure_logging(fmt="auto", stream=piped)
    structlog.get_logger().info("hello.piped", a=1)
    assert json_lines(piped)[0]["event"] == "hello.piped"

    tty = TtyStream()
    configure_logging(fmt="auto", stream=tty)
    structlog.get_logger().info("hello.tty", a=1)
    text = tty.getvalue()
    assert "hello.tty" in text
    assert "\x1b[" in text  # colours on a terminal
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_console_format_without_a_terminal_has_no_colours() -> None:
    out = io.StringIO()
    configure_logging(fmt="console", stream=out)
    structlog.get_logger().info("sync.done", orders=4, email=EMAIL)
    text = out.getvalue()
    assert "sync.done" in text
    assert "orders=4" in text
    assert "\x1b[" not in text
    assert EMAIL not in text
    assert "email=[redacted]" in text


def test_level_filters_events() -> None:
    out = io.StringIO()
    configure_logging(level="warning", fmt="json", stream=out)
    log = structlog.get_logger()
    log.debug("dropped.debug")
    log.info("dropped.info")
    log.warning("kept.warning")
    log.error("kept.error")
    assert [line["event"] for line in json_lines(out)] == ["kept.warning", "kept.error"]


def test_bad_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging(level="verbose", stream=io.StringIO())
    with pytest.raises(ValueError, match="log format"):
        configure_logging(fmt="xml", stream=io.StringIO())


def test_stdlib_logging_goes_through_the_same_chain_at_warning_and_above() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    logging.getLogger("apscheduler.scheduler").info("Added job %s", "pull")  # below WARNING
    logging.getLogger("apscheduler.scheduler").warning("Run time of job %s was missed", "pull")
    logging.getLogger("httpx").info("HTTP Request: GET https://x")  # duplicate of our event
    logging.getLogger("alembic").error("migration failed for %s", EMAIL)

    lines = json_lines(out)
    # Library text becomes an orderhub event with the text kept (and scrubbed) as message.
    assert [(line["event"], line["message"]) for line in lines] == [
        ("worker.run_missed", "Run time of job pull was missed"),
        ("worker.library_message", "migration failed for [email]"),
    ]
    assert lines[0]["level"] == "info"
    assert lines[1]["level"] == "error" and lines[1]["fix"] and lines[1]["error_kind"]
    assert lines[0]["logger"] == "apscheduler.scheduler"
    assert "timestamp" in lines[0]


def test_httpx_stays_quiet_below_warning_even_at_debug() -> None:
    out = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=out)
    logging.getLogger("httpx").info("HTTP Request: GET https://x")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("apscheduler.scheduler").debug("Looking for jobs to run")
    assert [(line["event"], line["message"]) for line in json_lines(out)] == [
        ("worker.scheduler_message", "Looking for jobs to run")
    ]


def test_configure_is_idempotent() -> None:
    first = io.StringIO()
    configure_logging(fmt="json", stream=first)
    second = io.StringIO()
    configure_logging(fmt="json", stream=second)
    configure_logging(fmt="json", stream=second)

    logging.getLogger("apscheduler").warning("once")
    structlog.get_logger().info("also.once")
    assert first.getvalue() == ""
    assert [line["event"] for line in json_lines(second)] == [
        "worker.scheduler_message",
        "also.once",
    ]


def test_logger_created_before_configuration_follows_it() -> None:
    early = structlog.get_logger("orderhub.early")
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    early.info("early.event")
    assert json_lines(out)[0]["event"] == "early.event"


def test_bind_run_adds_fields_for_the_block_only() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    log = structlog.get_logger()
    with bind_run(account="my-shop", channel="woocommerce", run_id="r-1"):
        log.info("inside")
        with bind_run(run_id="r-2", operation=None):
            log.info("nested")
        log.info("inside.again")
    log.info("outside")
    logging.getLogger("apscheduler").warning("stdlib outside")

    lines = {line.get("message", line["event"]): line for line in json_lines(out)}
    assert lines["inside"]["account"] == "my-shop"
    assert lines["inside"]["channel"] == "woocommerce"
    assert lines["inside"]["run_id"] == "r-1"
    assert lines["nested"]["run_id"] == "r-2"
    assert "operation" not in lines["nested"]
    assert lines["inside.again"]["run_id"] == "r-1"
    assert "account" not in lines["outside"] and "run_id" not in lines["outside"]
    assert "account" not in lines["stdlib outside"]


def test_bind_run_fields_reach_stdlib_records_too() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    with bind_run(account="my-shop", run_id="r-9"):
        logging.getLogger("apscheduler").warning("missed")
    line = json_lines(out)[0]
    assert line["account"] == "my-shop" and line["run_id"] == "r-9"


def test_bind_run_undoes_on_exception() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    with pytest.raises(RuntimeError), bind_run(account="my-shop"):
        raise RuntimeError("x")
    structlog.get_logger().info("after")
    assert "account" not in json_lines(out)[0]


def test_secret_and_pii_keys_are_redacted_at_any_depth() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    structlog.get_logger().info(
        "http.request",
        account="my-shop",
        channel="woocommerce",
        connector="woocommerce",
        operation="list_orders",
        headers={
            "Authorization": f"Basic {KEY}",
            "X-Amz-Access-Token": "Atza|abc",
            "Accept": "*/*",
        },
        params={"consumer_key": KEY, "consumer_secret": SECRET, "page": 2, "next_token": "NT1"},
        payload={
            "id": 727,
            "billing": {"first_name": "Jane", "email": EMAIL, "phone": "+44 20 7946 0958"},
            "shipping": {"address_1": "1 High St"},
            "line_items": [{"sku": "MUG-1", "name": "Jane's mug", "quantity": 2}],
            "BuyerInfo": {"BuyerEmail": EMAIL},
            "ShippingAddress": {"City": "Leeds"},
            "shipping_lines": [{"method_id": "flat_rate"}],
            "city": "Leeds",
            "country": "GB",
            "postcode": "LS1 4AP",
        },
        cookie="session=abc",
        refresh_token="Atzr|token",
        client_secret="amzn1.oa2-cs.v1.abc",
        password="hunter22",
    )
    text = out.getvalue()
    for leaked in (
        KEY,
        SECRET,
        EMAIL,
        "Jane",
        "7946",
        "High St",
        "LS1 4AP",
        "Atza|abc",
        "hunter22",
    ):
        assert leaked not in text
    line = json_lines(out)[0]
    assert line["event"] == "http.request"
    assert line["account"] == "my-shop"
    assert line["channel"] == "woocommerce"
    assert line["connector"] == "woocommerce"
    assert line["operation"] == "list_orders"
    assert line["headers"] == {"Authorization": "***", "X-Amz-Access-Token": "***", "Accept": "*/*"}
    assert line["params"] == {
        "consumer_key": "***",
        "consumer_secret": "***",
        "page": 2,
        "next_token": "NT1",  # a pagination token is not a secret
    }
    payload = line["payload"]
    assert payload["id"] == 727
    assert payload["billing"] == "[redacted]"
    assert payload["shipping"] == "[redacted]"
    assert payload["line_items"] == [{"sku": "MUG-1", "name": "[redacted]", "quantity": 2}]
    assert payload["BuyerInfo"] == "[redacted]"
    assert payload["ShippingAddress"] == "[redacted]"
    assert payload["shipping_lines"] == [{"method_id": "flat_rate"}]
    assert payload["city"] == "Leeds"  # kept: alone it identifies nobody
    assert payload["country"] == "GB"
    assert payload["postcode"] == "[redacted]"
    assert line["cookie"] == "***"
    assert line["refresh_token"] == "***"
    assert line["client_secret"] == "***"
    assert line["password"] == "***"


def test_event_text_is_never_key_redacted_but_is_scrubbed() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    structlog.get_logger().info("name")  # the event key is not the PII key "name"
    structlog.get_logger().info(f"mail from {EMAIL}")
    events = [line["event"] for line in json_lines(out)]
    assert events == ["name", "mail from [email]"]


def test_registered_secrets_and_emails_are_scrubbed_from_free_text() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out, secrets=[SECRET])
    register_secrets([KEY, "", "ab"])  # empty and very short values are ignored
    structlog.get_logger().warning(
        "channel.answer",
        detail=f"key {KEY} rejected; contact {EMAIL}",
        url=f"https://shop.example.com/wp-json/wc/v3/orders?consumer_key={KEY}&page=2",
        nested=[{"note": f"token was {SECRET}"}, (f"{SECRET}!",)],
        header_text="Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        unregistered="https://x/?consumer_secret=cs_unregistered_value&per_page=100",
        short="abc lab",
    )
    text = out.getvalue()
    assert KEY not in text and SECRET not in text and EMAIL not in text
    assert "cs_unregistered_value" not in text
    assert "eyJhbGciOiJIUzI1NiJ9" not in text
    line = json_lines(out)[0]
    assert line["detail"] == "key *** rejected; contact [email]"
    assert line["url"].endswith("orders?consumer_key=***&page=2")
    assert line["nested"] == [{"note": "token was ***"}, ["***!"]]
    assert line["header_text"] == "Authorization: Bearer ***"
    assert line["unregistered"] == "https://x/?consumer_secret=***&per_page=100"
    assert line["short"] == "abc lab"


def test_url_encoded_secret_is_scrubbed() -> None:
    secret = "s3cr3t/with+special=chars"
    register_secrets([secret])
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    structlog.get_logger().info("x", url="https://h/?k=s3cr3t%2Fwith%2Bspecial%3Dchars")
    assert json_lines(out)[0]["url"] == "https://h/?k=***"


def test_exception_tracebacks_are_scrubbed() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out, secrets=[SECRET])
    log = structlog.get_logger()
    try:
        raise PermissionError(f"rejected {SECRET} for {EMAIL}")
    except PermissionError:
        log.exception("pull.failed", account="my-shop")
    line = json_lines(out)[0]
    assert line["event"] == "pull.failed"
    assert line["level"] == "error"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "PermissionError: rejected *** for [email]" in line["exception"]
    assert SECRET not in out.getvalue() and EMAIL not in out.getvalue()


def test_exception_tracebacks_are_scrubbed_in_console_output_and_stdlib_records() -> None:
    out = io.StringIO()
    configure_logging(fmt="console", stream=out, secrets=[SECRET])
    try:
        raise ValueError(f"bad secret {SECRET} from {EMAIL}")
    except ValueError:
        structlog.get_logger().exception("console.failed")
        logging.getLogger("alembic").error("stdlib.failed", exc_info=True)
    text = out.getvalue()
    assert text.count("ValueError: bad secret *** from [email]") == 2
    assert SECRET not in text and EMAIL not in text


def test_objects_are_redacted_by_their_fields() -> None:
    class Buyer(BaseModel):
        email: str
        order_id: str

    @dataclass
    class Shipment:
        tracking_number: str
        recipient: str

    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    structlog.get_logger().info(
        "objects",
        buyer_model=Buyer(email=EMAIL, order_id="A-1"),
        shipment=Shipment(tracking_number="1Z999", recipient="Jane Doe"),
        error=RuntimeError(f"mail {EMAIL}"),
        when=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        other={EMAIL},
    )
    line = json_lines(out)[0]
    assert line["buyer_model"] == {"email": "[redacted]", "order_id": "A-1"}
    assert line["shipment"] == {"tracking_number": "1Z999", "recipient": "[redacted]"}
    assert line["error"] == "RuntimeError: mail [email]"
    assert line["when"] == "2024-05-01T12:00:00+00:00"
    assert line["other"] == ["[email]"]


def test_redactor_does_not_mutate_the_callers_values() -> None:
    payload = {"billing": {"email": EMAIL}, "note": EMAIL}
    redactor = Redactor(secrets=[SECRET])
    result = redactor(None, "info", {"event": "e", "payload": payload, "s": SECRET})
    assert result == {
        "event": "e",
        "payload": {"billing": "[redacted]", "note": "[email]"},
        "s": "***",
    }
    assert payload == {"billing": {"email": EMAIL}, "note": EMAIL}


def test_redactor_instances_keep_their_own_secrets() -> None:
    mine = Redactor(secrets=["only-mine-123"])
    assert mine.scrub_text("x only-mine-123 y") == "x *** y"
    assert scrub_text("x only-mine-123 y") == "x only-mine-123 y"
    register_secrets(["only-mine-123"])
    assert scrub_text("x only-mine-123 y") == "x *** y"


def test_longer_secret_wins_over_its_prefix() -> None:
    redactor = Redactor(secrets=["abcd", "abcdefgh"])
    assert redactor.scrub_text("abcdefgh") == "***"


@pytest.mark.parametrize(
    ("key", "mask"),
    [
        ("Authorization", "***"),
        ("x-amz-access-token", "***"),
        ("lwa_client_secret", "***"),
        ("api_key", "***"),
        ("consumer_secret_env", None),  # the name of a variable, not the secret
        ("next_token", None),
        ("token_url", None),
        ("BuyerEmail", "[redacted]"),
        ("buyer_name", "[redacted]"),
        ("address_line1", "[redacted]"),
        ("postal_code", "[redacted]"),
        ("ship_to", "[redacted]"),
        ("country", None),
        ("city", None),
        ("account", None),
        ("channel", None),
        ("connector", None),
        ("event", None),
        ("sku", None),
    ],
)
def test_key_classification(key: str, mask: str | None) -> None:
    assert Redactor.key_mask(key) == mask


def test_phone_like_identifiers_in_free_text_are_kept() -> None:
    # Documented choice: no phone regex, because identifiers look like phone numbers.
    redactor = Redactor()
    text = "order 114-1234567-1234567 shipped with 1Z999AA10123456784 at 2024-05-01 12:00"
    assert redactor.scrub_text(text) == text


def test_a_skipped_run_is_worker_run_skipped_at_info_with_account_and_channel() -> None:
    out = io.StringIO()
    register_job_accounts({"shop-down": "woocommerce"})
    configure_logging(fmt="json", stream=out)
    logging.getLogger("apscheduler.executors.default").warning(
        'Execution of job "pull shop-down (trigger: interval[0:00:10], next run at: '
        '2026-12-02 18:00:00 UTC)" skipped: maximum number of running instances reached (1)'
    )
    (line,) = json_lines(out)
    assert (line["event"], line["level"], line["account"], line["channel"], line["job"]) == (
        "worker.run_skipped",
        "info",
        "shop-down",
        "woocommerce",
        "pull",
    )
    # At level warning, the info line is dropped like any other.
    quiet = io.StringIO()
    configure_logging(fmt="json", level="warning", stream=quiet)
    logging.getLogger("apscheduler.executors.default").warning(
        'Execution of job "pull shop-down (trigger: x)" skipped: maximum number of running '
        "instances reached (1)"
    )
    assert json_lines(quiet) == []


# -- log lines and a live display ----------------------------------------------------------


def _live_console(screen: io.StringIO, *, terminal: bool = True) -> Any:
    from rich.console import Console

    return Console(file=screen, force_terminal=terminal, width=100, color_system=None)


def test_inside_logs_above_lines_print_through_the_live_console_and_after_it_to_the_stream() -> (
    None
):
    from rich.progress import Progress

    stream = io.StringIO()
    screen = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    log = structlog.get_logger()
    with Progress(console=_live_console(screen), transient=True) as progress:
        task = progress.add_task("sync shop", total=None)
        with logs_above(progress.console):
            log.info("sync.started", account="shop")
            progress.update(task, refresh=True)
            logging.getLogger("alembic").warning("a library's warning")
            log.info("sync.finished", consumer_secret=SECRET)
    log.info("after.display")
    shown = [line.strip("\r\x1b[2K") for line in screen.getvalue().splitlines()]
    events = [json.loads(line[line.index("{") :]) for line in shown if "{" in line]
    assert [e["event"] for e in events] == [
        "sync.started",
        "worker.library_message",
        "sync.finished",
    ]
    assert SECRET not in screen.getvalue()  # the same redacting chain
    # Nothing of the live part reached the raw stream; the line after it did.
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "after.display"
    ]


def test_logs_above_leaves_a_console_that_is_not_a_terminal_alone() -> None:
    stream = io.StringIO()
    screen = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    with logs_above(_live_console(screen, terminal=False)):
        structlog.get_logger().info("piped")
    # Piped output gets its JSON lines byte for byte, through the configured stream.
    assert json.loads(stream.getvalue())["event"] == "piped"
    assert screen.getvalue() == ""


def test_an_unfinished_line_is_printed_when_the_live_display_ends() -> None:
    screen = io.StringIO()
    configure_logging(fmt="json", stream=io.StringIO())
    from orderhub import logs

    with logs_above(_live_console(screen)):
        logs._OUTPUT.write("half a line")
        assert screen.getvalue() == ""
    assert "half a line" in screen.getvalue()


def test_reset_logging_lets_go_of_a_closed_stream(capsys: pytest.CaptureFixture[str]) -> None:
    # A test runner closes its captured stream when the command ends (typer's CliRunner).
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream)
    stream.close()
    reset_logging()
    structlog.get_logger().warning("still.works")
    logging.getLogger("alembic").warning("library line")
    assert "Logging error" not in capsys.readouterr().err
