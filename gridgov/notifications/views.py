"""The inbox page: the person's notices, what still asks for an action, mark read."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gridgov.accounts.models import User
from gridgov.notifications import selectors, services

PAGE = 100


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    items = selectors.views_of(list(selectors.notices_of(user)[:PAGE]))
    return render(request, "notifications/inbox.html", {"items": items})


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    services.mark_read(user=_user(request), notice_ids=ids or None)
    return redirect("notifications:inbox")
