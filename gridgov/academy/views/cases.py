"""The case library: published cases for everyone below where they are offered; drafts, review
and publishing for officials who manage staff."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.academy import cases, selectors
from gridgov.academy.models import Case, CaseStatus
from gridgov.academy.views import attempt, user_of
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.hierarchy.models import Node


@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        made: list[Case] = []
        raw_node = request.POST.get("node_id") or ""
        node = (
            get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=raw_node)
            if raw_node.isdigit()
            else None
        )

        def draft() -> None:
            made.append(cases.draft_case(user=user, dispute_id=request.POST.get("dispute_id"), node=node))

        answer = attempt(request, draft, "已生成脱敏草稿，请编辑后提交审核", "academy:cases")
        return redirect("academy:case", case_id=made[0].pk) if made else answer
    manage = selectors.may_manage(user)
    status = request.GET.get("status", "")
    found = selectors.cases_for(user)
    if status in CaseStatus.values:
        found = found.filter(status=status)
    return render(
        request,
        "academy/cases.html",
        {
            "cases": found[:200],
            "manage": manage,
            "status": status,
            "statuses": CaseStatus.choices,
            "disputes": cases.settled_disputes(user)[:100] if manage else [],
            "nodes": selectors.managed_nodes(user),
        },
    )


@never_cache
@login_required
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    user = user_of(request)
    found = selectors.case_detail(user, case_id)
    manage = scope_of(user, Cap.MANAGE_STAFF).covers(found.path)
    if request.method == "POST":
        if not manage:
            raise Http404("not found")
        fields = {k: request.POST[k] for k in ("title", "body", "lessons") if k in request.POST}
        return attempt(
            request,
            lambda: cases.edit_case(user=user, case=found, version=request.POST.get("version"), **fields),
            "已保存",
            "academy:case",
            case_id=found.pk,
        )
    return render(
        request,
        "academy/case.html",
        {
            "case": found,
            "manage": manage,
            "second_person": user.pk not in (found.submitted_by_id, found.edited_by_id),
        },
    )


ACTIONS = {
    "submit": (cases.submit_case, "已提交审核"),
    "approve": (cases.approve_case, "已审核发布"),
    "withdraw": (cases.withdraw_case, "已撤回"),
}


@login_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    user = user_of(request)
    found = get_visible_or_404(Case.objects.all(), user, Cap.MANAGE_STAFF, pk=case_id)
    if action == "return":
        return attempt(
            request,
            lambda: cases.return_case(user=user, case=found, note=request.POST.get("note")),
            "已退回",
            "academy:case",
            case_id=found.pk,
        )
    if action not in ACTIONS:
        raise Http404("unknown action")
    act, done = ACTIONS[action]
    return attempt(request, lambda: act(user=user, case=found), done, "academy:case", case_id=found.pk)
