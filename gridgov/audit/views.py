"""The audit log for auditors: read-only, scoped to their subtree. Nothing here writes."""

import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.audit import selectors
from gridgov.audit.forms import AuditFilterForm
from gridgov.core.labels import field_label, value_label


@login_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    selectors.require_auditor(request.user)
    form = AuditFilterForm(request.GET or None)
    entries = selectors.filter_entries(selectors.entries_for(request.user), form.to_filter())
    raw_before = request.GET.get("before", "")
    before = int(raw_before) if raw_before.isdigit() else None
    rows, next_before = selectors.page_of(entries, before)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "rows": rows,
            "next_before": next_before,
            "before": before,
            "query": query.urlencode(),
        },
    )


@login_required
def entry_detail(request: HttpRequest, auditentry_id: int) -> HttpResponse:
    # An object URL: 404 (not 403) for anyone outside the row's subtree, auditor or not,
    # whatever the method; nothing here ever writes.
    entry = selectors.get_entry_or_404(request.user, auditentry_id)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    changes = []
    for field, value in sorted((entry.changes or {}).items()):
        label = field_label(entry.object_type, field)
        shown = functools.partial(value_label, entry.object_type, field)
        if isinstance(value, list) and len(value) == 2:
            changes.append(
                {"label": label, "before": shown(value[0]), "after": shown(value[1]), "pair": True}
            )
        else:
            changes.append({"label": label, "value": shown(value), "pair": False})
    return render(request, "audit/detail.html", {"entry": entry, "changes": changes})
