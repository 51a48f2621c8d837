"""The ``protattn`` command line: a front end like the hosts' commands.

- :mod:`.commands`: the parser and the ``pairs``, ``scores``, ``models``, ``cache``, ``worker``
  and ``render`` commands;
- :mod:`.analysis`: ``features``, ``stats``, ``heads`` and ``contacts``.
"""

from .commands import main

__all__ = ["main"]
