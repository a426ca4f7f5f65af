"""The in-app inbox: one notice per person, about a subject (an event, a dispute, an export…)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import RestrictedQuerySet


class NoticeQuerySet(RestrictedQuerySet["Notice"]):
    def about(self, subject: models.Model) -> "NoticeQuerySet":
        """Notices whose subject is this row."""
        return self.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)


class Notice(models.Model):
    """A message in one person's inbox.

    `awaiting` is the state its subject must still be in for the notice to ask for an action
    (an event "待受理" while it is still reported); once the subject has moved on, the inbox
    shows the notice as done. Blank: a notice for information only.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notices"
    )
    message = models.CharField(_("内容"), max_length=300)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    url = models.CharField(_("链接"), max_length=200, blank=True)
    awaiting = models.CharField(_("待办状态"), max_length=24, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notice_user_unread"),
            models.Index(fields=["subject_type", "subject_id"], name="notice_subject"),
        ]

    def __str__(self) -> str:
        return self.message


def state_field(model: type[models.Model]) -> str:
    """The field holding a notice subject's state: `state`, or what the model names in
    `notice_state_field` (a dispute's `outcome`, a task's `admission`, an assessment's `status`)."""
    return str(getattr(model, "notice_state_field", "state"))
