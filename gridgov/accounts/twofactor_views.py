"""Login with a second step, and the page where a person manages their second factor."""

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts import twofactor
from gridgov.accounts.forms import LoginForm
from gridgov.accounts.models import User

PENDING = "gridgov_2fa_pending"
# Set after a fresh code check on the management page: the person may enrol a new app.
REPLACING = "gridgov_2fa_replace_until"
LOCKED_MESSAGE = gettext_lazy("该账号连续验证失败次数过多，已被暂时锁定，请稍后再试。")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "size": 12}
        ),
        help_text=gettext_lazy("身份验证器应用显示的 6 位数字；手机不在身边时可输入一个恢复码"),
    )


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class TwoStepLoginView(auth_views.LoginView):
    """The password step. An account that needs a second factor is not logged in yet: the
    session only remembers who passed the password, for LOGIN_SECOND_STEP_SECONDS."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not twofactor.needs_second_factor(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_verify")


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > settings.LOGIN_SECOND_STEP_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    if user is None:
        return None
    return user, pending


def _finish_login(request: HttpRequest, user: User, pending: dict[str, Any], device: Any) -> None:
    user.otp_device = device  # type: ignore[attr-defined]  # django-otp keeps it in the session at login
    auth_login(request, user, backend=pending["backend"])
    request.session.pop(PENDING, None)


@never_cache
@sensitive_post_parameters("code")
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator (or a recovery code); an account without
    an authenticator yet enrols one here, with a QR code, before it gets in."""
    found = _pending_user(request)
    if found is None:
        messages.error(request, _("请重新输入账号和密码"))
        return redirect("accounts:login")
    user, pending = found
    enrolling = twofactor.authenticator(user) is None
    device = twofactor.pending_authenticator(user) if enrolling else None
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if device is not None:
                codes = twofactor.confirm_enrolment(user, device, code, ip=_ip(request))
                if codes is not None:
                    _finish_login(request, user, pending, device)
                    return _show_codes(request, codes, next_url=pending["next"], enrolled=True)
            else:
                verified = twofactor.verify_code(user, code, ip=_ip(request))
                if verified is not None:
                    _finish_login(request, user, pending, verified.device)
                    if verified.kind == "recovery":
                        messages.warning(
                            request,
                            _("已使用一个恢复码，还剩 %(n)d 个。可在“两步验证”页面重新生成。")
                            % {"n": verified.recovery_codes_left or 0},
                        )
                    return redirect(pending["next"])
        except twofactor.Locked:
            request.session.pop(PENDING, None)
            messages.error(request, LOCKED_MESSAGE)
            return redirect("accounts:login")
        form.add_error("code", _("验证码不正确或已使用过，请输入当前显示的验证码"))
    return render(
        request,
        "accounts/login_verify.html",
        {"form": form, "person": user, **_enrolment_context(device)},
        status=400 if form.errors else 200,
    )


def _enrolment_context(device: TOTPDevice | None) -> dict[str, Any]:
    if device is None:
        return {"enrolling": False}
    return {
        "enrolling": True,
        "qr": twofactor.qr_code_data_uri(device),
        "secret": twofactor.secret_for_typing(device),
    }


def _show_codes(request: HttpRequest, codes: list[str], *, next_url: str, enrolled: bool) -> HttpResponse:
    shown = [f"{code[:5]}-{code[5:]}" for code in codes]
    response = render(
        request, "accounts/recovery_codes.html", {"codes": shown, "next": next_url, "enrolled": enrolled}
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@sensitive_post_parameters("code")
def two_factor(request: HttpRequest) -> HttpResponse:
    """Status; new recovery codes, a new authenticator app, or (where the role allows) off —
    each after a fresh code."""
    user: User = request.user  # type: ignore[assignment]
    current = twofactor.authenticator(user)
    replacing = current is None or float(request.session.get(REPLACING, 0)) > time.time()
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST" and action not in {"confirm", "regenerate", "replace", "remove"}:
        form.add_error(None, _("未知的操作"))
    elif request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if action == "confirm" and replacing:
                codes = twofactor.confirm_enrolment(
                    user, twofactor.pending_authenticator(user), code, ip=_ip(request)
                )
                if codes is not None:
                    request.session.pop(REPLACING, None)
                    return _show_codes(request, codes, next_url="/accounts/2fa/", enrolled=True)
            elif action in {"regenerate", "replace", "remove"} and current is not None:
                if twofactor.verify_code(user, code, ip=_ip(request)) is not None:
                    if action == "regenerate":
                        codes = twofactor.regenerate_recovery_codes(user)
                        return _show_codes(request, codes, next_url="/accounts/2fa/", enrolled=False)
                    if action == "replace":
                        request.session[REPLACING] = time.time() + settings.LOGIN_SECOND_STEP_SECONDS
                        return redirect("accounts:two_factor")
                    try:
                        twofactor.remove_second_factor(user)
                    except ValueError as exc:
                        messages.error(request, str(exc))
                    else:
                        messages.success(request, _("已关闭两步验证"))
                    return redirect("accounts:two_factor")
            else:
                form.add_error(None, _("当前状态下不能执行此操作"))
        except twofactor.Locked:
            messages.error(request, LOCKED_MESSAGE)
            return redirect("accounts:two_factor")
        if not form.errors:
            form.add_error("code", _("验证码不正确或已使用过"))
    device = twofactor.pending_authenticator(user) if replacing else None
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "current": current,
            "required": twofactor.is_privileged(user),
            "codes_left": twofactor.recovery_codes_left(user),
            **_enrolment_context(device),
        },
        status=400 if form.errors else 200,
    )
