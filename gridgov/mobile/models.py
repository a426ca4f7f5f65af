"""The change log the app's delta sync reads (gridgov.mobile.sync).

Every save or delete of a synced record writes one `SyncChange` row in the same transaction: the
kind and id of the record, where it is now (`path`) and where it was before the change
(`old_path`, when it moved), and, for records that follow a person rather than a place (a
dispute's team member), that person (`user`). A phone asks for the rows after its cursor whose
path or old path lies in its grid (or that name it) and gets, per record, its current state or,
if it is gone from what the phone may hold (deleted, moved out, closed), a tombstone.

Order. The cursor is a position `(txid, id)`. On SQLite every write transaction holds the
database's write lock from BEGIN IMMEDIATE to COMMIT, so ids are handed out in commit order and
`txid` is 0. On PostgreSQL ids are not (a transaction that took id 10 may commit after one that
took id 11), so each row also carries its transaction's id (`pg_current_xact_id()`), and a read
returns only rows of transactions older than the oldest one still running
(`pg_snapshot_xmin`): those are all finished, so nothing can later appear before the cursor.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.lookups import PathField


class SyncChange(models.Model):
    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=24)
    object_id = models.BigIntegerField()
    path = PathField(blank=True)
    old_path = PathField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("同步变更")
        verbose_name_plural = _("同步变更")
        indexes = [
            models.Index(fields=["txid", "id"], name="sync_change_position"),
            models.Index(fields=["path", "txid", "id"], name="sync_change_path"),
            models.Index(fields=["old_path", "txid", "id"], name="sync_change_old_path"),
            models.Index(fields=["at"], name="sync_change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} @({self.txid},{self.id})"
