"""The one place the version lives (read by pyproject.toml through hatchling)."""

__version__ = "0.1.0"
