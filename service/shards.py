"""Which targets a shard of a refresh takes: `refresh --shard K/N`.

The rule (README, "Collection that fans out"): a target belongs to shard

    1 + (first 8 bytes of SHA-256(canonical id), big-endian) mod N

where the canonical id of a target that belongs to a project is the project's id (so all of
a project's repositories and packages, for every source, go to one shard), and that of a
target serving every project (the top-PyPI dump) is `<source>:<target>`. It depends on
nothing but the id and N: reordering, adding or removing other projects in the projects file
moves no target, every target is in exactly one of the N shards, and every shard process
computes the same split without talking to the others.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from collectors.source import Target
from errors import ConfigError

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
MAX_SHARDS = 1000


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (both counted from 1, as written: 2/4)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'K/N' with 1 <= K <= N <= 1000. Raises ConfigError naming --shard otherwise."""
        match = _SHARD.fullmatch(text or "")
        if not match:
            raise ConfigError("--shard", None, f"{text!r}: expected K/N, e.g. 2/4")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= index <= count <= MAX_SHARDS:
            raise ConfigError(
                "--shard", None, f"{text!r}: K must be from 1 to N, N from 1 to {MAX_SHARDS}"
            )
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def label(self) -> str:
        """For folder names: '2-of-4'."""
        return f"{self.index}-of-{self.count}"

    def owns_id(self, canonical: str) -> bool:
        return shard_of(canonical, self.count) == self.index

    def owns_project(self, project_id: str) -> bool:
        return self.owns_id(project_id)

    def owns(self, source: str, target: Target) -> bool:
        """Whether this shard collects `target` of `source` (see the module's rule)."""
        return self.owns_id(target.project or f"{source}:{target.listed}")


def shard_of(canonical: str, count: int) -> int:
    """The shard (1..count) of a canonical id."""
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count
