"""The ``protattn`` command line: a front end like the hosts' commands.

- :mod:`.commands`: the parser and the ``pairs``, ``scores``, ``models``, ``cache``, ``worker``
  and ``render`` commands;
- :mod:`.analysis`: the analysis commands' options, ``features`` and ``stats``;
  :mod:`.heads` (``heads``) and :mod:`.contacts` (``contacts``), on :mod:`.common`;
- :mod:`.render`: pictures, through a renderer another package registers.
"""

from .commands import main

__all__ = ["main"]
