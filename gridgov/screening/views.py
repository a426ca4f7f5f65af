"""Leader pages for screening rounds: the rounds with their answer counts and a form to open
one (townships and counties), a round with the grids that have not answered, the grids'
answers of an area and period (the overview's list). Thin."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has
from gridgov.care import selectors as care
from gridgov.core.forms import AreaPeriodForm, add_service_errors
from gridgov.hierarchy.models import Node
from gridgov.screening import selectors, services
from gridgov.screening.models import ReturnState, ScreeningRound


class RoundForm(forms.Form):
    node = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label="排查名称", max_length=100)
    deadline = forms.DateField(label="报送截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label="要求", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("node") or request.POST.get("node") or ""
    node = (
        get_visible_or_404(Node.objects.all(), request.user, None, pk=int(raw))
        if raw.isdigit()
        else care.default_node(request.user)
    )
    form = RoundForm(request.POST or None, initial={"node": node.pk if node else None})
    if request.method == "POST" and node is not None and form.is_valid():
        try:
            round_ = services.open_round(
                user=request.user,
                node=node,
                title=form.cleaned_data["title"],
                deadline=form.cleaned_data["deadline"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "排查已发起，已通知各网格")
            return redirect("screening:detail", screeninground_id=round_.pk)
    summaries = [selectors.summary(request.user, r) for r in selectors.rounds(request.user)[:30]]
    return render(
        request,
        "screening/list.html",
        {
            "node": node,
            "form": form,
            "rounds": summaries,
            "can_open": has(request.user, Cap.HANDLE_EVENT)
            and node is not None
            and node.level in services.OPENING_LEVELS,
        },
    )


@login_required
def round_detail(request: HttpRequest, screeninground_id: int) -> HttpResponse:
    round_ = selectors.get_round(request.user, screeninground_id)
    return render(
        request,
        "screening/detail.html",
        {"summary": selectors.summary(request.user, round_), "rows": selectors.returns(request.user, round_)},
    )


ANSWER_PAGE = 50


@login_required
def answer_list(request: HttpRequest) -> HttpResponse:
    """The grids' answers under an area for a period (the overview's 排查已报送 links here)."""
    form = AreaPeriodForm(request.GET)
    node_id = form.node_id()
    node = (
        get_visible_or_404(Node.objects.all(), request.user, None, pk=node_id)
        if node_id is not None
        else care.default_node(request.user)
    )
    state = form.state(ReturnState.values)
    start, end = form.period()
    page = form.page_number()
    rows: list[Any] = []
    total = 0
    if node is not None:
        found = selectors.answers(request.user, node, start=start, end=end, state=state)
        total = found.count()
        rows = list(found[(page - 1) * ANSWER_PAGE : page * ANSWER_PAGE])
    # A round opened above the viewer's area opens only for those who may see it.
    openable = set(
        ScreeningRound.objects.restrict(request.user)
        .filter(pk__in={r.round_id for r in rows})
        .values_list("pk", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "screening/answers.html",
        {
            "node": node,
            "form": form,
            "rows": rows,
            "openable": openable,
            "total": total,
            "state": state,
            "States": ReturnState,
            "page": page,
            "has_next": page * ANSWER_PAGE < total,
            "query": query.urlencode(),
        },
    )
