"""RetryPolicy: backoff growth, cap and validation."""

from __future__ import annotations

import pytest

from orderhub.sdk.retry import RetryPolicy


def test_backoff_doubles_from_base() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=100.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert policy.backoff(4) == 8.0
    assert policy.backoff(5) == 10.0
    assert policy.backoff(50) == 10.0


def test_backoff_of_attempt_zero_is_base() -> None:
    assert RetryPolicy(base_delay=3.0).backoff(0) == 3.0


def test_defaults_are_sane() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts >= 2
    assert 0 <= policy.jitter <= 1
    assert policy.max_retry_after >= policy.max_delay


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base_delay": -1.0},
        {"max_delay": -1.0},
        {"jitter": -0.1},
        {"jitter": 1.5},
    ],
)
def test_invalid_policies_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
