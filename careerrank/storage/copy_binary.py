"""List rows in COPY's binary format, ``(source_id text, target_ids text[], scores real[])``.

Text format needs every score formatted and every id escaped, entry by entry; here the scores of all rows
are laid out by one array operation (each a length and a big-endian float4, as PostgreSQL reads them back
bit for bit), each target id is encoded once per write however many lists hold it, and a row is a few
joins of bytes. Any id is written as it is: the binary format has nothing to escape.
"""

from __future__ import annotations

import struct

import numpy as np

from careerrank.list_rows import ListRows

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
TEXT_OID, REAL_OID = 25, 700
_ARRAY = struct.Struct(">iiIii")  # dimensions, has nulls, element type, length, lower bound
_INT = struct.Struct(">i")
_TUPLE = struct.Struct(">hi")  # field count, length of the first field


def list_rows_copy(rows: ListRows) -> bytes:
    """The rows of ``rows`` (not its removed sources) as one COPY binary stream."""
    n_rows = len(rows.sources)
    if n_rows == 0:
        return HEADER + TRAILER
    width = rows.positions.shape[1]
    held = np.arange(width) < rows.lengths[:, None]
    element = {
        p: _INT.pack(len(raw)) + raw
        for p in np.unique(rows.positions[held]).tolist()
        for raw in (rows.targets[p].encode(),)
    }
    pairs = np.empty((n_rows, width), dtype=[("size", ">i4"), ("value", ">f4")])
    pairs["size"] = 4
    pairs["value"] = rows.scores
    scores = pairs.tobytes()
    out = [HEADER]
    listed = zip(rows.sources, rows.lengths.tolist(), rows.positions.tolist(), strict=True)
    for row, (source, n, positions) in enumerate(listed):
        raw = source.encode()
        ids = _ARRAY.pack(1, 0, TEXT_OID, n, 1) + b"".join([element[p] for p in positions[:n]])
        start = row * width * 8
        values = _ARRAY.pack(1, 0, REAL_OID, n, 1) + scores[start : start + 8 * n]
        out.append(b"".join((_TUPLE.pack(3, len(raw)), raw, _INT.pack(len(ids)), ids, _INT.pack(len(values)), values)))
    out.append(TRAILER)
    return b"".join(out)
