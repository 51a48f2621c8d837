"""protattn's version: the one place it is written (read by ``pyproject.toml``, the plugin and the bundle)."""

__version__ = "0.1.0"
