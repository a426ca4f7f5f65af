"""No English and no raw codes in what a person sees: every page of the project (the same walk as
the every-URL scope test, tests/test_scope_urls.py) is opened as several personas, and the visible
text (and the text of placeholders, titles, labels and buttons) is checked for Latin words that
are neither proper nouns (Excel, API, PDF…) nor data (numbers, masked IDs, usernames, codes the
person typed)."""

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.test_scope_urls import (  # noqa: F401  (fixtures)
    ROUTES,
    Route,
    _is_public,
    _media,
    build_url,
    clients,
    pick_objects,
    scope_roots,
)

PERSONAS = ["gaobo", "huimin_admin", "saihan_admin", "heating_staff", "zhaowuda_mediator", "auditor"]
# Proper nouns, units and names of formats a Chinese UI writes in Latin letters.
ALLOWED = {
    "excel",
    "xlsx",
    "xls",
    "csv",
    "ods",
    "api",
    "pdf",
    "qr",
    "id",
    "ids",
    "gps",
    "app",
    "sms",
    "wifi",
    "totp",
    "http",
    "https",
    "url",
    "json",
    "openapi",
    "open311",
    "km",
    "kb",
    "mb",
    "gb",
    "png",
    "jpeg",
    "jpg",
    "webp",
    "svg",
    "pwa",
    "utc",
    "gb18030",
    "gbk",
    "utf",
    "mac",
    "android",
    "ios",
    "wechat",
    "echarts",
    "leaflet",
    "cpu",
    "otp",
    "no",
    "ok",
    "ip",
    "wps",
    # The product's name, and authenticator apps named where the second factor is set up.
    "gridgov",
    "google",
    "microsoft",
    "authenticator",
    "freeotp",
    "mfa",
    "geojson",
    # Pinyin, the way a grid worker types a name: examples of what to type in the search box.
    "zhangwei",
    "zw",
}
# Code, and what a person typed (a textarea's content is data, not the UI's words).
SKIP_TAGS = {"script", "style", "noscript", "template", "code", "pre", "svg", "math", "textarea"}
VISIBLE_ATTRS = {"placeholder", "title", "aria-label", "alt", "label"}
WORD = re.compile(r"(?<![A-Za-z0-9_./@:#*-])[A-Za-z][A-Za-z_]{1,}(?![A-Za-z0-9_@*/.-])")


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skip += 1
        for name, value in attrs:
            shown_value = (
                tag == "input"
                and name == "value"
                and dict(attrs).get("type") in {"submit", "button", "reset"}
            )
            if value and (name in VISIBLE_ATTRS or shown_value):
                self.parts.append(value)
        if tag == "option":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def english_words(html: str, usernames: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for text in parser.parts:
        for word in WORD.findall(text):
            if word.lower() in ALLOWED or word in usernames:
                continue
            found.add(word)
    return found


PAGES = [
    r
    for r in ROUTES
    if not r.is_api
    and not r.route.startswith(("admin/", "app/", "screen/", "open311/"))
    and not _is_public(r)
]


def _url(route: Route, roots: list[str]) -> str | None:
    values, _reason = pick_objects(route, roots) if route.id_models else ({}, "")
    if values is None or len(values) < len(route.kwargs):
        return None
    return build_url(route, values)


@pytest.mark.parametrize("route", PAGES, ids=[r.route for r in PAGES])
def test_pages_show_no_english(route: Route, clients: Any, scope_roots: list[str]) -> None:  # noqa: F811
    from gridgov.accounts.models import User

    url = _url(route, scope_roots)
    if url is None:
        pytest.skip("no sample object for this page (the scope walk covers why)")
    usernames = set(User.objects.exclude(password__startswith="!").values_list("username", flat=True))
    problems = {}
    for persona in PERSONAS:
        response = clients(persona).get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        words = english_words(response.content.decode(), usernames)
        if words:
            problems[persona] = sorted(words)
    assert not problems, f"{url}: English or raw codes shown: {problems}"
