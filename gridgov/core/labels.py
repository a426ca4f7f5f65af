"""Codes as a person reads them: channels, model labels and field names shown in the UI.

Codes stay in the database and the API (`channel`, `object_type`); pages and the API's `*_label`
fields show these words instead.
"""

import re
from typing import Any

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


_CJK = re.compile(r"[\u4e00-\u9fff]")
# Keys of audit changes that are not a model's field (what a service wrote beside the fields).
CHANGE_KEYS = {
    "version": "版本号",
    "status": "状态",
    "state": "状态",
    "reason": "理由",
    "note": "说明",
    "node": "范围编号",
    "node_name": "范围",
    "expires_at": "到期时间",
    "requester": "申请人",
    "closed": "提前结束",
    "grants": "越权查询授权",
    "query": "检索词",
    "kinds": "检索方式",
    "results": "结果数",
    "submitted_fields": "提交的字段",
    "fields": "字段",
    "field": "字段",
    "count": "数量",
    "rows": "行数",
    "file": "文件",
    "risk": "风险等级",
    "risk_level": "风险等级",
    "action": "操作",
    "from_state": "原状态",
    "to_state": "新状态",
    "organisation": "单位",
    "role": "角色",
    "user": "用户",
}
# Keys whose value lists field names.
FIELD_LISTS = {"fields", "submitted_fields", "changed", "changed_fields"}
# Who acted when no person did ("system:<what>" in the audit row).
SYSTEM_ACTORS = {
    "seed": "系统（演示数据）",
    "test-seed": "系统（测试数据）",
    "worker": "系统（后台任务）",
    "command": "系统（命令行）",
}


def field_label(object_type: str, field: str) -> str:
    """A changed field by its verbose name when the model has it, else by the word for that key,
    else as written."""
    try:
        model = apps.get_model(object_type)
        label = str(model._meta.get_field(field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return CHANGE_KEYS.get(field, field)
    # A field nobody named (Django's default is the field's own name): the word for that key.
    return label if _CJK.search(label) else CHANGE_KEYS.get(field, label)


def value_label(object_type: str, field: str, value: Any) -> Any:
    """A changed value as a person reads it: yes/no, a choice by its label, lists joined."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "channel" and isinstance(value, str):
        return channel_label(value)
    if isinstance(value, list):
        if field in FIELD_LISTS:  # the names of fields: each by its label
            return "、".join(field_label(object_type, str(v)) for v in value)
        return "、".join(str(value_label(object_type, field, v)) for v in value)
    if isinstance(value, str):
        try:
            choices = dict(apps.get_model(object_type)._meta.get_field(field).flatchoices)
        except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
            choices = {}
        if value in choices:
            return str(choices[value])
    return value


# Kinds of personal data (what an anonymiser replaced, what a text still holds).
PERSONAL_DATA = {"name": "姓名", "phone": "电话", "id_number": "身份证号", "address": "门牌地址"}


def personal_data_label(kind: str) -> str:
    return PERSONAL_DATA.get(kind, "其他")


def actor_label(name: str) -> str:
    """The actor column: a person's account as is, "system:seed" and the like in words."""
    if name and name.startswith("system:"):
        return SYSTEM_ACTORS.get(name.removeprefix("system:"), "系统")
    return name


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
