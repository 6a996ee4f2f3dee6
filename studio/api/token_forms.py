"""The form that makes a personal API token: a name, one of the person's teams, an expiry."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.accounts.teams import visible_teams

# The expiry choices the page offers; "date" takes the date field instead.
EXPIRY_DAYS = (7, 30, 90)
NEVER = "never"
ON_DATE = "date"


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “catalogue script”."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, empty_label=None)
    expires = forms.ChoiceField(label=_("Expires"))
    expires_on = forms.DateField(
        label=_("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only with “On a date”: the token stops working at the end of this day."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = visible_teams(user)
        self.fields["expires"].choices = (
            [(NEVER, _("Never"))] + [(str(d), _("In %(days)s days") % {"days": d}) for d in EXPIRY_DAYS] + [(ON_DATE, _("On a date"))]
        )
        self.fields["expires"].initial = "90"
        for name, field in self.fields.items():
            # templates/api/_field.html gives the help and the errors these ids.
            described = [f"id_{name}-help"] if field.help_text else []
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}-errors")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("expires") == ON_DATE:
            day = cleaned.get("expires_on")
            if day is None:
                if "expires_on" not in self.errors:
                    self.add_error("expires_on", _("Choose the date the token expires."))
            elif day <= timezone.localdate():
                self.add_error("expires_on", _("Must be after today."))
        return cleaned

    def expires_at(self) -> datetime | None:
        """When the token stops working; only after is_valid()."""
        choice = self.cleaned_data["expires"]
        if choice == NEVER:
            return None
        if choice == ON_DATE:
            end_of_day = datetime.combine(self.cleaned_data["expires_on"] + timedelta(days=1), time.min)
            return timezone.make_aware(end_of_day)
        return timezone.now() + timedelta(days=int(choice))
