"""Courses, quizzes and hours: uploads checked by content, the quiz graded and its hours credited
once on a pass, requirements per county, the indicator of the annual assessment."""

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.academy import selectors, services
from gridgov.academy.models import Course, Credit, QuizAttempt
from gridgov.academy.seed import minimal_pdf
from gridgov.assessment import indicators
from gridgov.core.errors import ConflictError
from gridgov.workforce.models import WorkerFile


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _course(user: Any, node: Any, **extra: Any) -> Course:
    fields = {
        "kind": "link",
        "url": "https://example.org/a",
        "title": "测试课程",
        "hours": "2",
        "published": "1",
    }
    fields.update(extra)
    return services.create_course(user=user("huimin_admin"), node=node("惠民社区"), **fields)


def test_uploads_are_checked_by_content(user: Any, node: Any) -> None:
    pdf = SimpleUploadedFile("a.pdf", minimal_pdf("x"), "application/pdf")
    course = _course(user, node, kind="document", url="", upload=pdf)
    assert course.content_type == "application/pdf"
    assert course.file_name
    docx = SimpleUploadedFile("b.docx", _docx(), "application/octet-stream")
    assert _course(user, node, kind="document", upload=docx).content_type.endswith(
        "wordprocessingml.document"
    )
    fake = SimpleUploadedFile("c.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    with pytest.raises(ValidationError) as refused:
        _course(user, node, kind="document", upload=fake)
    assert "file" in refused.value.message_dict
    with pytest.raises(ValidationError, match="文件类型不符"):
        _course(user, node, kind="video", upload=SimpleUploadedFile("d.mp4", minimal_pdf("x"), "video/mp4"))
    with pytest.raises(ValidationError, match="空"):
        _course(user, node, kind="document", upload=SimpleUploadedFile("e.pdf", b"", "application/pdf"))


def test_bad_fields_name_the_field(user: Any, node: Any) -> None:
    for extra, field in [
        ({"hours": "abc"}, "hours"),
        ({"hours": "100"}, "hours"),
        ({"url": "javascript:x"}, "url"),
        ({"title": ""}, "title"),
        ({"kind": "tape"}, "kind"),
        ({"pass_mark": "0"}, "pass_mark"),
    ]:
        with pytest.raises(ValidationError) as refused:
            _course(user, node, **extra)
        assert field in refused.value.message_dict, extra


def test_only_officials_over_the_node_offer_courses(user: Any, node: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_course(
            user=user("gaobo"), node=node("惠民社区"), kind="link", url="https://a.b", title="x", hours="1"
        )
    with pytest.raises(PermissionDenied):
        services.create_course(
            user=user("huimin_admin"),
            node=node("赛罕区"),
            kind="link",
            url="https://a.b",
            title="x",
            hours="1",
        )


def test_quiz_pass_credits_hours_once_and_keys_replay(user: Any, node: Any) -> None:
    course = _course(user, node, pass_mark="60")
    admin, learner = user("huimin_admin"), user("huimin_volunteer")
    for text in ("一", "二", "三"):
        services.add_question(user=admin, course=course, text_value=f"题{text}", choices="对\n错", answer="1")
    attempt, credited = services.submit_quiz(user=learner, course=course, answers=[1, 1, 0], key="k1")
    assert (attempt.score, attempt.passed, credited) == (33, False, None)
    attempt, credited = services.submit_quiz(user=learner, course=course, answers=[0, 0, 1], key="k2")
    assert (attempt.score, attempt.passed) == (67, True)
    assert credited is not None
    again, _ = services.submit_quiz(user=learner, course=course, answers=[0, 0, 1], key="k2")
    assert again.pk == attempt.pk
    services.submit_quiz(user=learner, course=course, answers=[0, 0, 0], key="k3")
    assert Credit.objects.filter(user=learner, course=course).count() == 1
    assert QuizAttempt.objects.filter(user=learner, course=course).count() == 3
    with pytest.raises(ValidationError, match="全部 3 道题"):
        services.submit_quiz(user=learner, course=course, answers=[0])
    with pytest.raises(ConflictError):
        services.complete_course(user=learner, course=course)


def test_a_course_without_quiz_is_completed_once(user: Any, node: Any) -> None:
    course = _course(user, node)
    assert services.complete_course(user=user("gaobo"), course=course) is not None
    assert services.complete_course(user=user("gaobo"), course=course) is None
    draft = _course(user, node, published="")
    with pytest.raises(ConflictError, match="尚未发布"):
        services.complete_course(user=user("gaobo"), course=draft)


def test_hours_report_and_the_assessment_indicator(user: Any, node: Any) -> None:
    saihan = node("赛罕区")
    year = selectors.this_year()
    services.set_requirement(user=user("saihan_admin"), county=saihan, year=year, min_hours="10")
    gaobo = WorkerFile.objects.get(user=user("gaobo"))
    have = selectors.hours_by_user([gaobo.user_id], year)[gaobo.user_id]
    rows = selectors.hours_report(user("saihan_admin"), saihan, year)
    assert rows
    assert all(r.worker.county_code == saihan.county_code for r in rows)
    assert [r.below for r in rows] == sorted((r.below for r in rows), reverse=True)  # who is below first
    scores = indicators.county_indicators(saihan.county_code, year)
    assert scores[gaobo.pk]["training_hours"] == min(100.0, float(have * 100 / Decimal(10)))
    assert "training_hours" not in indicators.PENDING
    # A year without the academy: no value, not 0 for everyone.
    assert indicators.county_indicators(saihan.county_code, 2019)[gaobo.pk]["training_hours"] is None


def test_manual_training_is_recorded_by_a_superior_only(user: Any) -> None:
    made = services.record_training(
        user=user("huimin_admin"), learner=user("gaobo"), hours="4", on="2026-01-05", note="区级集中培训"
    )
    assert made.year == 2026
    assert made.hours == Decimal("4")
    with pytest.raises(PermissionDenied):
        services.record_training(
            user=user("laogangfang_worker"), learner=user("gaobo"), hours="4", on="2026-01-05", note="x"
        )
    with pytest.raises(ValidationError) as refused:
        services.record_training(
            user=user("huimin_admin"), learner=user("gaobo"), hours="4", on="2026-13-05", note="x"
        )
    assert "on" in refused.value.message_dict
