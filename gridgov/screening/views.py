"""Leader pages for screening rounds: the rounds with their answer counts and a form to open
one (townships and counties), a round with the grids that have not answered. Thin."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has
from gridgov.care import selectors as care
from gridgov.core.forms import add_service_errors
from gridgov.hierarchy.models import Node
from gridgov.screening import selectors, services


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
