import sys

from careerrank.cli import main

sys.exit(main())
