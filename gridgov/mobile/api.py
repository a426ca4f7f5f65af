"""The app's API: `GET /api/v1/sync` (see gridgov.mobile.sync).

The answer holds personal data (masked): never cached, compressed when the phone accepts gzip
(a grid's first sync is a few hundred kilobytes of JSON, a tenth of that compressed).
"""

import gzip
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router

from gridgov.accounts import devices
from gridgov.accounts.models import User
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.mobile import kinds, sync

router = Router(tags=["app"])

_SYNC_DOC = {
    "parameters": [
        {
            "in": "query",
            "name": "since",
            "required": False,
            "schema": {"type": "string"},
            "description": "the cursor of the previous answer; none for a first (snapshot) sync",
        },
        {"in": "query", "name": "limit", "required": False, "schema": {"type": "integer", "maximum": 500}},
    ],
    "responses": {
        "200": {
            "description": "records (upserts by kind and id), removed (tombstones), the next cursor; "
            "`more`: ask again at once; `reset`: drop every synced record first",
        },
        "400": {"description": "a damaged or forged cursor (`errors.since`)"},
        "403": {"description": "`code: wipe`: no grid role any more; the app erases its data"},
    },
}


def _json(request: HttpRequest, body: dict[str, object], status: int = 200) -> HttpResponse:
    raw = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
    response = HttpResponse(content_type="application/json; charset=utf-8", status=status)
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(raw) > 1024:
        raw = gzip.compress(raw, compresslevel=5)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-store"
    response.content = raw
    return response


@router.get("/sync", openapi_extra=_SYNC_DOC)
def sync_changes(request: HttpRequest, since: str | None = None, limit: int = sync.PAGE) -> HttpResponse:
    """What the phone holds of its grids, and what changed since the cursor (see gridgov.mobile.sync)."""
    user = request.user
    assert isinstance(user, User)
    token = getattr(request, "api_token", None)
    if token is not None and token.device_id:
        devices.touch(token.device_id, request.META.get("REMOTE_ADDR"))
    try:
        body = sync.page(user, since, limit=max(1, min(limit, sync.PAGE)))
    except sync.NothingToSync:
        return _json(request, {"detail": "您已没有网格岗位，手机上的数据已清除", "code": "wipe"}, status=403)
    if (body["snapshot"] and not since) or body["reset"]:
        record(
            Action.EXPORT,
            user,
            user=user,
            message=f"app sync snapshot of {', '.join(kinds.grid_roots(user))}"
            + (f" to device #{token.device_id}" if token is not None and token.device_id else ""),
        )
    return _json(request, body)
