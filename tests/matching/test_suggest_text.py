"""Reading a catalog text skips the size and pack phrase patterns when a cheap test says
they cannot match: that test must hold whenever one of them would."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from orderhub.matching.normalise import normalise_sku
from orderhub.matching.suggest_text import (
    _PACK_PHRASES,
    _SIZE_PHRASES,
    TokenMemo,
    may_have_pack_phrase,
    may_have_size_phrase,
    read_words,
)

_FRAGMENTS = st.sampled_from(
    [
        "xx large", "extra small", "Extra  Large", "pack of 3", "set of 12", "3 ct",
        "12 pairs", "6 count", "2 pcs", "4 pieces", "3 pk", "10 pack", "tee", "x", "6pk",
        "of", "3", "-", "(", ")", ",", "_", "1234",
    ]
)  # fmt: skip
_TEXT = st.lists(_FRAGMENTS, max_size=6).map(" ".join) | st.text(max_size=30)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
@example(text="TEE XX-LARGE")
@example(text="socks (set of 3)")
@example(text="Coffee 12 ct")
def test_a_phrase_pattern_never_matches_where_its_shortcut_says_it_cannot(text: str) -> None:
    key = normalise_sku(text)
    if any(pattern.search(key) for pattern, _ in _SIZE_PHRASES):
        assert may_have_size_phrase(key)
    if any(pattern.search(key) for pattern in _PACK_PHRASES):
        assert may_have_pack_phrase(key)


_WORDS = st.sampled_from(
    [
        "amz", "fba", "uk", "org", "blue", "blk", "l", "m", "xl", "20", "5m", "250g", "6pk",
        "x3", "tee", "organic", "the", "of", "pack", "3", "b07xj8c8f5", "-", "%", "+&",
    ]
)  # fmt: skip
_TEXTS = st.lists(st.lists(_WORDS, max_size=6).map(" ".join) | st.text(max_size=20), max_size=8)


@settings(max_examples=300, deadline=None)
@given(texts=_TEXTS, sku=st.booleans())
@example(texts=["amz", "amz tee"], sku=True)  # a decoration alone, then beside a word
@example(texts=["l tee", "20 l"], sku=False)  # a size, then a unit after a number
def test_a_memo_kept_across_texts_reads_each_text_as_without_it(
    texts: list[str], sku: bool
) -> None:
    """A catalog build reads all its texts with one memo per kind of text; a token must
    not be remembered as what it was only in one text's context."""
    memo: TokenMemo = {}
    for text in texts:
        assert read_words(text, sku=sku, memo=memo) == read_words(text, sku=sku)
