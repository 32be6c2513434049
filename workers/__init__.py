"""CareerRank workers: the embedder and the matcher, and the consume loop they share."""

from workers.services import EmbedderService, MatcherService, build, run

__all__ = ["EmbedderService", "MatcherService", "build", "run"]
