"""Experiments on recruiters: which variant an employer gets, A/B tests of invite rates, team-draft interleaving
of two rankers' lists, and the simulated recruiters that size and check them."""
