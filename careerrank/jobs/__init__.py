"""Jobs that run to completion: a full reindex, publishing files of postings, training and activating a
scoring model (:mod:`careerrank.jobs.scoring_models`)."""

from careerrank.jobs.publish import publish_files
from careerrank.jobs.reindex import ReindexResult, reindex

__all__ = ["ReindexResult", "publish_files", "reindex"]
