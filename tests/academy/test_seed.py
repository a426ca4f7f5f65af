"""The demo academy: what `gridgov seed --scale demo` leaves for every page to show."""

from typing import Any

from gridgov.academy.models import (
    Case,
    CaseStatus,
    Course,
    Credit,
    QuizAttempt,
    Signup,
    SignupState,
    StudySession,
)


def test_the_demo_has_courses_a_session_with_attendance_a_quiz_a_case_and_hours(user: Any) -> None:
    assert Course.objects.filter(published=True).count() >= 3
    assert Course.objects.filter(questions__isnull=False).distinct().count() == 1
    assert Signup.objects.filter(state=SignupState.ATTENDED).count() == 2
    assert StudySession.objects.count() == 2
    assert QuizAttempt.objects.filter(user=user("gaobo"), passed=True).exists()
    case = Case.objects.get(status=CaseStatus.PUBLISHED)
    assert case.approved_by != case.submitted_by
    for name in ("张建华", "李志强", "高波", "13904715821", "3号楼2单元"):
        assert name not in case.body
    assert Credit.objects.filter(user=user("gaobo")).count() == 3
