"""Signals of the registry for other apps.

`residents_imported(path)` is sent inside an Excel import's transaction (gridgov.registry.
import_store) after its plain INSERTs, which send no model signals, for apps that keep
something derived from residents (care schedules from their care tags, gridgov.care.signals).
`path` is the grid imported into.
"""

from django.dispatch import Signal

residents_imported = Signal()
