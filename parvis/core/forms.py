from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from parvis.core.audit import client_ip, login_is_throttled


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed attempts. Wait a few minutes and try again."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        # Checked before the password, so a throttled attacker learns nothing.
        if login_is_throttled(username, client_ip(self.request)):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
