"""Helpers shared by the server-rendered forms of every app."""

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
