import os
import sys

# OpenMP threads (FAISS, torch) spin after each parallel region by default, burning the cores that the
# other worker and PostgreSQL need; on a shared machine that costs more than it saves. Must be set
# before the OpenMP runtime loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from careerrank.cli import main

sys.exit(main())
