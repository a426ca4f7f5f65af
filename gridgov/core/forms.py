"""Helpers shared by the server-rendered forms of every app."""

from collections.abc import Iterable
from datetime import date

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has a
    visible field of that name, otherwise at the top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        messages = [message for error in errors for message in error.messages]
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        form.add_error(target, messages)


class AreaPeriodForm(forms.Form):
    """The filters of a list the overview links to: an area (a node id), a date range (`from`,
    `to`, local dates, inclusive) and a page. Bad values are named on their field."""

    node = forms.IntegerField(required=False, min_value=1, error_messages={"invalid": "区域编号无效"})
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `from` is a keyword: these two are added by name.
        for name, label in (("from", "开始日期"), ("to", "结束日期")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                error_messages={"invalid": "日期格式应为 YYYY-MM-DD"},
                widget=forms.DateInput(attrs={"type": "date"}),
            )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last and last < first:
            self.add_error("to", "结束日期不能早于开始日期")
        return data

    def value(self, name: str) -> object:
        """A field's clean value, or None when it is missing or bad (the list then ignores it)."""
        if not self.is_valid() and name in self.errors:
            return None
        return self.cleaned_data.get(name)

    def node_id(self) -> int | None:
        node = self.value("node")
        return node if isinstance(node, int) else None

    def period(self) -> tuple[date | None, date | None]:
        """(from, to): each a date, or None when missing or bad."""
        start, end = self.value("from"), self.value("to")
        return (start if isinstance(start, date) else None, end if isinstance(end, date) else None)

    def page_number(self) -> int:
        page = self.value("page")
        return page if isinstance(page, int) else 1

    def state(self, states: Iterable[str]) -> str:
        """The `state` filter if it is one of `states`, else "" (all)."""
        state = str(self.data.get("state", ""))
        return state if state in states else ""
