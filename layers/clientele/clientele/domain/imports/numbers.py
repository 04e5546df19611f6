"""Customer numbers a range of an import has reserved and not used yet.

Numbers come from the tenant's counter in reservations (one UpdateItem each)
sized to what the rows ahead will create, and the ones not used yet are kept
in the range's checkpoint, so a chunk that is retried (or the next one) uses
them instead of reserving more: a number is never given twice, and numbers
are only lost when a worker dies between reserving and committing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NumberPool:
    ranges: list[range] = field(default_factory=list)  # in the order they are used

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any]) -> NumberPool:
        if "numbers" in checkpoint:
            return cls([range(int(start), int(stop)) for start, stop in checkpoint["numbers"]])
        # A checkpoint written before pools: one block, [numbers_next, numbers_end).
        return cls([range(int(checkpoint.get("numbers_next", 0)), int(checkpoint.get("numbers_end", 0)))])

    def __len__(self) -> int:
        return sum(len(block) for block in self.ranges)

    def __iter__(self) -> Iterator[int]:
        for block in self.ranges:
            yield from block

    def add(self, block: range) -> None:
        if self.ranges and self.ranges[-1].stop == block.start:
            self.ranges[-1] = range(self.ranges[-1].start, block.stop)
        else:
            self.ranges.append(block)

    def after_using(self, used: int) -> NumberPool:
        """The numbers left once the first `used` are given out."""
        left: list[range] = []
        for block in self.ranges:
            skip = min(used, len(block))
            used -= skip
            if len(block) > skip:
                left.append(block[skip:])
        return NumberPool(left)

    def as_checkpoint(self) -> list[list[int]]:
        return [[block.start, block.stop] for block in self.ranges if len(block)]
