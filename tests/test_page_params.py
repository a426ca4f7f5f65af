"""Every page, asked with junk in the query string as a user in scope would never type it (a bad
date, a negative page, a huge number, a word where an id goes), answers a page or a 4xx — never
a 500. The parameter names are the ones the pages read; every value is wrong for all of them."""

from typing import Any

import pytest

from tests.test_scope_urls import PLAIN_ROUTES, Route, _is_public

PARAMS = [
    "node", "node_id", "grid", "grid_id", "county", "county_id", "township", "worker", "worker_id",
    "page", "limit", "offset", "per_page", "from", "to", "start", "end", "date", "since", "until",
    "year", "month", "week", "period", "days", "q", "state", "status", "category", "kind", "tag",
    "sort", "order", "overdue", "risk", "outcome", "duty", "source", "action", "actor", "object",
    "figure", "level", "plan", "round", "rule", "lat", "lng", "zoom", "format",
]  # fmt: skip
JUNK = ["-1", "abc", "99999999999999999999", "2026-13-45", "1e309"]
PAGES = [r for r in PLAIN_ROUTES if not (r.is_api or r.is_admin or r.kwargs or _is_public(r))]


@pytest.mark.parametrize("route", PAGES, ids=[r.route or "/" for r in PAGES])
def test_no_page_answers_500_to_junk_parameters(route: Route, login: Any) -> None:
    url = "/" + route.route
    for username in ("huimin_admin", "saihan_admin"):
        client = login(username)
        for junk in JUNK:
            response = client.get(url, dict.fromkeys(PARAMS, junk))
            assert response.status_code < 500, (username, url, junk, response.status_code)
