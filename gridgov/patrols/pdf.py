"""The sheet of building QR codes of a grid (楼栋二维码), as a PDF to print: one label per
building with its QR code (segno, as SVG), its name and address and the six-character code to
type when the camera cannot read it. Rendered by WeasyPrint from a template."""

from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Level, Node
from gridgov.patrols import codes


def _svg(payload: str) -> str:
    qr = segno.make(payload, error="m", micro=False)
    return str(qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True))


def labels(grid: Node) -> list[dict[str, Any]]:
    return [
        {
            "name": b.name,
            "address": b.address,
            "code": b.code,
            "short": codes.display_short(b.code),
            # segno writes the SVG from the payload alone (digits and letters): nothing to escape.
            "svg": mark_safe(_svg(codes.qr_payload(b.code))),
        }
        for b in Node.objects.filter(path__startswith=grid.path, level=Level.BUILDING).order_by("path")
    ]


def qr_sheet(grid: Node, user: Any) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "patrols/qr_sheet.html",
        {"grid": grid, "labels": labels(grid), "printed_at": timezone.localtime(), "user": user},
    )
    content = HTML(string=html).write_pdf()
    record(Action.EXPORT, grid, message=f"building QR codes of {grid.name} printed")
    return bytes(content or b"")
