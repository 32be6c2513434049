"""Lists as arrays: read back as a mapping of ranked lists, and laid out in COPY's binary format."""

from __future__ import annotations

import struct

import numpy as np

from careerrank.list_rows import ListRows
from careerrank.retrieval.resident import ResidentLists
from careerrank.storage.copy_binary import HEADER, TRAILER, list_rows_copy


def test_of_and_back_keeps_order_and_removes_empty_lists() -> None:
    lists = {"a": [("y", 0.75), ("x", 0.5)], "gone": [], "b": [("x", 0.25)]}
    rows = ListRows.of(lists)
    assert dict(rows) == lists
    assert list(rows) == ["a", "b", "gone"] and len(rows) == 3
    assert rows.removed == ["gone"] and rows.entries == 3
    assert ListRows.of(rows) is rows


def test_resident_rows_order_ties_by_id_and_give_empty_rows_as_removed() -> None:
    lists = ResidentLists(4)
    lists.grow(3)
    lists.set_rows(
        np.asarray([0, 1]), np.asarray([[2, 0, 1], [1, 2, 0]]), np.float32([[0.9, 0.5, 0.5], [0.8, 0.7, 0.1]]), True
    )
    rows = lists.list_rows(np.arange(3), ["s0", "s1", "s2"], 3, ["c", "b", "a"], removed=["old"])
    assert rows["s0"] == [("a", np.float32(0.9)), ("b", 0.5), ("c", 0.5)]
    assert [t for t, _ in rows["s1"]] == ["b", "a", "c"]
    assert rows["s2"] == [] and rows["old"] == [] and set(rows.removed) == {"s2", "old"}


def test_copy_binary_lays_out_each_row_as_postgresql_reads_it() -> None:
    rows = ListRows.of({"src": [("t\t1", 0.5), ("é", -0.25)]})
    data = list_rows_copy(rows)
    assert data.startswith(HEADER) and data.endswith(TRAILER)
    body = data[len(HEADER) : -len(TRAILER)]
    fields, size = struct.unpack(">hi", body[:6])
    assert (fields, body[6 : 6 + size]) == (3, b"src")
    at = 6 + size
    (ids_size,) = struct.unpack(">i", body[at : at + 4])
    ids = body[at + 4 : at + 4 + ids_size]
    assert struct.unpack(">iiIii", ids[:20]) == (1, 0, 25, 2, 1)
    assert ids[20:] == struct.pack(">i", 3) + b"t\t1" + struct.pack(">i", 2) + "é".encode()
    at += 4 + ids_size
    (scores_size,) = struct.unpack(">i", body[at : at + 4])
    scores = body[at + 4 : at + 4 + scores_size]
    assert struct.unpack(">iiIii", scores[:20]) == (1, 0, 700, 2, 1)
    assert struct.unpack(">ifif", scores[20:]) == (4, 0.5, 4, -0.25)
    assert at + 4 + scores_size == len(body)
