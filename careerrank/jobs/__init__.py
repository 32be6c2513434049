"""Jobs that run to completion: a full reindex, and publishing files of postings."""

from careerrank.jobs.publish import publish_files
from careerrank.jobs.reindex import ReindexResult, reindex

__all__ = ["ReindexResult", "publish_files", "reindex"]
