"""Learning-and-exchange sessions: the list and the form to offer one, a session's page with its
sign-ups, and the QR code to show at the session (renewed by htmx while the page is open)."""

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.academy import selectors, sessions
from gridgov.academy.models import Signup, StudySession
from gridgov.academy.views import attempt, user_of
from gridgov.academy.views.courses import _node
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of


@never_cache
@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        fields = {
            k: request.POST.get(k, "")
            for k in ("title", "summary", "lecturer_id", "place", "starts_at", "ends_at", "capacity", "hours")
        }
        made: list[StudySession] = []

        def create() -> None:
            made.append(sessions.create_session(user=user, node=_node(request), **fields))

        answer = attempt(request, create, "交流会已发布", "academy:sessions")
        return redirect("academy:session", studysession_id=made[0].pk) if made else answer
    return render(
        request,
        "academy/sessions.html",
        {
            "sessions": selectors.sessions_for(user)[:200],
            "signups": selectors.own_signups(user),
            "may_manage": selectors.may_manage(user),
            "nodes": selectors.managed_nodes(user),
            "lecturers": selectors.lecturers_for(user)[:200],
            "now": timezone.now(),
        },
    )


@never_cache
@login_required
def session(request: HttpRequest, studysession_id: int) -> HttpResponse:
    user = user_of(request)
    found = selectors.session_detail(user, studysession_id)
    manage = scope_of(user, Cap.MANAGE_STAFF).covers(found.path)
    opens, closes = selectors.window_of(found)
    return render(
        request,
        "academy/session.html",
        {
            "session": found,
            "manage": manage,
            "signups": selectors.signups_of(user, found)[:5000] if manage else [],
            "mine": selectors.own_signups(user).get(found.pk),
            "opens": opens,
            "closes": closes,
            "window_open": opens <= timezone.now() <= closes,
        },
    )


@never_cache
@login_required
def session_qr(request: HttpRequest, studysession_id: int) -> HttpResponse:
    """The check-in code to show on the screen at the session: organisers only, in its window."""
    user = user_of(request)
    found = get_visible_or_404(StudySession.objects.all(), user, Cap.MANAGE_STAFF, pk=studysession_id)
    opens, closes = selectors.window_of(found)
    now = timezone.now()
    context = {
        "session": found,
        "open": opens <= now <= closes and not found.cancelled,
        "opens": opens,
        "closes": closes,
    }
    if context["open"]:
        token = sessions.checkin_token(found)
        qr = segno.make(token, error="m", micro=False)
        # segno writes the SVG from the token (base64 and ':'): nothing to escape.
        context["svg"] = mark_safe(qr.svg_inline(scale=6, border=2, dark="#000", light="#fff", omitsize=True))
        context["ttl_seconds"] = int(sessions.CHECKIN_TOKEN_TTL.total_seconds())
    template = "academy/_qr.html" if request.headers.get("HX-Request") else "academy/qr.html"
    return render(request, template, context)


@login_required
@require_POST
def session_action(request: HttpRequest, studysession_id: int, action: str) -> HttpResponse:
    user = user_of(request)
    found = selectors.session_detail(user, studysession_id)
    if action == "signup":
        return attempt(
            request,
            lambda: sessions.sign_up(user=user, session=found),
            "报名成功",
            "academy:session",
            studysession_id=found.pk,
        )
    if action == "withdraw":
        return attempt(
            request,
            lambda: sessions.cancel_signup(user=user, session=found),
            "已取消报名",
            "academy:session",
            studysession_id=found.pk,
        )
    if action == "cancel":
        if not scope_of(user, Cap.MANAGE_STAFF).covers(found.path):
            raise Http404("not found")
        return attempt(
            request,
            lambda: sessions.cancel_session(user=user, session=found, version=request.POST.get("version")),
            "交流会已取消",
            "academy:session",
            studysession_id=found.pk,
        )
    raise Http404("unknown action")


@login_required
@require_POST
def signup_attend(request: HttpRequest, signup_id: int) -> HttpResponse:
    """The organiser marks someone present whose phone could not scan."""
    user = user_of(request)
    found = get_visible_or_404(Signup.objects.all(), user, Cap.MANAGE_STAFF, pk=signup_id)
    return attempt(
        request,
        lambda: sessions.mark_attended(user=user, signup=found),
        "已登记出席",
        "academy:session",
        studysession_id=found.session_id,
    )
