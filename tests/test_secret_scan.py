"""The secret matcher masks what a longest-first regular expression of the same values
masks: leftmost match first, the longest at a position, non-overlapping."""

from __future__ import annotations

import re
from urllib.parse import quote

from hypothesis import example, given
from hypothesis import strategies as st

from orderhub.logs import Redactor
from orderhub.secret_scan import SecretMatcher

MASK = "***"
# A small alphabet, so values overlap, contain each other and recur in the text often.
letters = st.text(alphabet="abcd-_", min_size=1, max_size=8)


def regex_mask(values: set[str], text: str) -> str:
    ordered = sorted(values, key=len, reverse=True)
    return re.sub("|".join(re.escape(v) for v in ordered), MASK, text) if ordered else text


@given(st.sets(letters, max_size=12), st.text(alphabet="abcd-_ x", max_size=60))
@example({"abcd", "abcdef", "cdefgh", "bcde"}, "xxabcdefghyy abcdxcdefgh")
@example({"ab", "b", "bcd"}, "abcd")
# pyahocorasick's iter_long missed "a" inside a "_a_" that fails at the end of the text.
@example({"a", "_a_"}, "_a")
def test_masks_what_a_longest_first_pattern_masks(values: set[str], text: str) -> None:
    matcher = SecretMatcher()
    matcher.add(values)
    assert matcher.mask(text, MASK) == regex_mask(values, text)


@given(
    st.lists(st.sets(letters, max_size=5), max_size=12), st.text(alphabet="abcd-_ x", max_size=60)
)
def test_values_registered_one_batch_at_a_time_mask_the_same(
    batches: list[set[str]], text: str
) -> None:
    # Masking between registrations rebuilds the recent automaton and merges it into the
    # settled one now and then; whatever the split, the result is the one pattern's.
    matcher = SecretMatcher()
    seen: set[str] = set()
    for batch in batches:
        matcher.add(batch)
        seen |= batch
        assert matcher.mask(text, MASK) == regex_mask(seen, text)


def test_values_added_after_a_scrub_are_masked_too() -> None:
    matcher = SecretMatcher()
    matcher.add(["first-secret"])
    assert matcher.mask("a first-secret b", MASK) == f"a {MASK} b"
    matcher.add(["second-secret"])
    assert matcher.mask("first-secret second-secret", MASK) == f"{MASK} {MASK}"
    matcher.clear()
    assert matcher.mask("first-secret", MASK) == "first-secret"


def test_many_accounts_secrets_are_all_masked_in_their_encoded_forms() -> None:
    redactor = Redactor()
    values = [f"cs_{n:04d}_{'k' * 20}/+=" for n in range(300)]
    for value in values:  # one account at a time, as connectors are built
        redactor.add_secrets([value])
    for value in (values[0], values[150], values[-1]):
        text = f"GET /orders?x=1 with {value} and {quote(value, safe='')}"
        scrubbed = redactor.scrub_text(text)
        assert "kkkk" not in scrubbed, scrubbed
        assert scrubbed.count(MASK) == 2
