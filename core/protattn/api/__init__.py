"""Stage 5, the requests every front end makes: chains and options in, results and scenes out.

- :mod:`.pairs`: pairs of a head and residue scores (:func:`compute_pairs`,
  :func:`compute_scores`);
- :mod:`.stats`: per-head statistics and rankings over structures (:func:`~.stats.head_statistics`);
- :mod:`.contacts`: contacts predicted from attention (:func:`~.contacts.predict_contacts`).

PyMOL, ChimeraX and the command line call these and only draw or print what they return.
"""

from .pairs import PairsResult, ScoresResult, compute_pairs, compute_scores

__all__ = ["PairsResult", "ScoresResult", "compute_pairs", "compute_scores"]
