"""Stage 7, surveys: the per-head statistics of a whole set of chains, resumable, at scale.

- :mod:`.inputs`: structure files, directories, ``@list`` files and tables of sequences
  with per-residue labels, as units in a fixed order;
- :mod:`.run`: shards counted into mergeable tallies, checkpointed, resumed
  (:func:`~.run.survey`);
- :mod:`.cluster`: the same shards on a Ray cluster, one model per actor;
- :mod:`.outputs`: the tables (CSV, Parquet), the summary and the figures.
"""

from .run import SurveyResult, survey

__all__ = ["SurveyResult", "survey"]
