"""Stage 2, the language model: one pass over a sequence, its attention reduced as it runs.

- :mod:`.registry`, :mod:`.model`, :mod:`.loading`: the models protattn knows, the
  one :class:`~.model.LanguageModel` wrapper with a family adapter per architecture,
  and loading them offline;
- :mod:`.contract`: :class:`~.contract.Model`, what every later stage asks of a model,
  whether it runs here or in a worker (:mod:`protattn.compute`);
- :mod:`.heads`: layers and heads (``"7-1"``);
- :mod:`.windows`: long chains as overlapping windows;
- :mod:`.stream`: the engine: forward hooks hand each layer to its consumers
  (:mod:`.consumers`);
- :mod:`.compact`, :mod:`.counts`: what the consumers keep of a layer (the compact
  attention; per-head counts for the statistics);
- :mod:`.cache`, :mod:`.inference`: the run's compact attention filed in memory and
  on disk, and the calls every front end makes to get it;
- :mod:`.batch`: per-head statistics counts of many chains, in padded batches of
  similar length (one pass a batch for every definition).
"""
