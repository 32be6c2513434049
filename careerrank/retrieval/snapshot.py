"""The matcher's in-memory state on disk: written when it drains, read back instead of PostgreSQL at start.

At a million items a start spends about 30 s reading vectors and lists from PostgreSQL and rebuilding the
lists; the same arrays read from a file take about half a second, and keep every list's reserve. A snapshot
is only used for the list generation it was written at: a generation that moved on (another matcher wrote
lists, a reindex swapped them) means PostgreSQL holds something the file does not, and the file is ignored.
One ``.npz`` file, written beside its final name and renamed over it, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from careerrank.retrieval.incremental import ListState
from schemas import KINDS

log = logging.getLogger(__name__)

FILE_NAME = "matcher-state.npz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a snapshot must match to be used."""

    generation: int
    model: str
    k: int
    depth: int


def save(state: ListState, stamp: Stamp, directory: Path) -> Path:
    """Write ``state`` with its stamp; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"stamp": np.frombuffer(json.dumps(asdict(stamp)).encode(), np.uint8)}
    for kind in KINDS:
        index, lists = state.indexes[kind], state.lists[kind]
        # Ids cannot hold a newline (schemas.postings.ItemId): one buffer instead of an object array.
        arrays[f"{kind}.ids"] = np.frombuffer("\n".join(index.ids).encode(), np.uint8)
        arrays[f"{kind}.versions"] = np.asarray([_micros(v) for v in index.versions], np.int64)
        arrays[f"{kind}.vectors"] = np.ascontiguousarray(index.vectors())
        for name in ("pos", "score", "length", "bound"):
            arrays[f"{kind}.{name}"] = getattr(lists, name)
    path = directory / FILE_NAME
    partial = directory / (FILE_NAME + ".partial")
    with partial.open("wb") as out:
        np.savez(out, **arrays)  # type: ignore[arg-type]  # numpy types the keywords as its allow_pickle flag
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return path


def load(directory: Path, stamp: Stamp, use_gpu: bool = False) -> ListState | None:
    """The state saved under ``stamp``, or None (no file, another stamp, or a file that cannot be read)."""
    path = directory / FILE_NAME
    if not path.exists():
        return None
    try:
        with np.load(path) as saved:
            found = Stamp(**json.loads(saved["stamp"].tobytes()))
            if found != stamp:
                log.info("matcher snapshot is of another state; reading PostgreSQL", extra=asdict(found))
                return None
            dim = int(saved[f"{KINDS[0]}.vectors"].shape[1])
            state = ListState(dim, stamp.k, use_gpu, stamp.depth)
            for kind in KINDS:
                raw = saved[f"{kind}.ids"].tobytes().decode()
                ids = raw.split("\n") if raw else []
                versions = [_EPOCH + timedelta(microseconds=int(v)) for v in saved[f"{kind}.versions"]]
                if ids:
                    state.indexes[kind].upsert(ids, versions, saved[f"{kind}.vectors"])
                state.lists[kind].restore(*(saved[f"{kind}.{name}"] for name in ("pos", "score", "length", "bound")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("matcher snapshot unreadable; reading PostgreSQL", extra={"error": type(exc).__name__})
        return None
    return state


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)
