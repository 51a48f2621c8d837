"""Stage 3, where a model runs: in this process, or in a worker process with torch.

- :mod:`.backend`: :func:`~.backend.get_model`, which decides (``auto``, ``process``,
  ``worker``) and returns a :class:`protattn.lm.contract.Model` either way;
- :mod:`.protocol`: the wire protocol's version and array codec;
- :mod:`.client`: the host's side, :class:`~.client.WorkerClient` (starts the worker, one
  request at a time);
- :mod:`.remote`: :class:`~.remote.RemoteModel`, a model the worker runs, behind the contract;
- :mod:`.server`: the worker (``protattn worker``).
"""
