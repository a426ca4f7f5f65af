"""Learning-and-exchange sessions (学习交流会): offering one, signing up and cancelling, and
attendance checked in by scanning the QR code shown at the session.

The QR code holds `GGS1:<token>`, a token signed with the project's secret (django.core.signing)
that names the session and expires after CHECKIN_TOKEN_TTL; the page showing it renews it while
it is open. A check-in is refused outside the session's window (30 minutes either side), with a
token of another or a cancelled session, or an expired or forged one; it is idempotent (a second
scan, or a phone's resend, changes nothing) and credits the session's hours once.
"""

import datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridgov.academy import services
from gridgov.academy.models import CreditSource, Signup, SignupState, StudySession
from gridgov.academy.selectors import place_of, window_of
from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require, restrict
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.errors import ConflictError
from gridgov.hierarchy.models import Node

PREFIX = "GGS1:"
CHECKIN_TOKEN_TTL = datetime.timedelta(minutes=5)
# A scan made without signal may reach the server this much later (the outbox sends it then).
LATE_SEND_LIMIT = datetime.timedelta(hours=12)
CLOCK_SKEW = datetime.timedelta(minutes=2)
_SALT = "gridgov.academy.checkin"


def _when(value: Any, field: str, label: str) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValidationError({field: f"{label}格式应为 YYYY-MM-DD HH:MM"}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@transaction.atomic
def create_session(*, user: User, node: Node | None, **fields: Any) -> StudySession:
    node = services.offering_node(user, node)
    starts = _when(fields.get("starts_at"), "starts_at", "开始时间")
    ends = _when(fields.get("ends_at"), "ends_at", "结束时间")
    if ends <= starts:
        raise ValidationError({"ends_at": "结束时间须晚于开始时间"})
    if ends - starts > datetime.timedelta(hours=12):
        raise ValidationError({"ends_at": "一场交流会不超过 12 小时"})
    session = StudySession.objects.create(
        node=node,
        path=node.path,
        county_code=node.county_code,
        title=services.text(fields.get("title"), "title", "主题", 100),
        summary=services.text(fields.get("summary"), "summary", "内容介绍", 2000, required=False),
        lecturer=services._lecturer(user, fields.get("lecturer_id"), node),
        place=services.text(fields.get("place"), "place", "地点", 200),
        starts_at=starts,
        ends_at=ends,
        capacity=services.int_of(fields.get("capacity"), "capacity", "名额", 1, 5000),
        hours=services.hours_of(fields.get("hours")),
        created_by=user,
    )
    _announce(session, user)
    return session


def _announce(session: StudySession, user: User) -> None:
    """Tell the full-time workers at or below the session's place (one INSERT of notices)."""
    from gridgov.notifications.services import notify
    from gridgov.workforce.models import WorkerFile, WorkerStatus

    workers = WorkerFile.objects.filter(path__startswith=session.path, status=WorkerStatus.ACTIVE)
    when = timezone.localtime(session.starts_at)
    notify(
        list(workers.values_list("user_id", flat=True)),
        f"学习交流会「{session.title}」{when:%m月%d日 %H:%M}在{session.place}举行，{session.hours} 学时，名额 {session.capacity}，可在网格学院报名",
        subject=session,
        url="/app/#/learn/sessions",
        exclude=user,
    )


@transaction.atomic
def cancel_session(*, user: User, session: StudySession, version: Any = None) -> StudySession:
    require(user, Cap.MANAGE_STAFF, session.path, session)
    session = StudySession.objects.select_for_update().get(pk=session.pk)
    services.check_version(session, version)
    if session.cancelled:
        return session
    if Signup.objects.filter(session=session, state=SignupState.ATTENDED).exists():
        raise ConflictError("已有人签到，不能取消")
    session.cancelled = True
    session.version = F("version") + 1
    session.save()
    session.refresh_from_db()
    record(Action.TRANSITION, session, message="session cancelled")
    from gridgov.notifications.services import notify

    people = Signup.objects.filter(session=session, state=SignupState.SIGNED_UP).values_list(
        "user_id", flat=True
    )
    notify(
        list(people),
        f"学习交流会「{session.title}」已取消",
        subject=session,
        url="/app/#/academy/sessions",
        exclude=user,
    )
    return session


def _taken(session: StudySession) -> int:
    return Signup.objects.filter(
        session=session, state__in=[SignupState.SIGNED_UP, SignupState.ATTENDED]
    ).count()


def _open_for(user: User, session: StudySession) -> StudySession:
    """The session, locked, if the user may see it (it is offered at or above their place)."""
    visible = restrict(StudySession.objects.filter(pk=session.pk), user)
    locked = visible.select_for_update().first()
    if locked is None:
        raise ConflictError("您不在这场交流会的范围内")
    if locked.cancelled:
        raise ConflictError("交流会已取消")
    return locked


def _seat(user: User, session: StudySession, state: str) -> Signup:
    """Take a seat (a new sign-up, or a cancelled one again); refused when the session is full."""
    place = place_of(user)
    if place is None:
        raise ValidationError({"__all__": "您没有所属网格或层级，无法报名"})
    if _taken(session) >= session.capacity:
        raise ConflictError("名额已满")
    now = timezone.now()
    signup, created = Signup.objects.get_or_create(
        session=session,
        user=user,
        defaults={
            "state": state,
            "path": place[0],
            "county_code": place[1],
            "attended_at": now if state == SignupState.ATTENDED else None,
        },
    )
    if not created:
        signup.state, signup.cancelled_at = state, None
        signup.attended_at = now if state == SignupState.ATTENDED else None
        signup.save()
    return signup


@transaction.atomic
def sign_up(*, user: User, session: StudySession) -> Signup:
    """Sign up (idempotent: signing up again changes nothing)."""
    session = _open_for(user, session)
    if timezone.now() >= session.ends_at:
        raise ConflictError("交流会已结束")
    found = Signup.objects.filter(session=session, user=user).first()
    if found is not None and found.state in (SignupState.SIGNED_UP, SignupState.ATTENDED):
        return found
    return _seat(user, session, SignupState.SIGNED_UP)


@transaction.atomic
def cancel_signup(*, user: User, session: StudySession) -> Signup | None:
    session = _open_for(user, session)
    found = Signup.objects.select_for_update().filter(session=session, user=user).first()
    if found is None or found.state == SignupState.CANCELLED:
        return found
    if found.state == SignupState.ATTENDED:
        raise ConflictError("已签到，不能取消报名")
    if timezone.now() >= session.starts_at:
        raise ConflictError("交流会已开始，不能取消报名")
    found.state, found.cancelled_at = SignupState.CANCELLED, timezone.now()
    found.save()
    return found


# --- the QR code and check-in ----------------------------------------------------------------------


def checkin_token(session: StudySession, now: datetime.datetime | None = None) -> str:
    issued = int((now or timezone.now()).timestamp())
    return PREFIX + signing.dumps({"s": session.pk, "t": issued}, salt=_SALT, compress=False)


def session_of_token(raw: Any, scanned_at: datetime.datetime | None = None) -> tuple[int, datetime.datetime]:
    """The session a code names and when it was scanned. A code is good for CHECKIN_TOKEN_TTL
    after it was shown; a phone that scanned it without signal sends it later with the time it
    scanned it (`scanned_at`), which must fall in that span (and be no later than now): the
    claim cannot stretch the code's life, only carry it across a dead spot. Sent later than
    LATE_SEND_LIMIT, it is refused."""
    value = str(raw or "").strip()
    if not value.startswith(PREFIX):
        raise ValidationError({"token": "不是交流会签到码"})
    try:
        payload = signing.loads(value[len(PREFIX) :], salt=_SALT, max_age=LATE_SEND_LIMIT)
    except signing.SignatureExpired:
        raise ValidationError({"token": "签到码已过期，请扫描现场最新的二维码"}) from None
    except signing.BadSignature:
        raise ValidationError({"token": "签到码无效"}) from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("s"), int)
        or not isinstance(payload.get("t"), int)
    ):
        raise ValidationError({"token": "签到码无效"})
    shown = datetime.datetime.fromtimestamp(payload["t"], tz=datetime.UTC)
    now = timezone.now()
    when = scanned_at or now
    if timezone.is_naive(when):
        raise ValidationError({"scanned_at": "扫码时间须带时区"})
    if when > now + CLOCK_SKEW:
        raise ValidationError({"scanned_at": "扫码时间晚于当前时间"})
    if not shown - CLOCK_SKEW <= when <= shown + CHECKIN_TOKEN_TTL:
        raise ValidationError({"token": "签到码已过期，请扫描现场最新的二维码"})
    return int(payload["s"]), min(when, now)


