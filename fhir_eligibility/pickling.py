"""Frozen dataclasses that survive pickling when mypyc compiles them (``make compile``).

Why: pickle rebuilds an object by setting its attributes one by one, which a compiled frozen
dataclass refuses (``FrozenInstanceError``). Criteria and results cross process boundaries (spawned
workers, a distributed engine's executors), so they are registered to be rebuilt through their
constructor instead, which works for the interpreted and the compiled classes alike. The fields are
read with one ``attrgetter`` per class (C), not ``dataclasses.fields`` per object: results of
thousands of patients cross back from the workers of ``evaluate``.
"""

from __future__ import annotations

import copyreg
import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any


def _reducer(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) < 2:  # attrgetter of one name returns the value, not a tuple
        return lambda obj: (type(obj), tuple(getattr(obj, n) for n in names))
    get = attrgetter(*names)
    return lambda obj: (type(obj), get(obj))


def picklable(*classes: type) -> None:
    """Pickle instances of these dataclasses as ``cls(*fields)`` (every field must be an init field)."""
    for cls in classes:
        copyreg.pickle(cls, _reducer(cls))


__all__ = ["picklable"]
