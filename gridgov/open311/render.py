"""GeoReport v2 output: the same data as JSON or XML, and errors as [{code, description}]."""

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element name of one item in each XML list (GeoReport v2 naming).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        item = ITEM_NAMES.get(tag, "item")
        for child in value:
            element.append(_element(item, child))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value: Any) -> str:
    body = ET.tostring(_element(root, value), encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def respond(value: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`value` is what the JSON holds; in XML it goes under `root` (lists as repeated items)."""
    content = to_xml(root, value) if fmt == "xml" else json.dumps(value, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))


def error(status: int, description: str, fmt: str) -> HttpResponse:
    return respond([{"code": status, "description": description}], fmt, root="errors", status=status)
