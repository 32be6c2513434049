"""The deployables of CareerRank, composed: the embedder and the matcher, their consume loop and lifecycle.

Nothing under ``careerrank`` imports this package; it imports ``careerrank`` and ``schemas``.
"""

from workers.bootstrap import EmbedderService, MatcherService, build, run
from workers.lifecycle import Service

__all__ = ["EmbedderService", "MatcherService", "Service", "build", "run"]
