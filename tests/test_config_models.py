"""The file's pydantic models: any document is either a configuration or problems that
each name a key and a fix, in orderhub's words; durations and secret references."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from orderhub.config import AppConfig, ConfigError, SecretRef, load_config
from orderhub.config.alerts import EmailTable, RulesTable, WebhookTable
from orderhub.config.fields import Table
from orderhub.config.models import AccountTable, ConfigFile
from orderhub.config.problems import Problems
from orderhub.config.secrets import SecretFromEnv
from orderhub.config.sections import ShipmentsTable
from orderhub.testing.toml import toml_literal

ENV = {"K": "ck_property_0123456789", "S": "cs_property_0123456789", "HOOK": "https://h.test/x"}
#: What pydantic says in its own words; none of it may reach a user.
LIBRARY_WORDS = ("Input should", "Value error", "validation error", "Field required", "[type=")


def file_keys(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every key the file's models know, at any depth."""
    seen = seen if seen is not None else set()
    seen.add(model)
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        annotation = info.annotation
        if (
            isinstance(annotation, type)
            and issubclass(annotation, Table)
            and annotation not in seen
        ):
            keys |= file_keys(annotation, seen)
    return keys


KNOWN = sorted(
    file_keys(ConfigFile)
    | file_keys(AccountTable)
    | file_keys(RulesTable)
    | file_keys(WebhookTable)
    | file_keys(EmailTable)
    | {"base_url", "consumer_key_env", "consumer_secret_env", "consumer_secretenv", "amazon"}
)

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=12)
KEYS = st.one_of(st.sampled_from(KNOWN), _TEXT.filter(bool))
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.sampled_from(["5m", "0", "off", "1h30m", "-1s", "K", "S", "woocommerce", "shop", "json"]),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=12,
)
ACCOUNT = st.fixed_dictionaries(
    {"id": st.sampled_from(["shop", "b", "Bad Id"]), "connector": st.just("woocommerce")},
    optional={
        "enabled": st.one_of(st.booleans(), SCALARS),
        "interval": SCALARS,
        "jitter": SCALARS,
        "settings": st.dictionaries(KEYS, VALUES, max_size=4),
        "extra": VALUES,
    },
)
SECTION = st.dictionaries(KEYS, VALUES, max_size=4)
DOCUMENTS = st.dictionaries(
    KEYS,
    st.one_of(VALUES, SECTION, st.lists(ACCOUNT, min_size=1, max_size=2)),
    max_size=6,
)


def toml(document: dict[str, Any]) -> str:
    return "".join(
        f"{toml_literal(key)} = {toml_literal(value)}\n" for key, value in document.items()
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENTS)
def test_any_document_is_a_configuration_or_problems_naming_keys(
    tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("doc") / "orderhub.toml"
    text = toml(document)
    assert toml(tomllib.loads(text)) == text  # the file says what the document holds
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path, env=ENV, require_file=True, deep=True)
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.key, problem
            assert problem.message and problem.fix, problem
            said = f"{problem.message} {problem.fix}"
            assert not any(words in said for words in LIBRARY_WORDS), problem
            assert not any(secret in said for secret in ENV.values()), problem
    else:
        assert isinstance(config, AppConfig)


