"""Organisations over /api/v1/organisations: the ids dispatching needs, scoped like every read
(OrganisationRule: those serving inside the caller's subtree, those whose area covers it, their own)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.params import Page
from gridgov.events.models import Event, Organisation, OrgKind
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Node

router = Router(tags=["organisations"])


class OrganisationFilter(Schema):
    kind: OrgKind | None = Field(None, description="e.g. judicial, police, heating")
    area_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="those serving this place (their area covers it)"
    )
    within_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="those whose area lies inside this node"
    )
    event_id: int | None = Field(None, ge=1, le=2**63 - 1, description="those an event can be dispatched to")
    q: str = Field("", max_length=50, description="part of the name")


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area_id: int
    area_name: str
    phone: str


class OrganisationPage(Schema):
    count: int
    items: list[OrganisationOut]


@router.get("/organisations", response=OrganisationPage)
def list_organisations(
    request: HttpRequest, filters: Query[OrganisationFilter], page: Query[Page]
) -> dict[str, Any]:
    """Active organisations the caller works with, nearest area first."""
    orgs = Organisation.objects.restrict(request.user).filter(active=True).select_related("area")
    if filters.kind:
        orgs = orgs.filter(kind=filters.kind)
    if filters.area_id is not None:
        area = get_visible_or_404(Node.objects.all(), request.user, pk=filters.area_id)
        orgs = orgs.filter(path__in=paths.ancestors(area.path, include_self=True))
    if filters.within_id is not None:
        top = get_visible_or_404(Node.objects.all(), request.user, pk=filters.within_id)
        orgs = orgs.filter(path__startswith=top.path)
    if filters.event_id is not None:
        event = get_visible_or_404(Event.objects.select_related("grid"), request.user, pk=filters.event_id)
        orgs = orgs.filter(path__in=paths.ancestors(event.grid.path, include_self=True))
    if filters.q.strip():
        orgs = orgs.filter(name__contains=filters.q.strip())
    orgs = orgs.order_by("-path", "kind", "name", "pk")
    rows = orgs[page.offset : page.offset + page.limit]
    return {
        "count": orgs.count(),
        "items": [
            {
                "id": o.pk,
                "name": o.name,
                "kind": o.kind,
                "kind_label": o.get_kind_display(),
                "area_id": o.area_id,
                "area_name": o.area.name,
                "phone": o.phone,
            }
            for o in rows
        ],
    }
