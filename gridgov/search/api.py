"""Keyword search and break-the-glass over /api/v1/ (OpenAPI at /api/v1/openapi.json).

`GET /search?q=…&page=…`: residents and households in the caller's scope, ranked exact → prefix →
substring → one-letter pinyin typo (identical names: the caller's own grid first, then the recently
updated), one page at a time (`has_next` instead of a total: counting every match of a common
surname across the city is what makes searches slow). ID numbers and phones are always masked
here; revealing one record is the registry's `/residents/{id}/reveal/{field}`. `special_tags` is
absent for callers not granted special groups.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from gridgov.accounts.scope import get_visible_or_404
from gridgov.hierarchy.models import Node
from gridgov.registry.models import BreakGlassGrant
from gridgov.registry.selectors import require_registry_access
from gridgov.search import selectors, services
from gridgov.search.grants import grant_out, grants_out, grants_supervised_by, open_and_pending

router = Router(tags=["search"])


class SearchHitOut(Schema):
    type: str = Field(description="resident | household")
    id: int
    url: str = Field(description="the page of this resident or household")
    tier: int = Field(description="0 exact, 1 prefix, 2 substring, 3 a one-letter pinyin typo")
    match: str = Field(
        description="what matched: name, surname, pinyin (full, initials, surname + initials, a mix "
        "of characters and letters), typo, id_number, id_tail, phone, phone_tail, address, number"
    )
    outside_scope: bool = Field(description="found only through a break-the-glass grant")
    name: str | None = None
    sex: str | None = None
    sex_label: str | None = None
    age: int | None = None
    ethnicity: str | None = None
    id_number: str | None = Field(None, description="masked")
    phone: str | None = Field(None, description="masked")
    relation_label: str | None = None
    status: str
    status_label: str
    household_id: int | None = None
    household_url: str | None = None
    address: str | None = None
    care_tags: list[str] | None = None
    care_labels: list[str] | None = None
    special_tags: list[str] | None = Field(None, description="present only for users granted special groups")
    special_labels: list[str] | None = None
    number: str | None = Field(None, description="household number")
    kind: str | None = None
    kind_label: str | None = None
    head_name: str | None = None
    member_count: int | None = None


class GrantOut(Schema):
    id: int
    user: str
    user_name: str
    reason: str
    path: str
    node_name: str
    granted_at: datetime.datetime = Field(description="when it was asked for")
    expires_at: datetime.datetime | None = Field(description="set once the grant opens")
    status: str = Field(description="pending (waits for a superior) | approved | refused | withdrawn")
    status_label: str
    active: bool = Field(description="approved and not expired: searches cover its area now")
    decided_by: str | None = None
    decided_at: datetime.datetime | None = None
    decision_note: str = ""
    may_decide: bool = Field(False, description="you may approve or refuse this pending request")


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", description="the reason (required when refusing)", max_length=2000)


class SearchPageOut(Schema):
    query: str
    page: int
    page_size: int
    has_next: bool
    kinds: list[str] = Field(description="how the query was read")
    results: list[SearchHitOut]
    grants: list[GrantOut] = Field(description="active break-the-glass grants widening this search")


class GrantIn(Schema):
    reason: str = Field(
        description="why you must search outside your area (audited, shown to your supervisors)"
    )
    node_id: int | None = Field(None, description="where to search; default: the community above your grid")


class ErrorOut(Schema):
    detail: str


class LimitOut(Schema):
    detail: str
    limit: int
    setting: str


@router.get("/search", response=SearchPageOut, exclude_none=True)
def search(
    request: HttpRequest, q: str = "", page: int = 1, page_size: int = selectors.PAGE_SIZE
) -> dict[str, Any]:
    """Find residents and households by name (2+ characters, or a surname), full pinyin or initials,
    phone (full or last 4 digits), ID number (full, or its last 4 or 6 characters), address
    (3栋2单元, 3号楼2单元301, 惠民社区3号楼) or household number. At most 50 characters (longer: 400)."""
    require_registry_access(request.user)
    result = selectors.search(request.user, q, page, page_size)
    return {
        "query": result.query,
        "page": result.page,
        "page_size": result.page_size,
        "has_next": result.has_next,
        "kinds": result.kinds,
        "results": result.results,
        "grants": grants_out(result.grants),
    }


@router.post("/search/break-glass", response={201: GrantOut, 400: ErrorOut, 429: LimitOut})
def open_break_glass(request: HttpRequest, body: GrantIn) -> Status[dict[str, Any]]:
    """Search outside your own area for 2 hours, stating why (audited; your supervisors are told).

    Within your own township it opens at once (`status` approved); wider, it is a request
    (`status` pending) that a superior over that area approves or refuses. At most
    `BREAK_GLASS_PER_DAY` requests a day (default 3): the next answers 429 naming the limit."""
    node = get_object_or_404(Node, pk=body.node_id) if body.node_id else None
    grant = services.open_break_glass(user=request.user, reason=body.reason, node=node)
    return Status(201, grant_out(grant))


@router.get("/search/break-glass", response=list[GrantOut])
def my_grants(request: HttpRequest) -> list[dict[str, Any]]:
    """Your open break-the-glass grants and your requests waiting for a superior."""
    return grants_out(open_and_pending(request.user))


@router.get("/search/break-glass/supervised", response=list[GrantOut])
def supervised_grants(request: HttpRequest, limit: int = 100, pending: bool = False) -> list[dict[str, Any]]:
    """Grants of the staff you supervise, and grants opening your area to others (newest first);
    `pending=true`: only requests waiting for a decision."""
    grants = grants_supervised_by(request.user)
    if pending:
        grants = grants.filter(status="pending")
    return grants_out(list(grants[: max(1, min(limit, 500))]), request.user)


@router.post(
    "/search/break-glass/{breakglassgrant_id}/decision",
    response={200: GrantOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
)
def decide_break_glass(request: HttpRequest, breakglassgrant_id: int, body: DecisionIn) -> dict[str, Any]:
    """Approve or refuse (with a reason) a pending request for an area you manage (audited; the
    requester is told). 409 once it is decided, 403 for the requester or anyone not over the area."""
    grant = _visible_grant(request, breakglassgrant_id)
    decided = services.decide_break_glass(grant, user=request.user, approve=body.approve, note=body.note)
    return grant_out(decided, viewer=request.user)


@router.post("/search/break-glass/{breakglassgrant_id}/close", response=GrantOut)
def close_break_glass(request: HttpRequest, breakglassgrant_id: int) -> dict[str, Any]:
    grant = _visible_grant(request, breakglassgrant_id)
    return grant_out(services.close_break_glass(grant, user=request.user))


def _visible_grant(request: HttpRequest, grant_id: int) -> BreakGlassGrant:
    return get_visible_or_404(BreakGlassGrant.objects.select_related("user"), request.user, pk=grant_id)
