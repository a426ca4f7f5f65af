"""The academy's API as the phone uses it: courses and the quiz (no answers given away), sign-up,
QR check-in, my hours, cases; bounded pages, no-store, idempotent writes."""

import datetime
from typing import Any

from django.utils import timezone

from gridgov.academy import sessions
from gridgov.academy.models import Course, Credit, QuizAttempt


def test_courses_and_quiz_without_answers(api: Any) -> None:
    client = api("gaobo")
    listing = client.get("/api/v1/academy/courses")
    assert listing.status_code == 200
    assert listing["Cache-Control"] == "no-store"
    quizzed = next(c for c in listing.json() if c["questions"])
    detail = client.get(f"/api/v1/academy/courses/{quizzed['id']}").json()
    assert detail["quiz"]
    assert all("answer" not in q for q in detail["quiz"])
    assert client.get("/api/v1/academy/courses?limit=1000").status_code == 400


def test_quiz_submission_replays_with_its_key(api: Any, user: Any) -> None:
    client = api("huimin_volunteer")
    course = Course.objects.filter(questions__isnull=False).distinct().get()
    body = {"answers": [1] * course.questions.count()}
    first = client.post(
        f"/api/v1/academy/courses/{course.pk}/quiz",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "quiz-key-1"},
    )
    again = client.post(
        f"/api/v1/academy/courses/{course.pk}/quiz",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "quiz-key-1"},
    )
    assert first.status_code == 200
    assert first.json()["passed"] is True
    assert again.json() == first.json()
    assert QuizAttempt.objects.filter(user=user("huimin_volunteer"), course=course).count() == 1
    short = client.post(
        f"/api/v1/academy/courses/{course.pk}/quiz", {"answers": [0]}, content_type="application/json"
    )
    assert short.status_code == 400
    assert "answers" in short.json()["errors"]


def test_sign_up_and_check_in_by_the_scanned_code(api: Any, user: Any, node: Any) -> None:
    now = timezone.now()
    session = sessions.create_session(
        user=user("huimin_admin"),
        node=node("惠民社区"),
        title="扫码交流",
        place="会议室",
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
        capacity="10",
        hours="2",
    )
    client = api("gaobo")
    signed = client.post(f"/api/v1/academy/sessions/{session.pk}/signup", content_type="application/json")
    assert signed.json()["my_state"] == "signed_up"
    token = sessions.checkin_token(session)
    for _ in range(2):
        done = client.post("/api/v1/academy/checkin", {"token": token}, content_type="application/json")
        assert done.status_code == 200
    assert Credit.objects.filter(user=user("gaobo"), session=session).count() == 1
    assert (
        client.post("/api/v1/academy/checkin", {"token": "junk"}, content_type="application/json").status_code
        == 400
    )
    outsider = api("laogangfang_worker").post(
        "/api/v1/academy/checkin", {"token": token}, content_type="application/json"
    )
    assert outsider.status_code == 409
    mine = client.get("/api/v1/academy/me/hours").json()
    assert mine["hours"]
    assert mine["required"]


def test_cases_and_hours_report_are_scoped(api: Any, node: Any) -> None:
    cases = api("gaobo").get("/api/v1/academy/cases").json()
    assert len(cases) == 1
    assert api("laogangfang_worker").get("/api/v1/academy/cases").json() == []
    saihan = node("赛罕区")
    report = api("saihan_admin").get(f"/api/v1/academy/hours?node_id={saihan.pk}&below=true")
    assert report.status_code == 200
    assert all(r["below"] for r in report.json())
    assert api("gaobo").get(f"/api/v1/academy/hours?node_id={saihan.pk}").status_code == 404
