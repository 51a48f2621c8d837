"""ChimeraX bundle of protattn: protein language model attention on open structures.

Commands (registered lazily, on first use)::

    attention pairs atom-spec layerHead L-H [threshold t] [topK n] ...
    attention color atom-spec layerHead L-H [model name] [palette name]
    attention clear [atom-spec] [attribute true|false]

Nothing heavy is imported when ChimeraX starts: the command module, the protattn
core and (when a command first runs a model) torch are imported on first use.
"""

from chimerax.core.toolshed import BundleAPI


class _ProtAttnAPI(BundleAPI):
    @staticmethod
    def register_command(command_name, logger):
        from . import cmd

        cmd.register_command(command_name, logger)


bundle_api = _ProtAttnAPI()
