"""Where the tests find their data: the shared SuperJob sample and the repository's fixtures."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The sample is shared between checkouts and lives beside the repository, not inside it.
SUPERJOB_DIR = REPO_ROOT.parent / "shared" / "data" / "superjob"
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
