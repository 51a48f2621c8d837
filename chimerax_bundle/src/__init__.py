"""ChimeraX bundle of protattn: protein language model attention on open structures.

Commands (registered lazily, on first use)::

    attention pairs atom-spec layerHead L-H [threshold t] [topK n] ...
        [palette name|spec] [range lo,hi|full] [radius r|lo,hi] [key true|false]
    attention color atom-spec layerHead L-H [model name] [palette name|spec]
        [range lo,hi|full] [key true|false] ...
    attention heads atom-spec [property name] [residues atom-spec] ...
    attention query atom-spec residues atom-spec layerHead L-H [direction from|to]
        [concatenate true|false] [palette name|spec] [range lo,hi|full] [key true|false] ...
    attention aminoacids [atom-spec] [threshold t] [png path] ...
    attention diff atom-spec layerHead L-H (mutations list | sequence seq | versus L-H)
        [threshold t | topK n] [heads true|false] [partner ids] [key true|false] ...
    attention probe [atom-spec] [tasks name,...] [heldOut share] [seed n] [png path] ...
    attention contacts | stats | models | save | worker ...
    attention clear [atom-spec] [attribute true|false]

A palette is a ChimeraX colormap as ``color byattribute`` takes it (``bluered``,
``^rdylbu``, ``blue:white:red``, ``0,blue:0.5,white:1,red``) or one of
protattn's (``attention``, the default; ``white_red``, ``enrichment``,
``blue_white_red``, ``viridis``). One command's structures share one colour
scale, and every drawing's log line states it; ``key true`` shows it in the
graphics window (ChimeraX's colour key, of which a session has one, and 2D
labels). Tables go to the log as HTML.

and the Attention panel (Tools -> Structure Analysis -> Attention), whose every
action runs one of those commands.

Nothing heavy is imported when ChimeraX starts: each command's module, the panel (Qt),
the protattn core and (when a command first runs a model) torch are imported on
first use.
"""

from chimerax.core.errors import UserError
from chimerax.core.toolshed import BundleAPI

#: The ``attention`` verbs, each a module of its own holding its command, its
#: CmdDesc and ``register_command(logger)``.
_VERBS = (
    "pairs",
    "color",
    "clear",
    "heads",
    "query",
    "aminoacids",
    "diff",
    "probe",
    "contacts",
    "stats",
    "models",
    "worker",
    "save",
)


class _ProtAttnAPI(BundleAPI):
    @staticmethod
    def register_command(command_name, logger):
        """Import the verb's module (``attention pairs``: ``pairs.py``) and register its command."""
        from importlib import import_module

        verb = command_name.split()[-1]
        if verb not in _VERBS:
            raise ValueError(f"protattn has no command {command_name!r}")
        import_module(f".{verb}", __name__).register_command(logger)

    @staticmethod
    def start_tool(session, tool_name):
        """Show the Attention panel (made on first use); it needs ChimeraX's window."""
        if not session.ui.is_gui:
            raise UserError(
                f"the {tool_name} panel needs ChimeraX's window; without it use "
                "the commands it runs: attention pairs, color, contacts, stats, "
                "clear"
            )
        from .settings import use_settings
        from .tool import AttentionTool

        use_settings(session)  # the panel's model runs use the saved worker setting too
        return AttentionTool.get_singleton(session, tool_name)


bundle_api = _ProtAttnAPI()
