"""Where the tests find their data: the SuperJob sample bundled in the repository, and the test fixtures."""

from __future__ import annotations

from pathlib import Path

from careerrank.ingest.bundled import SUPERJOB_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"

__all__ = ["FIXTURES_DIR", "REPO_ROOT", "SUPERJOB_DIR"]
