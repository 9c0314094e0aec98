"""The contract suite exercises every method of the Storage protocol (the search
part has its own tests in tests/test_search.py)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from bot.storage import protocol

HERE = Path(__file__).resolve().parent
COVERED_ELSEWHERE = {protocol.SearchStore}


def _methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_every_protocol_method_is_exercised_here() -> None:
    """Each non-search protocol method is called by some contract test."""
    wanted: set[str] = set()
    for base in protocol.Storage.__mro__:
        if base in COVERED_ELSEWHERE or not base.__name__.endswith("Store"):
            continue
        wanted |= _methods(base)
    wanted.add("close")
    others = [p for p in HERE.glob("test_*.py") if p.name != Path(__file__).name]
    sources = "\n".join(p.read_text() for p in others)
    called = set(re.findall(r"\.(\w+)\(", sources))
    assert wanted, "the protocol lost its methods"
    assert sorted(wanted - called) == []
