"""A sweep of every numeric, duration, date and text setting with values no setting can
mean (huge, negative, infinite, not a number, year 1, hundreds of kilobytes):
``orderhub config check`` answers each with "problem + fix" naming the file and the key
and exits 2, never with a traceback."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderhub.config import MAX_TEXT, ConfigError, ConfigProblem, check_config, load_config
from orderhub.testing.toml import toml_literal

from .conftest import Cli, flat

SECRETS = {
    "SWEEP_WC_KEY": "ck_sweep_0123456789",
    "SWEEP_WC_SECRET": "cs_sweep_0123456789",
    "SWEEP_AMZ_ID": "amzn1.application-oa2-client.sweep",
    "SWEEP_AMZ_SECRET": "amzn1.oa2-cs.v1.sweep0123456789",
    "SWEEP_AMZ_TOKEN": "Atzr|sweep0123456789",
    "SWEEP_EBAY_ID": "sweep-app-PRD-0123456789",
    "SWEEP_EBAY_SECRET": "PRD-sweep0123456789",
    "SWEEP_EBAY_TOKEN": "v^1.1#i^1#sweep0123456789",
    "SWEEP_SHOPIFY_SECRET": "shpss_sweep0123456789",
    "SWEEP_WEB_PASSWORD": "sweep-password-0123",
    "SWEEP_HOOK": "https://hooks.example.test/sweep",
}


def base() -> dict[str, Any]:
    """A configuration that passes `config check`, with every section and every connector."""
    return {
        "orderhub": {"database_url": "sqlite:///orderhub.db", "log_level": "info"},
        "accounts": [
            {
                "id": "shop",
                "connector": "woocommerce",
                "interval": "5m",
                "jitter": "10s",
                "settings": {
                    "base_url": "https://shop.example.test/wp-json/wc/v3/",
                    "consumer_key_env": "SWEEP_WC_KEY",
                    "consumer_secret_env": "SWEEP_WC_SECRET",
                    "request_deadline": 60.0,
                    "max_response_bytes": 10_000_000,
                },
            },
            {
                "id": "amazon-na",
                "connector": "amazon",
                "interval": "5m",
                "settings": {
                    "region": "na",
                    "marketplace_ids": ["ATVPDKIKX0DER"],
                    "client_id_env": "SWEEP_AMZ_ID",
                    "client_secret_env": "SWEEP_AMZ_SECRET",
                    "refresh_token_env": "SWEEP_AMZ_TOKEN",
                    "client_secret_expires_on": date(2027, 5, 1),
                },
            },
            {
                "id": "ebay-main",
                "connector": "ebay",
                "interval": "5m",
                "settings": {
                    "client_id_env": "SWEEP_EBAY_ID",
                    "client_secret_env": "SWEEP_EBAY_SECRET",
                    "refresh_token_env": "SWEEP_EBAY_TOKEN",
                    "refresh_token_expires_on": date(2027, 7, 14),
                    "daily_call_limit": 100_000,
                    "daily_reserve": 1_000,
                },
            },
            {
                "id": "my-store",
                "connector": "shopify",
                "interval": "5m",
                "settings": {
                    "shop": "my-store",
                    "client_id": "sweep-client-id",
                    "client_secret_env": "SWEEP_SHOPIFY_SECRET",
                    "api_version": "2026-10",
                },
            },
        ],
        "matching": {"catalog_interval": "1h"},
        "shipments": {"scan_interval": "30s", "push_interval": "1m", "verify_after": "2h"},
        "metrics": {"port": 9108, "address": "127.0.0.1"},
        "web": {
            "port": 8080,
            "password_env": "SWEEP_WEB_PASSWORD",
            "session_timeout": "8h",
        },
        "alerts": {
            "quiet_period": "6h",
            "check_interval": "30s",
            "rules": {
                "failure_streak": 3,
                "credentials_expiring_days": [30, 7],
                "stale_intervals": 3,
                "push_backlog_after": "1h",
                "awaiting_mapping_after": "24h",
            },
            "destinations": [
                {"name": "hook", "type": "webhook", "url_env": "SWEEP_HOOK", "timeout": 10},
                {
                    "name": "mail",
                    "type": "email",
                    "host": "smtp.example.test",
                    "port": 587,
                    "from": "orderhub@example.test",
                    "to": ["ops@example.test"],
                    "timeout": 10.0,
                },
            ],
        },
        "retention": {
            "buyer_data": "30d",
            "history": "30d",
            "keep_runs": 50,
            "channels": {"amazon": {"buyer_data": "30d"}},
        },
    }


# -- writing TOML -----------------------------------------------------------------------


def emit(table: dict[str, Any], prefix: str = "") -> Iterator[str]:
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            nested.append((key, value))
        else:
            yield f"{key} = {toml_literal(value)}"
    for key, value in nested:
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield f"[{name}]"
            yield from emit(value, f"{name}.")
        else:
            for item in value:
                yield f"[[{name}]]"
                yield from emit(item, f"{name}.")


def toml(data: dict[str, Any]) -> str:
    return "\n".join(emit(data)) + "\n"


# -- the slots and their values ---------------------------------------------------------

Path_ = tuple[str | int, ...]


def leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def replaced(path: Path_, value: Any) -> dict[str, Any]:
    data = base()
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def kind(path: Path_, value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str) and value[:1].isdigit() and value[-1:] in "smhd":
        return "duration"
    return "text"


HUGE = 99999999999999999999
BIG_TEXT = "x" * 200_000
PLUS_14 = timezone(timedelta(hours=14))

#: What each kind of setting is swept with (all of them wrong for any setting of the kind).
HOSTILE: dict[str, list[Any]] = {
    "number": [HUGE, -HUGE, -1, 2**63, 1e309, -1e309, float("nan"), "999999999d", BIG_TEXT],
    "duration": [
        "999999999d",
        "99999999999999999999s",
        "9" * 400 + "h",
        HUGE,
        -1,
        1e309,
        float("nan"),
        date(1, 1, 1),
        BIG_TEXT,
    ],
    "date": [
        date(1, 1, 1),
        datetime(1, 1, 1, tzinfo=PLUS_14),
        "0001-01-01",
        HUGE,
        -1,
        1e309,
        BIG_TEXT,
    ],
    "list": [[HUGE], [-1], [1e309], [float("nan")], [BIG_TEXT], HUGE],
    "text": [BIG_TEXT, HUGE, 1e309, date(1, 1, 1)],
    "bool": [HUGE, BIG_TEXT],
}

SLOTS = [(path, kind(path, value)) for path, value in leaves(base())]
CASES = [(path, bad) for path, slot_kind in SLOTS for bad in HOSTILE[slot_kind]]


def case_id(path: Path_, bad: Any) -> str:
    shown = repr(bad)
    return ".".join(str(step) for step in path) + "=" + (shown[:24] + "…" * (len(shown) > 24))


@dataclass
class Answer:
    code: int
    output: str
    traceback: BaseException | None


def config_check(cli: Cli, text: str) -> Answer:
    path = cli.write_config(text)
    result = cli("--config", str(path), "config", "check", env=SECRETS)
    broken = result.exception
    if isinstance(broken, SystemExit):
        broken = None
    return Answer(result.exit_code, flat(result.output), broken)


def key_words(path: Path_) -> list[str]:
    """The names a problem about ``path`` must mention (the setting's own key)."""
    return [str(step) for step in path if isinstance(step, str)][-1:]


def test_the_base_configuration_passes(orderhub: Cli) -> None:
    answer = config_check(orderhub, toml(base()))
    assert answer.traceback is None, answer.output
    assert answer.code == 0, answer.output
    assert "OK (4 accounts, 4 enabled)" in answer.output


def test_the_sweep_covers_every_kind_of_setting() -> None:
    kinds = {slot_kind for _path, slot_kind in SLOTS}
    assert kinds >= {"number", "duration", "date", "text", "list"}
    assert len(CASES) > 200


def test_every_out_of_range_value_is_refused_with_its_key_and_a_fix(orderhub: Cli) -> None:
    failures: list[str] = []
    for path, bad in CASES:
        answer = config_check(orderhub, toml(replaced(path, bad)))
        label = case_id(path, bad)
        if answer.traceback is not None:
            failures.append(f"{label}: traceback {answer.traceback!r}")
        elif answer.code != 2:
            failures.append(f"{label}: exit {answer.code}: {answer.output[:300]}")
        elif "Traceback" in answer.output:
            failures.append(f"{label}: a traceback was printed")
        else:
            missing = [
                word
                for word in ["Configuration problem", "orderhub.toml", "Fix", *key_words(path)]
                if word not in answer.output
            ]
            if missing:
                failures.append(f"{label}: no {missing} in {answer.output[:300]}")
            if len(answer.output) > 5_000:
                failures.append(f"{label}: the answer repeats the value ({len(answer.output)})")
    assert not failures, f"{len(failures)} of {len(CASES)}:\n" + "\n".join(failures)


# -- the same, open-ended, over the loader itself ---------------------------------------

#: Values outside what any setting of the file takes (every count, port, size and limit is
#: far below 2**40; every duration at most 100 years; every date after 1999; every text
#: at most 4096 characters).
_NUMBERS = st.one_of(
    st.integers(min_value=2**40),
    st.integers(max_value=-1),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: f < 0 or not math.isfinite(f)),
    st.floats(min_value=2.0**40, allow_infinity=False),
)
_LONG_TEXT = st.integers(min_value=MAX_TEXT + 1, max_value=3 * MAX_TEXT).map(lambda n: "y" * n)
_EARLY_DATES = st.dates(max_value=date(1999, 12, 31))
OUT_OF_RANGE = st.one_of(
    _NUMBERS,
    st.builds(
        lambda n, unit: f"{n}{unit}",
        st.integers(min_value=36_501 * 86_400),
        st.sampled_from(["s", "m", "h", "d"]),
    ),
    _EARLY_DATES,
    _LONG_TEXT,
    st.lists(st.integers(min_value=2**40), min_size=1, max_size=3),
)
#: A text setting (a name, a URL) may be any short text: only what no text setting takes.
NOT_TEXT = st.one_of(_NUMBERS, _EARLY_DATES, _LONG_TEXT)


