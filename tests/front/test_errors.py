"""Refusals and missing pages as a person sees them: in Chinese, inside the navigation, with
capabilities named in words; the API answers JSON; the log gets one line, not a traceback."""

import logging
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from gridgov.core.logs import RefusalsOnOneLine
from gridgov.front.errors import reason_of


def test_a_refused_page_is_chinese_with_the_navigation(login: Any) -> None:
    response = login("gaobo").get("/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限" in page
    assert "查看审计日志" in page  # the capability by its name, not view_audit
    assert "view_audit" not in page
    assert 'class="nav"' in page
    assert "Forbidden" not in page


def test_a_missing_page_is_chinese_with_the_navigation(login: Any) -> None:
    response = login("gaobo").get("/registry/residents/987654321/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert 'class="nav"' in page
    assert "Not Found" not in page
    unknown = login("gaobo").get("/no/such/page/")
    assert unknown.status_code == 404
    assert "页面不存在" in unknown.content.decode()


def test_an_unknown_api_path_answers_json(api: Any) -> None:
    response = api("gaobo").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        (PermissionDenied("no permission: see_pii"), "您没有“查看完整身份证号和电话”的权限。"),
        (PermissionDenied("无权查看人口信息"), "无权查看人口信息"),
        (PermissionDenied("cannot reveal this field"), ""),
        (None, ""),
    ],
)
def test_reasons_are_words_never_codes(exception: Any, reason: str) -> None:
    assert reason_of(exception) == reason


def test_a_refusal_is_logged_on_one_line_and_a_crash_keeps_its_traceback() -> None:
    assert "refusals_on_one_line" in settings.LOGGING["handlers"]["console"]["filters"]
    try:
        raise PermissionDenied("x")
    except PermissionDenied:
        import sys

        info = sys.exc_info()
    refusal = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x",), info
    )
    refusal.status_code = 403
    assert RefusalsOnOneLine().filter(refusal)
    assert refusal.exc_info is None
    crash = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Server Error", (), info)
    crash.status_code = 500
    RefusalsOnOneLine().filter(crash)
    assert crash.exc_info is not None
