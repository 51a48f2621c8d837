"""The interactive panel both hosts show (PyMOL's dialog, ChimeraX's tool), without Qt.

- :mod:`.grid`: the layer x head grid's cells, texts and legend.
"""
