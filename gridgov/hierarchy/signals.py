"""Signals of the hierarchy for other apps.

`subtree_moved(old_path, new_path)` is sent inside `services.move_node`'s transaction after every
row below the node was given its new path with bulk updates (which send no model signals), for
apps that keep something derived from paths (the phones' change log, gridgov.mobile.changes).
"""

from django.dispatch import Signal

subtree_moved = Signal()
