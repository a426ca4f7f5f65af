from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _("该账号连续登录失败次数过多，已被暂时锁定，请稍后再试。"),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "gridgov_locked_out", False):
                raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out") from None
            raise


class AssignForm(forms.Form):
    """Give a role on a node to an existing account, or to a new account created on the spot."""

    role = forms.ChoiceField(label=_("角色"))
    username = forms.CharField(
        label=_("账号"), max_length=150, help_text=_("已有账号直接填写；新账号请勾选下方“新建账号”")
    )
    create = forms.BooleanField(label=_("新建账号"), required=False)
    full_name = forms.CharField(label=_("姓名（新建账号时填写）"), max_length=50, required=False)
    password = forms.CharField(
        label=_("初始密码（新建账号时填写）"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("至少 10 位，不能全是数字，不能与账号或姓名相近"),
    )
    grants_special_groups = forms.BooleanField(label=_("可查看特殊人群标签"), required=False)

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("create"):
            if not data.get("full_name"):
                self.add_error("full_name", _("新建账号需要填写姓名"))
            if not data.get("password"):
                self.add_error("password", _("新建账号需要设置初始密码"))
        return data


class ActiveForm(forms.Form):
    active = forms.BooleanField(required=False)
