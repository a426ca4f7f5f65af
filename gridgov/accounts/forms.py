from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _("该账号连续登录失败次数过多，已被暂时锁定，请稍后再试。"),
    }

    def clean(self) -> dict:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "gridgov_locked_out", False):
                raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out") from None
            raise
