"""Helpers behind the noxfile: package graph, wheels, installs, milestones, checks, summary.

Nothing here holds a list of packages or milestones: everything is read from
``packages/*/pyproject.toml`` and ``milestones/NN_*/milestone.toml``.
"""
