"""How the API words a refusal (400): every bad field named, in the UI's language."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja.errors import ValidationError as SchemaError
from ninja.parser import Parser

from gridgov.core import inputs


def validation_payload(exc: ValidationError) -> dict[str, Any]:
    """{"detail": "...", "errors": {"field": ["message", …]}} naming every bad field."""
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(m) for m in ValidationError(msgs).messages] for field, msgs in exc.error_dict.items()
        }
        first_field, first_messages = next(iter(errors.items()))
        return {"detail": f"{first_field}: {first_messages[0]}", "errors": errors}
    return {"detail": "; ".join(exc.messages), "errors": {"__all__": exc.messages}}


# pydantic's error types, as a person reads them.
_MESSAGES = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字（不接受 inf、nan）",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "uuid_parsing": "应为 UUID",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
}


def _message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "greater_than":
        return f"应大于 {ctx.get('gt')}"
    if kind == "less_than":
        return f"应小于 {ctx.get('lt')}"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length')} 个字符"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    return _MESSAGES.get(kind, str(error.get("msg", "无效")))


def _field(loc: list[Any]) -> str:
    """("query", "limit") → limit; ("body", "body", "address") → address; ("body", "x", 0) → x.0."""
    parts = list(loc[1:]) if loc else []
    if loc and loc[0] in {"body", "form", "file"} and len(parts) > 1:
        parts = parts[1:]  # the view's parameter name
    return ".".join(str(p) for p in parts) or (str(loc[0]) if loc else "body")


def schema_payload(exc: SchemaError) -> dict[str, Any]:
    """A request that does not fit the operation's schema, worded like a ValidationError."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field(list(error.get("loc", []))), []).append(_message(error))
    if not errors:
        errors["body"] = ["无效的请求"]
    first_field, first_messages = next(iter(errors.items()))
    return {"detail": f"{first_field}: {first_messages[0]}", "errors": errors}


class JSONParser(Parser):
    """Bodies parsed by `core.inputs.request_json` (depth, non-finite and 64-bit bounds; parsed once
    per request); why a body was refused is kept on the request for the 400 (django-ninja words it
    generically)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return inputs.request_json(request)
        except inputs.JSONRefused as exc:
            request.body_refusal = str(exc)  # type: ignore[attr-defined]
            raise


def body_payload(request: HttpRequest) -> dict[str, Any]:
    message = getattr(request, "body_refusal", "") or "不是有效的 JSON"
    return {"detail": f"body: {message}", "errors": {"body": [message]}}


OUT_OF_RANGE = "数值超出范围"