def hostile_for(slot: tuple[Path_, str]) -> st.SearchStrategy[tuple[tuple[Path_, str], Any]]:
    return st.tuples(st.just(slot), NOT_TEXT if slot[1] in ("text", "bool") else OUT_OF_RANGE)


def problems_for(directory: Path, text: str) -> list[ConfigProblem]:
    """What `config check` finds in ``text``: the loader's problems, then check_config's."""
    path = directory / "orderhub.toml"
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path, env=SECRETS, require_file=True, deep=True)
    except ConfigError as exc:
        return exc.problems
    return check_config(config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(SLOTS).flatmap(hostile_for))
def test_the_loader_refuses_any_out_of_range_value_by_its_key(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[tuple[Path_, str], Any]
) -> None:
    (path, _kind), bad = case
    problems = problems_for(tmp_path_factory.mktemp("sweep"), toml(replaced(path, bad)))
    assert problems, f"{case_id(path, bad)} was accepted"
    names = key_words(path)
    assert any(all(name in problem.key for name in names) for problem in problems), problems
    assert all(problem.fix for problem in problems)


#: Found by the sweep: accepted before, then fatal where the value is used (a next run 2.7
#: million years ahead, a purge before year 1, a NaN socket timeout, a warning date 10**20
#: days before expiry), or echoed back 200 KB at a time.
FOUND: list[tuple[Path_, Any]] = [
    (("accounts", 0, "interval"), "999999999d"),
    (("retention", "buyer_data"), "999999999d"),
    (("web", "session_timeout"), "999999999d"),
    (("accounts", 1, "settings", "client_secret_expires_on"), date(1, 1, 1)),
    (("accounts", 2, "settings", "refresh_token_expires_on"), date(1, 1, 1)),
    (
        ("accounts", 2, "settings", "refresh_token_expires_on"),
        datetime(1, 1, 1, tzinfo=PLUS_14),
    ),
    (("accounts", 2, "settings", "daily_call_limit"), 2**63),
    (("alerts", "rules", "failure_streak"), HUGE),
    (("alerts", "rules", "credentials_expiring_days"), [HUGE]),
    (("alerts", "destinations", 0, "timeout"), float("nan")),
    (("alerts", "destinations", 1, "timeout"), 1e309),
    (("accounts", 3, "settings", "shop"), BIG_TEXT),
    (("metrics", "address"), BIG_TEXT),
    (("accounts", 0, "interval"), BIG_TEXT),
]


@pytest.mark.parametrize(
    ("path", "bad"), [pytest.param(path, bad, id=case_id(path, bad)) for path, bad in FOUND]
)
def test_values_the_sweep_found_are_refused(orderhub: Cli, path: Path_, bad: Any) -> None:
    answer = config_check(orderhub, toml(replaced(path, bad)))
    assert answer.traceback is None
    assert answer.code == 2, answer.output
    assert key_words(path)[0] in answer.output and "Fix:" in answer.output
    assert len(answer.output) < 2_000, "the value is not printed back whole"
