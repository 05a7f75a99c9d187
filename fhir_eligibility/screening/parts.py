"""Where pass 1's shard parts are, held as part numbers rather than paths.

Why: every pass-1 task writes its own part of (nearly) every shard, and both counts grow with the
input (shards with its bytes, tasks with its bytes too), so a list of ``Path`` objects per shard
grows with the square of the input: at 1,000,000 synthetic patients (4.3 GB, about 4,100 shards x
67 tasks) it held 275,000 paths, most of the screening parent's memory. A part's path follows from
its shard and part number, so each shard keeps an array of part numbers (4 bytes each) and builds
its paths only when a worker is about to read them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload


def part_path(directory: Path, prefix: str, shard: int, part: int) -> Path:
    """The one naming rule for shard part files (the writer's and the readers')."""
    return directory / f"{prefix}-{shard:05d}.{part:04d}.tsv"


class ShardParts(Sequence[tuple[Path, ...]]):
    """Each written shard's part files in part order, as :func:`part_path` names them."""

    def __init__(self, directory: Path, prefix: str = "shard") -> None:
        self.directory = directory
        self.prefix = prefix
        self._parts: dict[int, array[int]] = {}

    def add(self, shard: int, part: int) -> None:
        self._parts.setdefault(shard, array("I")).append(part)

    def of(self, shard: int) -> tuple[Path, ...]:
        """Shard ``shard``'s parts in part (task) order, which is input order; () if none was written."""
        return tuple(part_path(self.directory, self.prefix, shard, p) for p in sorted(self._parts.get(shard, ())))

    def shard_numbers(self) -> list[int]:
        return sorted(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    @overload
    def __getitem__(self, index: int) -> tuple[Path, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[Path, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Path, ...] | Sequence[tuple[Path, ...]]:
        numbers = self.shard_numbers()
        if isinstance(index, slice):
            return [self.of(k) for k in numbers[index]]
        return self.of(numbers[index])

    def __iter__(self) -> Iterator[tuple[Path, ...]]:
        for k in self.shard_numbers():
            yield self.of(k)


__all__ = ["ShardParts", "part_path"]
