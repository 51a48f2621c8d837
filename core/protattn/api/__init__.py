"""Stage 5, the requests every front end makes: chains and options in, results and scenes out.

- :mod:`.pairs`: pairs of a head and residue scores (:func:`compute_pairs`,
  :func:`compute_scores`);
- :mod:`.stats`: per-head statistics over structures (:func:`~.stats.head_statistics`);
- :mod:`.report`: what a host shows of them: ranking, table, summary, heatmap;
- :mod:`.contacts`: contacts predicted from attention (:func:`~.contacts.predict_contacts`,
  several chains in one scene with :func:`~.contacts.predict_chains_contacts`);
- :mod:`.heads`: heads ranked by a property and the top head's scenes (:func:`~.heads.top_heads`);
- :mod:`.options`: arguments given as text (site kinds, head lists) and run options;
- :mod:`.models`: the known models and which load offline (:func:`~.models.models_table`);
- :mod:`.worker`: where models run, saved setting under the environment
  (:func:`~.worker.configure_saved`, :func:`~.worker.set_worker`).

PyMOL, ChimeraX and the command line call these and only draw or print what they return.
"""

from .pairs import PairsResult, ScoresResult, compute_pairs, compute_scores

__all__ = ["PairsResult", "ScoresResult", "compute_pairs", "compute_scores"]
