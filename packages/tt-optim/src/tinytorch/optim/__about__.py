"""Version of the tt-optim package."""

__version__ = "0.2.1"
