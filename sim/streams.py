"""Named, independent random streams for one replication.

Every random process in a model asks for its own stream by a stable name
(``streams["rescue.travel"]``). A stream's seed is derived from three things only: the root
entropy, the replication index and the stream's name, so

* the same root seed and replication give bit-identical draws on any machine or executor;
* replication k of every capability option sees the same draws (common random numbers);
* adding a new stream, or asking for streams in another order, never shifts existing streams.

The derivation uses NumPy's ``SeedSequence`` spawn keys (O'Neill 2015; NumPy docs, "Parallel
random number generation"), with the name hashed by BLAKE2b into four 32-bit words.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "name_key"]


def name_key(name: str) -> tuple[int, int, int, int]:
    """Stable 128-bit key of a stream name, as four 32-bit words (independent of PYTHONHASHSEED)."""
    if not name:
        raise ValueError("a random stream needs a non-empty name")
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))  # type: ignore[return-value]


class Streams:
    """The random streams of one replication, created on first use and cached by name.

    ``root_seed`` may be ``None``: fresh OS entropy is drawn and kept in ``root_entropy`` so the
    run can be repeated exactly. Record ``root_entropy`` with every result.
    """

    def __init__(self, root_seed: int | None, replication: int = 0) -> None:
        if replication < 0:
            raise ValueError(f"replication index must be >= 0, got {replication}")
        if root_seed is not None and root_seed < 0:
            raise ValueError(f"root seed must be >= 0, got {root_seed}")
        root = np.random.SeedSequence(root_seed)
        self.root_entropy: int = int(root.entropy)  # type: ignore[arg-type]
        self.replication = replication
        self._streams: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence behind stream ``name`` (for spawning into other libraries)."""
        return np.random.SeedSequence(
            self.root_entropy, spawn_key=(self.replication, *name_key(name))
        )

    def __getitem__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            stream = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._streams[name] = stream
        return stream

    def names(self) -> list[str]:
        """Names of the streams used so far, sorted."""
        return sorted(self._streams)

    def __repr__(self) -> str:
        return (
            f"Streams(root_entropy={self.root_entropy}, replication={self.replication}, "
            f"used={len(self._streams)})"
        )
