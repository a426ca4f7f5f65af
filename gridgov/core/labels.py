"""Codes as a person reads them: channels, model labels and field names shown in the UI.

Codes stay in the database and the API (`channel`, `object_type`); pages and the API's `*_label`
fields show these words instead.
"""

import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

CHANNELS = {
    "page": "网页",
    "web": "网页",
    "app": "手机应用",
    "api": "接口",
    "admin": "后台管理",
    "command": "命令行",
    "system": "系统",
    "worker": "后台任务",
    "open311": "市民诉求接口",
    "visit": "入户走访",
}


def channel_label(code: str) -> str:
    return CHANNELS.get(code or "", "其他" if code else "—")


def model_label(object_type: str) -> str:
    """ "registry.resident" → 居民; "view:…" (a refused request with no object) → 请求."""
    if not object_type:
        return ""
    if object_type.startswith("view:"):
        return "请求"
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return "其他"


def field_label(object_type: str, field: str) -> str:
    """A changed field by its verbose name when the model has it, else as written."""
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return field


_CJK = re.compile(r"[\u4e00-\u9fff]")
_MISSING_CAP = re.compile(r"^no permission: (\w+)$")


def reason_of(exception: Exception | None) -> str:
    """What a refusal says, as a person reads it: a capability by its name, Chinese text as is,
    anything else (an internal code) not at all."""
    from gridgov.accounts.roles import Cap

    text = str(exception or "").strip().strip("'\"")
    match = _MISSING_CAP.match(text)
    if match is not None and match.group(1) in Cap.values:
        return f"您没有“{Cap(match.group(1)).label}”的权限。"
    return text if _CJK.search(text) else ""