def problems_of(text: str, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "orderhub.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=ENV, require_file=True, deep=True)
    return {
        problem.key: f"{problem.message} Fix: {problem.fix}" for problem in caught.value.problems
    }


def test_wrong_types_are_said_in_our_words(tmp_path: Path) -> None:
    problems = problems_of(
        "[orderhub]\nlog_level = 5\n"
        '[metrics]\nport = "9108"\n'
        '[web]\nsecure_cookies = "yes"\n'
        "[retention]\nkeep_runs = 0\n"
        "[matching]\nstrip_prefixes = [5]\n"
        '[alerts.rules]\ncredentials_expiring_days = [30, 0]\nfailure_streak = "3"\n',
        tmp_path,
    )
    assert problems["orderhub.log_level"].startswith("5 is not a text.")
    assert problems["metrics.port"] == '"9108" is not a port number. Fix: Write port = 9108.'
    assert problems["web.secure_cookies"].startswith('"yes" is not true or false.')
    assert problems["retention.keep_runs"].startswith("0 is not a number from 1 to 1000000.")
    assert problems["matching.strip_prefixes[0]"].startswith("5 is not a text.")
    assert problems["alerts.rules.credentials_expiring_days[1]"].startswith("0 is not above 0.")
    assert "a count from 0 to 100000" in problems["alerts.rules.failure_streak"]
    for said in problems.values():
        assert not any(words in said for words in LIBRARY_WORDS), said


def test_unknown_keys_are_answered_with_the_real_key_names(tmp_path: Path) -> None:
    problems = problems_of(
        "[[accounts]]\n"
        'id = "shop"\n'
        'connector = "woocommerce"\n'
        "[accounts.settings]\n"
        'base_url = "https://shop.example.com"\n'
        'consumer_key_env = "K"\n'
        'consumer_secretenv = "S"\n'
        "[[alerts.destinations]]\n"
        'name = "hook"\ntype = "webhook"\nurl_env = "HOOK"\nfromat = "json"\n'
        "[[alerts.destinations]]\n"
        'name = "mail"\ntype = "email"\nhost = "smtp.example.com"\nfrom = "a@b.test"\n'
        'too = ["ops@example.com"]\n',
        tmp_path,
    )
    assert (
        'Did you mean "consumer_secret_env"?' in problems["accounts[0].settings.consumer_secretenv"]
    )
    assert 'Did you mean "format"?' in problems["alerts.destinations[0].fromat"]
    # The email model's keys as the file spells them: "from", not the field's name.
    assert 'Did you mean "to"?' in problems["alerts.destinations[1].too"]
    assert "from" in problems["alerts.destinations[1].too"]
    assert "missing to." in problems["alerts.destinations[1].to"]


def test_a_problem_in_an_account_still_checks_its_connector_settings(tmp_path: Path) -> None:
    problems = problems_of(
        '[[accounts]]\nid = "shop"\nconnector = "woocommerce"\ninterval = "1s"\n'
        '[accounts.settings]\nbase_url = "https://shop.example.com"\n'
        'consumer_key_env = "K"\nconsumer_secret_env = "S"\nmax_response_bytes = "big"\n',
        tmp_path,
    )
    assert "minimum of 10 seconds" in problems["accounts[0].interval"]
    assert problems["accounts[0].settings.max_response_bytes"].startswith(
        '"big" is not a whole number'
    )


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (45, 45), (1.5, 1.5)],
)
def test_durations_read_as_written(written: object, seconds: float) -> None:
    table = ShipmentsTable.model_validate({"scan_interval": written})
    assert table.scan_interval == timedelta(seconds=seconds)


@pytest.mark.parametrize("written", ["5x", "", "-1s", True, float("nan"), "99999999d"])
def test_bad_durations_name_the_key_and_the_form(written: object) -> None:
    with pytest.raises(ValidationError) as caught:
        AccountTable.model_validate({"id": "a", "connector": "c", "interval": written})
    problems = Problems("orderhub.toml")
    problems.from_validation(caught.value, AccountTable, "accounts[0]")
    (problem,) = problems
    assert problem.key == "accounts[0].interval"
    assert "duration" in problem.message or "minimum" in problem.message
    assert problem.fix


class _Secret(BaseModel):
    token_env: SecretFromEnv


def test_a_secret_reference_resolves_and_never_shows() -> None:
    value = _Secret.model_validate({"token_env": "K"}, context={"env": ENV}).token_env
    assert isinstance(value, SecretRef)
    assert value.variable == "K" and value.get() == ENV["K"]
    assert ENV["K"] not in repr(value) and ENV["K"] not in str(value)
    with pytest.raises(ValidationError) as caught:
        _Secret.model_validate({"token_env": "NOT_SET"}, context={"env": ENV})
    problems = Problems(None)
    problems.from_validation(caught.value, _Secret)
    (problem,) = problems
    assert problem.key == "token_env"
    assert problem.message == "the environment variable NOT_SET is not set."
    assert "export NOT_SET=" in problem.fix
