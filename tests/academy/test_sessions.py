"""Learning-and-exchange sessions: sign-up and cancel, capacity, and the QR check-in (signed,
expiring, refused outside the window, idempotent, hours credited once)."""

import datetime
from typing import Any

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.academy import sessions
from gridgov.academy.models import Credit, Signup, SignupState, StudySession
from gridgov.core.errors import ConflictError


@pytest.fixture
def live(user: Any, node: Any) -> StudySession:
    now = timezone.now()
    return sessions.create_session(
        user=user("huimin_admin"),
        node=node("惠民社区"),
        title="调解实务交流",
        place="社区会议室",
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=1),
        capacity="2",
        hours="1.5",
    )


def test_sign_up_cancel_and_capacity(live: StudySession, user: Any) -> None:
    later = live
    later.starts_at = timezone.now() + datetime.timedelta(days=1)
    later.ends_at = later.starts_at + datetime.timedelta(hours=1)
    later.save()
    first = sessions.sign_up(user=user("gaobo"), session=later)
    assert sessions.sign_up(user=user("gaobo"), session=later).pk == first.pk  # again: nothing new
    sessions.sign_up(user=user("huimin_volunteer"), session=later)
    with pytest.raises(ConflictError, match="名额已满"):
        sessions.sign_up(user=user("huimin_chief"), session=later)
    cancelled = sessions.cancel_signup(user=user("gaobo"), session=later)
    assert cancelled is not None
    assert cancelled.state == SignupState.CANCELLED
    assert sessions.sign_up(user=user("huimin_chief"), session=later).state == SignupState.SIGNED_UP


def test_outsiders_cannot_sign_up(live: StudySession, user: Any) -> None:
    with pytest.raises(ConflictError):
        sessions.sign_up(user=user("laogangfang_worker"), session=live)


def test_check_in_is_idempotent_and_credits_once(live: StudySession, user: Any) -> None:
    token = sessions.checkin_token(live)
    gaobo = user("gaobo")
    sessions.sign_up(user=gaobo, session=live)
    first = sessions.check_in(user=gaobo, token=token)
    again = sessions.check_in(user=gaobo, token=token)
    assert first.pk == again.pk
    assert again.state == SignupState.ATTENDED
    assert Credit.objects.filter(user=gaobo, session=live).count() == 1
    # A walk-in without sign-up takes a free seat.
    walk_in = sessions.check_in(user=user("huimin_volunteer"), token=token)
    assert walk_in.state == SignupState.ATTENDED


def test_check_in_refused_outside_the_window(live: StudySession, user: Any) -> None:
    live.starts_at = timezone.now() + datetime.timedelta(hours=2)
    live.ends_at = live.starts_at + datetime.timedelta(hours=1)
    live.save()
    with pytest.raises(ConflictError, match="不在签到时间内"):
        sessions.check_in(user=user("gaobo"), token=sessions.checkin_token(live))
    assert not Signup.objects.filter(session=live, user=user("gaobo")).exists()


def test_forged_expired_and_foreign_tokens_are_refused(live: StudySession, user: Any, settings: Any) -> None:
    gaobo = user("gaobo")
    with pytest.raises(ValidationError, match="签到码无效"):
        sessions.check_in(user=gaobo, token="GGS1:" + signing.dumps({"s": live.pk}, salt="other"))
    with pytest.raises(ValidationError, match="不是交流会签到码"):
        sessions.check_in(user=gaobo, token="GGB1:123:ABCDEF")
    old = sessions.checkin_token(live, now=timezone.now() - datetime.timedelta(minutes=10))
    with pytest.raises(ValidationError, match="已过期"):
        sessions.session_of_token(old)
    with pytest.raises(ValidationError, match="签到码无效"):
        sessions.check_in(
            user=gaobo, token="GGS1:" + signing.dumps({"s": live.pk}, salt="gridgov.academy.checkin")
        )


def test_a_scan_without_signal_is_accepted_later_for_the_time_it_was_made(
    live: StudySession, user: Any
) -> None:
    shown = timezone.now() - datetime.timedelta(minutes=20)
    token = sessions.checkin_token(live, now=shown)
    gaobo = user("gaobo")
    # The phone scanned it a minute after it was shown, then had no signal for 19 minutes.
    done = sessions.check_in(user=gaobo, token=token, scanned_at=shown + datetime.timedelta(minutes=1))
    assert done.state == SignupState.ATTENDED
    # A claimed scan time outside the code's five minutes, or in the future, is refused.
    with pytest.raises(ValidationError, match="已过期"):
        sessions.check_in(
            user=user("huimin_volunteer"), token=token, scanned_at=shown + datetime.timedelta(minutes=9)
        )
    with pytest.raises(ValidationError) as refused:
        sessions.check_in(
            user=user("huimin_volunteer"),
            token=token,
            scanned_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert "scanned_at" in refused.value.message_dict


def test_cancelled_session_refuses_check_in(live: StudySession, user: Any) -> None:
    token = sessions.checkin_token(live)
    sessions.cancel_session(user=user("huimin_admin"), session=live)
    with pytest.raises(ConflictError, match="已取消"):
        sessions.check_in(user=user("gaobo"), token=token)


def test_a_new_session_is_announced_to_the_workers_below(live: StudySession, user: Any) -> None:
    from gridgov.notifications.models import Notice

    told = Notice.objects.filter(message__contains=live.title)
    assert told.filter(user=user("gaobo")).exists()
    assert not told.filter(user=user("laogangfang_worker")).exists()
