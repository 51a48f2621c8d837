"""The interactive panel both hosts show (PyMOL's dialog, ChimeraX's tool), without Qt.

- :mod:`.grid`: the layer x head grid's cells, texts, legend and painting.
- :mod:`.state`: the panel's state, its actions' options, its model chooser.
- :mod:`.jobs`: background jobs in a thread, posted back to the GUI;
- :mod:`.widgets`: the widget code both hosts share, spelled in Qt's method names;
- :mod:`.controller`: the grid's statistics, actions as commands, through
  a host adapter (:class:`~.controller.PanelHost`) and the host's widgets
  (:class:`~.controller.PanelView`).
"""
