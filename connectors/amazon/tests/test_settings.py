"""Settings: regions, marketplace ids, hosts and overrides, secrets from the environment."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from orderhub.config import build_settings, check_config, load_config
from orderhub.sims import amazon as sim_amazon
from orderhub_connectors.amazon import AmazonConnector, AmazonSettings
from orderhub_connectors.amazon.marketplaces import MARKETPLACES

from .conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ConnectorFactory, settings


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(str(e["msg"]) for e in exc.value.errors())


def test_region_is_case_insensitive_and_ids_are_deduplicated() -> None:
    config = settings(region="NA", marketplace_ids=[" ATVPDKIKX0DER", "ATVPDKIKX0DER"])
    assert config.region == "na"
    assert config.marketplace_ids == ("ATVPDKIKX0DER",)


def test_a_single_marketplace_id_may_be_a_string() -> None:
    assert settings(marketplace_ids="A2EUQ1WTGCTBG2").marketplace_ids == ("A2EUQ1WTGCTBG2",)


def test_an_unknown_region_names_the_three() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(region="us")
    assert "unknown Amazon region 'us'" in error_text(caught)
    assert "na (North America)" in error_text(caught) and "fe (" in error_text(caught)


def test_an_unknown_marketplace_id_names_the_regions_ids() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(marketplace_ids=["ATVPDKIKX0DER", "ATVPDKIKX0DEX"])
    text = error_text(caught)
    assert "'ATVPDKIKX0DEX' is not an Amazon marketplace id" in text
    assert (
        "US ATVPDKIKX0DER" in text and "CA A2EUQ1WTGCTBG2" in text and "BR A2Q3Y263D00KWC" in text
    )
    assert "A1PA6795UKMFR9" not in text, "only the account's region is listed"


def test_a_marketplace_of_another_region_names_both_regions() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(marketplace_ids=["ATVPDKIKX0DER", "A1PA6795UKMFR9"])
    text = error_text(caught)
    assert "A1PA6795UKMFR9 (DE) belongs to the eu region, not na" in text
    assert "one account per region" in text


def test_marketplace_ids_are_required_and_at_most_fifty() -> None:
    with pytest.raises(ValidationError):
        settings(marketplace_ids=[])
    many = [f"A{i:012d}" for i in range(51)]
    with pytest.raises(ValidationError):
        settings(marketplace_ids=many)


def test_the_marketplace_table_matches_the_simulators() -> None:
    assert set(MARKETPLACES) == set(sim_amazon.MARKETPLACES)
    for marketplace_id, market in MARKETPLACES.items():
        other = sim_amazon.MARKETPLACES[marketplace_id]
        assert (market.region, market.currency) == (other.region, other.currency)


@pytest.mark.parametrize(
    ("region", "ids", "sandbox", "host"),
    [
        ("na", ["ATVPDKIKX0DER"], False, "https://sellingpartnerapi-na.amazon.com"),
        ("eu", ["A1F83G8C2ARO7P"], False, "https://sellingpartnerapi-eu.amazon.com"),
        ("fe", ["A1VC38T7YXB528"], False, "https://sellingpartnerapi-fe.amazon.com"),
        ("eu", ["A1PA6795UKMFR9"], True, "https://sandbox.sellingpartnerapi-eu.amazon.com"),
    ],
)
def test_regional_and_sandbox_hosts(
    make_connector: ConnectorFactory, region: str, ids: list[str], sandbox: bool, host: str
) -> None:
    connector = make_connector(region=region, marketplace_ids=ids, sandbox=sandbox)
    assert connector.http.base_url.rstrip("/") == host
    assert connector.lwa.token_url == "https://api.amazon.com/auth/o2/token"


def test_hosts_can_be_overridden_for_a_local_simulator(make_connector: ConnectorFactory) -> None:
    connector = make_connector(
        api_base_url="http://127.0.0.1:8123/", token_url="http://localhost:8123/auth/o2/token"
    )
    assert connector.http.base_url.rstrip("/") == "http://127.0.0.1:8123"
    assert connector.lwa.token_url == "http://localhost:8123/auth/o2/token"


@pytest.mark.parametrize("key", ["api_base_url", "token_url"])
def test_plain_http_is_refused_except_for_localhost(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**{key: "http://sp-api.example.com"})
    assert "plain http:// only for localhost" in error_text(caught)
    with pytest.raises(ValidationError):
        settings(**{key: "sellingpartnerapi-na.amazon.com"})


def test_included_data_asks_for_the_recipient_only_when_enabled(
    make_connector: ConnectorFactory,
) -> None:
    assert make_connector().included_data() == ("FULFILLMENT", "PROCEEDS")
    with_address = make_connector(include_recipient_address=True)
    assert with_address.included_data() == ("FULFILLMENT", "PROCEEDS", "RECIPIENT")


def test_secrets_are_hidden_and_registered_for_redaction() -> None:
    config = settings()
    assert REFRESH_TOKEN not in repr(config) and CLIENT_SECRET not in repr(config)
    assert set(config.secret_values()) == {CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN}


# -- through the configuration file ------------------------------------------------------------

TOML = """
[[accounts]]
id = "amazon-eu"
connector = "amazon"
[accounts.settings]
region = "eu"
marketplace_ids = ["A1PA6795UKMFR9", "{marketplace}"]
client_id_env = "AMZ_CLIENT_ID"
client_secret_env = "AMZ_CLIENT_SECRET"
{refresh}
"""


def write(tmp_path: Path, marketplace: str, refresh: str) -> Path:
    path = tmp_path / "orderhub.toml"
    text = TOML.replace("{marketplace}", marketplace).replace("{refresh}", refresh)
    path.write_text(textwrap.dedent(text))
    return path


ENV = {
    "AMZ_CLIENT_ID": CLIENT_ID,
    "AMZ_CLIENT_SECRET": CLIENT_SECRET,
    "AMZ_REFRESH_TOKEN": REFRESH_TOKEN,
}


def test_a_configured_account_builds_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "A13V1IB3VIYZZH", 'refresh_token_env = "AMZ_REFRESH_TOKEN"')
    config = load_config(path, env=ENV)
    assert check_config(config) == []
    built = build_settings(config.accounts[0], AmazonConnector.settings_model, config.file)
    assert isinstance(built, AmazonSettings)
    assert built.refresh_token.get_secret_value() == REFRESH_TOKEN


def test_a_wrong_marketplace_is_reported_with_the_account_key_and_no_secret(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "ATVPDKIKX0DER", 'refresh_token_env = "AMZ_REFRESH_TOKEN"')
    problems = check_config(load_config(path, env=ENV))
    assert len(problems) == 1
    text = str(problems[0])
    assert "accounts[0].settings" in text
    assert "ATVPDKIKX0DER (US) belongs to the na region, not eu" in text
    assert "UK A1F83G8C2ARO7P" in text
    for secret in ENV.values():
        assert secret not in text


def test_a_refresh_token_written_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "A13V1IB3VIYZZH", 'refresh_token = "Atzr|literal-in-the-file"')
    with pytest.raises(Exception) as caught:
        check_config(load_config(path, env=ENV))
    assert "refresh_token" in str(caught.value)
    assert "Atzr|literal-in-the-file" not in str(caught.value)


def test_the_client_secret_rotation_date_is_the_credentials_expiry() -> None:
    raw = {"region": "na", "client_secret_expires_on": "2026-06-30"}
    expiry = AmazonConnector.credentials_expiry(raw)
    assert expiry is not None and expiry.expires_on == date(2026, 6, 30)
    assert expiry.what == "the Amazon LWA client secret" and "client_secret_env" in expiry.fix
    validated = settings(client_secret_expires_on=date(2026, 6, 30))
    assert AmazonConnector.credentials_expiry(validated) == expiry
    assert AmazonConnector.credentials_expiry({"region": "na"}) is None
    assert AmazonConnector.credentials_expiry({"client_secret_expires_on": "June"}) is None
