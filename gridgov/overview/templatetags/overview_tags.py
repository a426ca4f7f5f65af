from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """A figure as shown: thousands separated, one decimal for rates, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
