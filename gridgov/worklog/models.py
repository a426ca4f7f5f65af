"""The work log (民情日志): what a grid worker did each day is read from the records of the day
(patrols, visits, reports, tasks, screening answers); what he adds in his own words is a note."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.hierarchy.models import Node, ScopedModel


class WorkLogNote(ScopedModel):
    """A worker's own words for one day; `path` is his grid's, so his chief and instructor read it."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        on_delete=models.CASCADE,
        related_name="worklog_notes",
    )
    grid = models.ForeignKey(Node, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    text = models.TextField(_("记录"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("民情日志")
        verbose_name_plural = _("民情日志")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["worker", "day"], name="one_note_per_worker_day")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.day}"
