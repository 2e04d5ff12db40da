"""Version of the tt-optim package."""

__version__ = "0.1.0"
