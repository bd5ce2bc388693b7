"""normsdata domain code: received -> parsed -> validated -> warehouse -> release.

Nothing in this package knows about Dagster; `assets/` wires it into a code location.
"""
