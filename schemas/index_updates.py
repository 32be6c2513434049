"""Internal messages from the embedder to the matcher: an item's vector changed or it left."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.kinds import Kind
from schemas.text_fields import ItemId
from schemas.timestamps import Timestamp


class IndexUpdate(BaseModel):
    """The embedding of ``kind``/``id`` at ``version`` is committed (``op="upsert"``) or the item is gone.

    The message carries no vector: the matcher reads it from PostgreSQL, the source of truth, and
    skips updates superseded by a newer ``version``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    kind: Kind
    id: ItemId
    op: Literal["upsert", "remove"]
    version: Timestamp
