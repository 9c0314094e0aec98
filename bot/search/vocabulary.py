"""The recovery vocabulary: groups of equivalent terms ("AA" | "Alcoholics
Anonymous"), read from bot/search/vocabulary.txt. A plain search term found in
a group is expanded to the group's other entries, both ways."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_VOCABULARY_FILE = Path(__file__).parent / "vocabulary.txt"


def normalize(text: str) -> tuple[str, ...]:
    """Words of `text` folded for vocabulary matching: case, accents, punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(w for w in re.split(r"[\W_]+", bare) if w)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Equivalence groups of recovery terms; see bot/search/vocabulary.txt."""

    groups: tuple[tuple[str, ...], ...] = ()
    _index: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False, compare=False)
    _longest: int = 0

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Vocabulary:
        groups: list[tuple[str, ...]] = []
        index: dict[tuple[str, ...], int] = {}
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            entries: list[str] = []
            keys: list[tuple[str, ...]] = []
            for entry in line.split("|"):
                entry = " ".join(entry.split())
                key = normalize(entry)
                if key and key not in keys:
                    entries.append(entry)
                    keys.append(key)
            if len(entries) < 2:
                continue
            for key in keys:
                index.setdefault(key, len(groups))
            groups.append(tuple(entries))
        longest = max((len(k) for k in index), default=0)
        return cls(tuple(groups), index, longest)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Vocabulary:
        """Read a vocabulary file (default: bot/search/vocabulary.txt)."""
        file = Path(path) if path is not None else _VOCABULARY_FILE
        return cls.from_lines(file.read_text(encoding="utf-8").splitlines())

    @property
    def longest(self) -> int:
        """Words in the longest entry: the most a lookup needs to try."""
        return self._longest

    def equivalents(self, text: str) -> tuple[str, ...]:
        """The other entries of the group `text` belongs to (empty if none)."""
        key = normalize(text)
        group = self._index.get(key)
        if group is None:
            return ()
        return tuple(e for e in self.groups[group] if normalize(e) != key)

    def lookup(self, key: tuple[str, ...]) -> int | None:
        """The group holding the normalized entry `key`, if any."""
        return self._index.get(key)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return Vocabulary.load()
