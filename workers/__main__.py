"""The ``careerrank`` command (also ``python -m workers``): the operator commands, and the deployables."""

import os
import sys

# OpenMP threads (FAISS, torch) spin after each parallel region by default, burning the cores that the
# other worker and PostgreSQL need; on a shared machine that costs more than it saves. Must be set
# before the OpenMP runtime loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from functools import partial

from careerrank.cli import Deployable
from careerrank.cli import main as cli_main
from workers import api
from workers.bootstrap import run
from workers.embedder import WORKER as EMBEDDER
from workers.matcher import WORKER as MATCHER
from workers.scorer import WORKER as SCORER

DEPLOYABLES = (
    Deployable(EMBEDDER, "run the embedder worker until SIGTERM", partial(run, EMBEDDER)),
    Deployable(MATCHER, "run the matcher worker until SIGTERM", partial(run, MATCHER)),
    Deployable(
        SCORER, "run the scorer worker (applications and recruiter feedback) until SIGTERM", partial(run, SCORER)
    ),
    Deployable(api.WORKER, "serve the HTTP API and the recruiters' web page until SIGTERM", api.run),
)


def main() -> int:
    return cli_main(sys.argv[1:], DEPLOYABLES)


if __name__ == "__main__":
    sys.exit(main())
