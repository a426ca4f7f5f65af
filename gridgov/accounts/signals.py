from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from gridgov.accounts import access
from gridgov.accounts.models import ApiToken, LoginFailure, RoleAssignment, User
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Node


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: User, **_: Any) -> None:
    LoginFailure.objects.filter(username=user.username.lower()).delete()
    if request is not None:
        request.session["gridgov_login_at"] = timezone.now().timestamp()
    device = getattr(user, "otp_device", None)  # set by the two-step login (gridgov.accounts.twofactor)
    record(
        Action.LOGIN,
        user,
        user=user,
        message=f"second factor: {device._meta.verbose_name}" if device is not None else "",
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: User | None, **_: Any) -> None:
    if user is not None:
        record(Action.LOGOUT, user, user=user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    locked = bool(getattr(request, "gridgov_locked_out", False))
    if not locked:
        LoginFailure.objects.create(
            username=username.lower(), ip=request.META.get("REMOTE_ADDR") if request is not None else None
        )
    # Attach the row to the account when it exists, so the auditors of its place see the attempt.
    target = User.objects.filter(username=username).first() if username else None
    record(
        Action.LOGIN_FAILED,
        target,
        object_type="accounts.user",
        object_repr=username,
        success=False,
        message="locked out" if locked else "bad credentials",
    )


@receiver(post_save, sender=User)
def _end_sessions_of_disabled(sender: Any, instance: User, **_: Any) -> None:
    """A disabled account's sessions and tokens end at once, not at their expiry."""
    if instance.is_active:
        return
    for session in Session.objects.filter(expire_date__gte=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(instance.pk):
            session.delete()
    instance.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- the access generation (gridgov.accounts.access): what cached tokens and roles depend on ----


def _user_saved(sender: Any, instance: User, update_fields: Any = None, **_: Any) -> None:
    # A login only stamps last_login: nothing a token or a role depends on.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    access.bump()


def _changed(sender: Any, instance: Any, created: bool = False, **_: Any) -> None:
    # A new token or node changes nothing cached (a token is cached once used, a node's path
    # only reaches the cache through a role assignment, which bumps when it is made).
    if created and sender in (ApiToken, Node):
        return
    access.bump()


post_save.connect(_user_saved, sender=User, dispatch_uid="access_user_saved")
post_delete.connect(_changed, sender=User, dispatch_uid="access_user_deleted")
for _model in (ApiToken, RoleAssignment, Node):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"access_{_model.__name__}_saved")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"access_{_model.__name__}_deleted")
