"""Finding registered secret values inside free text, however many there are.

The log redactor masks every registered secret (each in several encoded forms) in every
string it logs. A worker with hundreds of accounts registers thousands of such forms, one
connector at a time as the accounts first run. A regular expression of all of them was
recompiled at each registration (about 90 ms at 1,800 forms, so 200 accounts spent 18 s
of one CPU compiling while their first pulls waited for the interpreter) and tried every
alternative at each position of each logged string. An Aho-Corasick automaton
(pyahocorasick) finds every form in one pass over the text whatever their number; it is
rebuilt only when a string is scrubbed after something new was registered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import ahocorasick


def _automaton(values: Iterable[str]) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
    for value in values:
        automaton.add_word(value)
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton


class SecretMatcher:
    """A set of literal strings, masked in text leftmost first, the longest at a position
    (so a secret that contains another is masked whole). Thread-safe.

    Values live in two automata: a settled one and one of recent additions. Each rebuild
    after a registration rebuilds only the recent one, until it is half the size of the
    settled one and the two are merged, so registering n values one at a time costs
    O(n log n) insertions rather than O(n^2)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settled: set[str] = set()
        self._recent: set[str] = set()
        self._automata: tuple[ahocorasick.Automaton, ...] = ()
        self._stale = False

    def add(self, values: Iterable[str]) -> bool:
        """Add ``values``; whether any of them was new. The automata are rebuilt when text
        is next masked, so a burst of registrations costs one build."""
        with self._lock:
            fresh = {v for v in values if v} - self._settled - self._recent
            self._recent |= fresh
            self._stale = self._stale or bool(fresh)
            return bool(fresh)

    def clear(self) -> None:
        with self._lock:
            self._settled.clear()
            self._recent.clear()
            self._automata = ()
            self._stale = False

    def _current(self) -> tuple[ahocorasick.Automaton, ...]:
        if not self._stale:
            return self._automata
        with self._lock:
            if self._stale:
                settled = self._automata[0] if self._settled and self._automata else None
                if settled is None or len(self._recent) * 2 > len(self._settled):
                    self._settled |= self._recent
                    self._recent = set()
                    settled = _automaton(self._settled)
                recent = _automaton(self._recent)
                # Fresh automata, swapped in whole: one being read by another thread is
                # never changed under it.
                self._automata = tuple(a for a in (settled, recent) if a is not None)
                self._stale = False
            return self._automata

    def mask(self, text: str, mask: str) -> str:
        """``text`` with every occurrence of a value replaced by ``mask``."""
        automata = self._current()
        if not automata or not text:
            return text
        # Every occurrence (usually none), then leftmost first and the longest at each
        # start, skipping what overlaps a masked one. (``iter_long`` would do this in C,
        # but it misses a short value inside a longer one that fails at the text's end.)
        found = sorted(
            (end - length + 1, -length) for a in automata for end, length in a.iter(text)
        )
        if not found:
            return text
        pieces: list[str] = []
        done = 0
        for start, negative in found:
            if start >= done:
                pieces.append(text[done:start])
                pieces.append(mask)
                done = start - negative
        pieces.append(text[done:])
        return "".join(pieces)
