"""Desktop pages of the annual assessment: the list of a place's year (compute indicators,
approve the reviewed at once), one assessment with its steps and the forms of the step the
viewer may take; the worker sees their own and may appeal once."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has, scope_of
from gridgov.assessment import selectors, services
from gridgov.assessment.models import Result, Status
from gridgov.core.errors import ConflictError
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.selectors import top_node

PAGE = 300


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def _messages(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for field, lines in errors.items():
            messages.error(request, f"{field}: {'；'.join(lines)}" if field else "；".join(lines))
    elif isinstance(exc, ConflictError):
        messages.error(request, exc.message)


def _int(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


@never_cache
@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not has(user, Cap.MANAGE_STAFF):
        return redirect("workforce:me")
    node = top_node(user)
    if request.GET.get("node"):
        node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.GET["node"])
    year = _int(request.GET.get("year"), timezone.localdate().year)
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    found = selectors.assessments_for(user, node=node, year=year, status=status)
    county = selectors.county_of(node)
    scheme = selectors.scheme_of(county, year) if county else None
    room = services.excellent_room(county.county_code, year, scheme) if county and scheme else None
    return render(
        request,
        "assessment/index.html",
        {
            "node": node,
            "year": year,
            "status": status,
            "statuses": Status.choices,
            "rows": found[:PAGE],
            "count": found.count(),
            "summary": selectors.summary(selectors.assessments_for(user, node=node, year=year)),
            "county": county,
            "scheme": scheme,
            "room": room,
            "is_county": node is not None and node.level == Level.COUNTY,
            "may_set_scheme": county is not None and scope_of(user, Cap.MANAGE_STAFF).covers(county.path),
        },
    )


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    node = get_visible_or_404(
        Node.objects.all(), user, Cap.MANAGE_STAFF, pk=_int(request.POST.get("node"), 0)
    )
    year = request.POST.get("year")
    try:
        count = services.compute_assessments(user=user, node=node, year=year)
        messages.success(request, f"已计算{count}人的考核指标")
    except (ValidationError, ConflictError) as exc:
        _messages(request, exc)
    return redirect(f"/assessment/?node={node.pk}&year={_int(year, 0)}")


@login_required
@require_POST
def approve_all(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    county = get_visible_or_404(
        Node.objects.all(), user, Cap.MANAGE_STAFF, pk=_int(request.POST.get("node"), 0)
    )
    year = _int(request.POST.get("year"), 0)
    try:
        count = services.approve_reviewed(user=user, county=county, year=year)
        messages.success(request, f"已审定{count}人")
    except (ValidationError, ConflictError) as exc:
        _messages(request, exc)
    return redirect(f"/assessment/?node={county.pk}&year={year}")


@never_cache
@login_required
def detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _user(request)
    found = selectors.detail(user, assessment_id)
    return render(
        request,
        "assessment/detail.html",
        {
            "a": found,
            "steps": selectors.steps_of(found),
            "indicators": selectors.indicator_rows(found),
            "results": Result.choices,
            "own": found.worker.user_id == user.pk,
            "as_community": selectors.may_act(user, found, Level.COMMUNITY),
            "as_township": selectors.may_act(user, found, Level.TOWNSHIP),
            "as_county": selectors.may_act(user, found, Level.COUNTY),
        },
    )


def _act(request: HttpRequest, user: User, found: Any, action: str) -> None:
    post, version = request.POST, request.POST.get("version") or None
    if action == "propose":
        services.propose(
            user=user,
            assessment=found,
            result=post.get("result"),
            committee_score=post.get("committee_score"),
            note=post.get("note", ""),
            version=version,
        )
    elif action == "review":
        agree = post.get("agree") == "1"
        services.review(user=user, assessment=found, agree=agree, note=post.get("note", ""), version=version)
    elif action == "approve":
        services.approve(user=user, assessment=found, version=version)
    elif action == "return":
        services.return_to_township(user=user, assessment=found, note=post.get("note", ""), version=version)
    elif action == "appeal":
        services.appeal(user=user, assessment=found, reason=post.get("reason", ""))
    elif action == "decide":
        services.decide_appeal(
            user=user,
            assessment=found,
            result=post.get("result"),
            decision=post.get("decision", ""),
            version=version,
        )
    else:
        raise Http404("unknown action")


@login_required
@require_POST
def act(request: HttpRequest, assessment_id: int, action: str) -> HttpResponse:
    user = _user(request)
    found = selectors.detail(user, assessment_id)
    try:
        _act(request, user, found, action)
        messages.success(request, "已保存")
    except (ValidationError, ConflictError) as exc:
        _messages(request, exc)
    return redirect("assessment:detail", assessment_id=found.pk)
