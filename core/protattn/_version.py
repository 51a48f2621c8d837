"""protattn's version, written here only.

Read by ``pyproject.toml`` (the core's and, through a link, the ChimeraX bundle's) and
shown by the PyMOL plugin (``protattn_pymol.__version__``).
"""

__version__ = "0.1.0"
