"""Frozen dataclasses that survive pickling when mypyc compiles them (``make compile``).

Why: pickle rebuilds an object by setting its attributes one by one, which a compiled frozen
dataclass refuses (``FrozenInstanceError``). Criteria and results cross process boundaries (spawned
workers, a distributed engine's executors), so they are registered to be rebuilt through their
constructor instead, which works for the interpreted and the compiled classes alike.
"""

from __future__ import annotations

import copyreg
import dataclasses
from typing import Any


def _rebuild(obj: Any) -> tuple[type, tuple[Any, ...]]:
    return type(obj), tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def picklable(*classes: type) -> None:
    """Pickle instances of these dataclasses as ``cls(*fields)`` (every field must be an init field)."""
    for cls in classes:
        copyreg.pickle(cls, _rebuild)


__all__ = ["picklable"]
