"""The text an encoder sees for an item, and its fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from schemas import Upsert


def truncate(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut ``text`` to ``max_chars`` at a word boundary; return the text and whether it was cut."""
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars * 0.8:
        cut = cut[:space]
    return cut.rstrip(), True


def embedding_text(event: Upsert, max_chars: int) -> tuple[str, bool]:
    """Title first (it is what both sides agree on most), then skills, then free text.

    The encoder truncates by tokens from the end, so the most informative fields go first.
    """
    return compose_text(event.title, event.skills, event.text, max_chars)


def compose_text(title: str, skills: Sequence[str], text: str, max_chars: int) -> tuple[str, bool]:
    """:func:`embedding_text` from stored fields (the reindex reads items, not events)."""
    parts = [title.strip()]
    if skills:
        parts.append(", ".join(s for s in skills if s))
    if text.strip():
        parts.append(" ".join(text.split()))
    return truncate(". ".join(p for p in parts if p), max_chars)


def text_hash(text: str) -> bytes:
    """Fingerprint of the encoder input; an update that keeps it needs no new embedding."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
