"""Writes for Open311: a POSTed service request becomes an event through the events service
(channel "open311"), filed as the client's account inside the client's area."""

import json
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from gridgov.core.crypto import encrypt
from gridgov.events.models import Category, Event
from gridgov.hierarchy.geo import locate_grid
from gridgov.hierarchy.models import Level, Node
from gridgov.open311.models import Client, Datatype, ServiceAttribute, ServiceRequest
from gridgov.registry.models import Household

CONTACT_CONTEXT = "open311.contact"
MAX_DESCRIPTION = 4000


class Open311Error(Exception):
    """An error the spec answers with a status code and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class Submission:
    """The POST parameters as the spec names them (attributes as {code: value or [values]})."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Any) -> "Submission":
        """From a QueryDict: attribute[CODE]=v and attribute[CODE][]=v (multivaluelist)."""
        simple = {
            name: (data.get(name) or "").strip() for name in cls.__dataclass_fields__ if name != "attributes"
        }
        attributes: dict[str, Any] = {}
        for key in data:
            if not key.startswith("attribute[") or "]" not in key:
                continue
            code = key[len("attribute[") : key.index("]")]
            if key.endswith("[]"):
                attributes[code] = [v.strip() for v in data.getlist(key)]
            else:
                attributes[code] = (data.get(key) or "").strip()
        return cls(**simple, attributes=attributes)


def _point(submission: Submission) -> tuple[float, float] | None:
    if not submission.lat and not submission.long:
        return None
    if not submission.lat or not submission.long:
        raise Open311Error(400, "lat and long must be sent together")
    try:
        lat, lng = float(submission.lat), float(submission.long)
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees (WGS84)") from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise Open311Error(400, "lat must be within -90..90 and long within -180..180")
    return lng, lat


def _grid_from_address(client: Client, submission: Submission) -> Node:
    """No coordinates: an address_id (a grid or building code) or an address_string that names a
    building or household exactly. Anything else cannot be placed in a grid."""
    area = client.area.path
    if submission.address_id:
        node = (
            Node.objects.filter(
                code=submission.address_id, level__in=[Level.GRID, Level.BUILDING], path__under=area
            )
            .select_related("parent")
            .first()
        )
        if node is None:
            raise Open311Error(
                400, f"address_id {submission.address_id!r} is not a grid or building code here"
            )
        return node if node.level == Level.GRID else node.parent  # type: ignore[return-value]
    text = submission.address_string
    building = (
        Node.objects.filter(level=Level.BUILDING, address=text, path__under=area)
        .select_related("parent")
        .first()
    )
    if building is not None and building.parent is not None:
        return building.parent
    household = Household.objects.filter(address=text, path__under=area).select_related("grid").first()
    if household is not None:
        return household.grid
    raise Open311Error(400, "address_string could not be located in a grid; send lat and long")


def _clean_attributes(category: Category, submitted: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    attributes: list[ServiceAttribute] = list(
        ServiceAttribute.objects.filter(category=category, variable=True)
    )
    for attribute in attributes:
        value = submitted.get(attribute.code)
        empty = value in (None, "", []) or (isinstance(value, list) and not any(value))
        if empty:
            if attribute.required:
                raise Open311Error(400, f"attribute[{attribute.code}] is required: {attribute.description}")
            continue
        keys = {str(v["key"]) for v in attribute.values}
        if attribute.datatype == Datatype.SINGLEVALUELIST:
            if isinstance(value, list) or str(value) not in keys:
                raise Open311Error(
                    400, f"attribute[{attribute.code}] must be one of: {', '.join(sorted(keys))}"
                )
        elif attribute.datatype == Datatype.MULTIVALUELIST:
            values = value if isinstance(value, list) else [value]
            if not set(map(str, values)) <= keys:
                raise Open311Error(
                    400, f"attribute[{attribute.code}][] values must be among: {', '.join(sorted(keys))}"
                )
            value = list(values)
        elif attribute.datatype == Datatype.NUMBER:
            try:
                float(str(value))
            except ValueError:
                raise Open311Error(400, f"attribute[{attribute.code}] must be a number") from None
        elif isinstance(value, list):
            raise Open311Error(400, f"attribute[{attribute.code}] takes one value")
        clean[attribute.code] = value
    return clean


def _description(category: Category, submission: Submission, attributes: dict[str, Any]) -> str:
    """The event text: what the citizen wrote, plus the answers to the service's questions."""
    text = submission.description or f"{category.name}（Open311 提交）"
    if len(text) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
    if attributes:
        names = {a.code: a for a in ServiceAttribute.objects.filter(category=category)}
        lines = []
        for code, value in attributes.items():
            attribute = names[code]
            labels = {str(v["key"]): v["name"] for v in attribute.values}
            shown = "、".join(
                labels.get(str(v), str(v)) for v in (value if isinstance(value, list) else [value])
            )
            lines.append(f"{attribute.description}：{shown}")
        text = text + "\n" + "\n".join(lines)
    return text


def _check_contact(submission: Submission) -> None:
    if submission.email:
        try:
            EmailValidator()(submission.email)
        except ValidationError:
            raise Open311Error(400, "email is not a valid address") from None
    if submission.media_url:
        try:
            URLValidator(schemes=["http", "https"])(submission.media_url)
        except ValidationError:
            raise Open311Error(400, "media_url must be an http(s) URL") from None
        if len(submission.media_url) > 500:
            raise Open311Error(400, "media_url is longer than 500 characters")
    for name in ("first_name", "last_name", "phone", "device_id", "account_id"):
        if len(getattr(submission, name)) > 100:
            raise Open311Error(400, f"{name} is longer than 100 characters")


def submit(client: Client, category: Category, submission: Submission) -> tuple[Event, ServiceRequest]:
    """Create the event and its Open311 record; Open311Error (400) for what the spec calls bad
    input, ValidationError from the events service for the rest. Nothing is half-created."""
    from gridgov.events.intake import report_event

    point = _point(submission)
    if point is None and not (submission.address_string or submission.address_id):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    _check_contact(submission)
    attributes = _clean_attributes(category, submission.attributes)
    description = _description(category, submission, attributes)
    if point is None:
        grid: Node | None = _grid_from_address(client, submission)
    else:
        grid = locate_grid(*point)
        if grid is None:
            raise Open311Error(
                400, f"the location ({point[1]:.6f}, {point[0]:.6f}) is not in any grid of this city"
            )
    if grid is not None and not grid.path.startswith(client.area.path):
        raise Open311Error(
            400, f"the location is outside the area this client may report in ({client.area.name})"
        )
    with transaction.atomic():
        event, _created = report_event(
            user=client.user,
            category=category,
            description=description,
            lng=point[0] if point else None,
            lat=point[1] if point else None,
            grid=grid,
            address=submission.address_string[:200],
            channel="open311",
            check_scope=False,
        )
        contact = {
            k: getattr(submission, k)
            for k in ("first_name", "last_name", "email", "phone")
            if getattr(submission, k)
        }
        request = ServiceRequest.objects.create(
            event=event,
            client=client,
            token=secrets.token_hex(16),
            attributes=attributes,
            address_string=submission.address_string[:200],
            address_id=submission.address_id[:64],
            media_url=submission.media_url,
            device_id=submission.device_id[:100],
            account_id=submission.account_id[:100],
            contact_enc=encrypt(json.dumps(contact, ensure_ascii=False), CONTACT_CONTEXT)
            if contact
            else None,
        )
        if category.is_dispute:
            from gridgov.disputes.services import ensure_dispute

            ensure_dispute(event, user=client.user, dispute_type=str(attributes.get("DISPUTE_TYPE", "")))
    return event, request