@transaction.atomic
def check_in(*, user: User, token: Any, scanned_at: datetime.datetime | None = None) -> Signup:
    """Attendance by scanning the session's code: idempotent, refused outside the window (at the
    time of the scan); a walk-in without sign-up takes a free seat. Credits the hours once."""
    session_id, now = session_of_token(token, scanned_at)
    found = StudySession.objects.filter(pk=session_id).first()
    if found is None:
        raise ValidationError({"token": "签到码无效"})
    session = _open_for(user, found)
    opens, closes = window_of(session)
    if not opens <= now <= closes:
        raise ConflictError(
            f"不在签到时间内（{timezone.localtime(opens):%m-%d %H:%M}–{timezone.localtime(closes):%H:%M}）"
        )
    signup = Signup.objects.select_for_update().filter(session=session, user=user).first()
    if signup is not None and signup.state == SignupState.ATTENDED:
        return signup
    if signup is not None and signup.state == SignupState.SIGNED_UP:
        signup.state, signup.attended_at = SignupState.ATTENDED, now
        signup.save()
    else:
        signup = _seat(user, session, SignupState.ATTENDED)
    services.credit(
        user=user,
        hours=session.hours,
        source=CreditSource.SESSION,
        session=session,
        on=timezone.localtime(session.starts_at).date(),
    )
    record(Action.TRANSITION, signup, message=f"checked in: {session.hours} h credited")
    return signup


@transaction.atomic
def mark_attended(*, user: User, signup: Signup) -> Signup:
    """An organiser marks someone present whose phone could not scan (their superior's scope)."""
    require(user, Cap.MANAGE_STAFF, signup.path, signup)
    session = StudySession.objects.select_for_update().get(pk=signup.session_id)
    if session.cancelled:
        raise ConflictError("交流会已取消")
    if timezone.now() < session.starts_at:
        raise ConflictError("交流会尚未开始")
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.state == SignupState.ATTENDED:
        return signup
    if signup.state == SignupState.CANCELLED:
        raise ConflictError("此人已取消报名")
    signup.state, signup.attended_at = SignupState.ATTENDED, timezone.now()
    signup.save()
    services.credit(
        user=signup.user,
        hours=session.hours,
        source=CreditSource.SESSION,
        session=session,
        on=timezone.localtime(session.starts_at).date(),
        by=user,
    )
    record(Action.TRANSITION, signup, message=f"marked present by the organiser: {session.hours} h credited")
    return signup
