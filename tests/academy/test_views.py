"""The officials' desktop pages: courses with upload limits, quiz editing, sessions with their QR
code, the case library's review, the hours report; and what learners and outsiders get."""

import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.academy import sessions
from gridgov.academy.models import Case, CaseStatus, Course, Requirement, StudySession
from gridgov.academy.seed import minimal_pdf


def test_pages_render_for_officials_and_learners(login: Any) -> None:
    for username in ("huimin_admin", "gaobo", "saihan_admin"):
        client = login(username)
        for url in (
            "/academy/",
            "/academy/courses/",
            "/academy/sessions/",
            "/academy/lecturers/",
            "/academy/cases/",
        ):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            assert "no-store" in response["Cache-Control"]
    page = login("saihan_admin").get("/academy/hours/").content.decode()
    assert "未达标" in page
    assert "下级单位" in page  # one level down: each township's workers and who is below
    assert login("gaobo").get("/academy/hours/").status_code == 302


def test_upload_a_course_and_download_it_only_inside_scope(login: Any, node: Any) -> None:
    client = login("huimin_admin")
    huimin = node("惠民社区")
    made = client.post(
        "/academy/courses/",
        {
            "node_id": huimin.pk,
            "kind": "document",
            "title": "入户走访规范",
            "hours": "1",
            "published": "1",
            "file": SimpleUploadedFile("a.pdf", minimal_pdf("visit"), "application/pdf"),
        },
    )
    course = Course.objects.get(title="入户走访规范")
    assert made.status_code == 302
    download = login("gaobo").get(f"/academy/courses/{course.pk}/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert login("laogangfang_worker").get(f"/academy/courses/{course.pk}/file").status_code == 404
    bad = client.post(
        "/academy/courses/",
        {
            "node_id": huimin.pk,
            "kind": "document",
            "title": "坏文件",
            "hours": "1",
            "file": SimpleUploadedFile("a.pdf", b"<script>", "application/pdf"),
        },
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400
    assert not Course.objects.filter(title="坏文件").exists()


def test_learners_do_not_see_draft_courses(login: Any) -> None:
    draft = Course.objects.get(published=False, title__contains="草稿")
    assert login("gaobo").get(f"/academy/courses/{draft.pk}/").status_code == 404
    assert login("saihan_admin").get(f"/academy/courses/{draft.pk}/").status_code == 200


def test_session_qr_for_organisers_in_the_window(login: Any, user: Any, node: Any) -> None:
    now = timezone.now()
    session = sessions.create_session(
        user=user("huimin_admin"),
        node=node("惠民社区"),
        title="现场交流",
        place="会议室",
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
        capacity="10",
        hours="1",
    )
    page = login("huimin_admin").get(f"/academy/sessions/{session.pk}/qr/").content.decode()
    assert "<svg" in page
    assert login("gaobo").get(f"/academy/sessions/{session.pk}/qr/").status_code == 404
    later = StudySession.objects.filter(starts_at__gt=now).first()
    assert later is not None
    assert "<svg" not in login("saihan_admin").get(f"/academy/sessions/{later.pk}/qr/").content.decode()


def test_case_review_needs_a_second_person(login: Any) -> None:
    case = Case.objects.get(status=CaseStatus.PUBLISHED)
    assert login("gaobo").get(f"/academy/cases/{case.pk}/").status_code == 200
    assert login("laogangfang_worker").get(f"/academy/cases/{case.pk}/").status_code == 404
    admin = login("saihan_admin")
    admin.post(f"/academy/cases/{case.pk}/withdraw/")
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert login("gaobo").get(f"/academy/cases/{case.pk}/").status_code == 404


def test_requirement_form_names_the_field(login: Any, node: Any) -> None:
    client = login("saihan_admin")
    saihan = node("赛罕区")
    bad = client.post(
        "/academy/hours/requirement/",
        {"county_id": saihan.pk, "year": "2026", "min_hours": "x"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400
    client.post("/academy/hours/requirement/", {"county_id": saihan.pk, "year": "2027", "min_hours": "36"})
    assert Requirement.objects.get(county_code=saihan.county_code, year=2027).min_hours == 36


def test_hours_export_is_scoped_and_audited(login: Any, node: Any) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from gridgov.audit.models import AuditEntry

    saihan = node("赛罕区")
    answer = login("saihan_admin").get(f"/academy/hours.xlsx?node={saihan.pk}&year=2026")
    assert answer.status_code == 200
    sheet = load_workbook(BytesIO(answer.content)).active
    assert sheet["A2"].value == "姓名"
    assert sheet.max_row > 2
    assert AuditEntry.objects.filter(action="export", message__startswith="training hours").exists()
    assert login("huimin_admin").get(f"/academy/hours.xlsx?node={saihan.pk}").status_code == 404


def test_material_streams_by_range_and_opens_by_the_phones_link(login: Any, api: Any) -> None:
    from django.test import Client

    course = Course.objects.filter(file_name__gt="", published=True).order_by("pk").first()
    assert course is not None
    client = login("gaobo")
    part = client.get(f"/academy/courses/{course.pk}/file", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == b"%PDF"
    assert part["Content-Range"] == f"bytes 0-3/{course.size}"
    assert (
        client.get(
            f"/academy/courses/{course.pk}/file", headers={"Range": f"bytes={course.size + 5}-"}
        ).status_code
        == 416
    )
    link = api("gaobo").get(f"/api/v1/academy/courses/{course.pk}").json()["material_link"]
    assert link.startswith(f"/academy/courses/{course.pk}/file?t=")
    assert Client().get(link).status_code == 200  # no cookie: the signed link is the key
    assert Client().get(link + "x").status_code == 302  # a forged link: sign in first
    other = Course.objects.exclude(pk=course.pk).filter(file_name__gt="").first()
    assert other is not None
    assert Client().get(link.replace(f"/{course.pk}/", f"/{other.pk}/")).status_code == 302
    outsider_link = api("laogangfang_worker").get(f"/api/v1/academy/courses/{course.pk}")
    assert outsider_link.status_code == 404
