"""The ``[matching]`` table of orderhub.toml: read, checked, unknown keys refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from orderhub.config import ConfigError, load_config
from orderhub.matching import MatchingConfig


def load(tmp_path: Path, text: str) -> MatchingConfig:
    path = tmp_path / "orderhub.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={}).matching


def test_defaults_without_the_table(tmp_path: Path) -> None:
    assert load(tmp_path, "") == MatchingConfig()


def test_strip_rules_and_catalog_interval(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[matching]\nstrip_prefixes = ["AMZ-"]\nstrip_suffixes = ["-FBA", "-FBA", "_UK"]\n'
        'catalog_interval = "30m"\n',
    )
    assert config == MatchingConfig(
        strip_prefixes=("AMZ-",),
        strip_suffixes=("-FBA", "_UK"),
        catalog_interval=timedelta(minutes=30),
    )
    assert MatchingConfig().catalog_interval == timedelta(hours=1)


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            tmp_path,
            '[matching]\nstrip_prefix = ["AMZ-"]\nstrip_suffixes = "-FBA"\n'
            'strip_prefixes = ["--", 3]\ncatalog_interval = "5s"\n',
        )
    problems = {problem.key: problem for problem in caught.value.problems}
    assert set(problems) == {
        "matching.strip_prefix",
        "matching.strip_suffixes",
        "matching.strip_prefixes[0]",
        "matching.strip_prefixes[1]",
        "matching.catalog_interval",
    }
    assert 'Did you mean "strip_prefixes"?' in problems["matching.strip_prefix"].fix
    assert "list" in problems["matching.strip_suffixes"].message


def test_the_table_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="matching: must be a table"):
        load(tmp_path, 'matching = "yes"\n')
