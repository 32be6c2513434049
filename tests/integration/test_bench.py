"""scripts/bench end to end at a tiny scale: every stage runs and its numbers hang together."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from careerrank.settings import MatcherSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_every_stage_and_reports_consistent_numbers(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [
        sys.executable,
        str(ROOT / "scripts" / "bench.py"),
        *("--events", "300", "--paced-events", "40", "--per-message", "7"),
        *("--reindex-vacancies", "240", "--reindex-resumes", "110", "--model", "hashing-64"),
        *("--stages", "stream,compute,reindex", "--out", str(out)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["model"] == "hashing-64" and result["machine"]["cores"] >= 1
    assert result["encode_raw"]["texts"] == 300
    assert result["embedder"]["texts_encoded"] == 300
    assert result["embedder"]["ratio_to_raw_encode"] > 0
    matcher = result["matcher"]
    assert matcher["items"] == 300 and matcher["items_per_s"] > 0
    # Every item got its own list at least once; rows written count every list entry written.
    assert matcher["lists_written"] >= 300 and matcher["match_rows_written"] >= 300 * 10 * 0.9
    assert result["end_to_end"]["burst_events"] == 300
    assert result["end_to_end"]["paced"]["latency_s"]["p50"] > 0
    assert result["vector_search"]["max_score_difference"] < 1e-4
    assert result["compute"]["lists"] == 350
    reindex = result["reindex"]
    assert reindex["corpus"] == {"vacancy": 240, "resume": 110}
    assert reindex["counts"]["encoded"] == 350
    k = MatcherSettings().top_k  # the bench runs with the defaults
    assert reindex["counts"]["match_rows"] == 240 * min(k, 110) + 110 * min(k, 240)
    assert set(reindex["stages_s"]) >= {"snapshot", "encode_and_store", "lists", "write_lists", "swap", "total"}
