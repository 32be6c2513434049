"""The ``careerrank`` command line (its entry point is assembled in ``workers``, which adds the deployables)."""

from careerrank.cli.main import Deployable, build_parser, main

__all__ = ["Deployable", "build_parser", "main"]
