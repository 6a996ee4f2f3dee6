"""What the dashboard and the CSV export are asked about: a period, and optionally a team, model or user.

Periods are whole days in the studio's time zone (settings.TIME_ZONE): today, this month, last
month, or a custom range of dates, both ends included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _, gettext_lazy, pgettext

from studio.numbers import parse_whole
from studio.pipeline.budgets import month_of
from studio.wan.capabilities import MODELS

PERIODS = {
    "today": gettext_lazy("Today"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "custom": gettext_lazy("Custom range"),
}
# What the page calls each field a BadFilter names (the query string keeps the short names).
FIELD_LABELS = {
    "period": gettext_lazy("Period"),
    "from": gettext_lazy("From"),
    "to": gettext_lazy("To"),
    "team": gettext_lazy("Team"),
    "model": gettext_lazy("Model"),
    "user": gettext_lazy("User"),
}
DEFAULT_PERIOD = "this_month"
# One bar per day in the chart; a longer range would be unreadable and slow.
MAX_CUSTOM_DAYS = 366


class BadFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


@dataclass(frozen=True)
class Filters:
    period: str
    first_day: date
    last_day: date
    team_id: int | None = None
    model: str | None = None
    user_id: int | None = None

    @classmethod
    def for_period(
        cls, *, start: date, end: date, team_id: int | None = None, model: str | None = None, user_id: int | None = None
    ) -> Filters:
        """Filters for plain Python (a command, a script): the days from `start` to `end`, both included."""
        return cls("custom", start, end, team_id, model, user_id)

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive)."""
        return _midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]

    @property
    def label(self) -> str:
        # A date format per language, as Django's own (English "1 June 2026", Chinese "2026年6月1日").
        day_format = pgettext("billing period day, a Django date format", "j F Y")
        if self.first_day == self.last_day:
            return formats.date_format(self.first_day, day_format)
        return f"{formats.date_format(self.first_day, day_format)} – {formats.date_format(self.last_day, day_format)}"

    def query(self) -> dict[str, str]:
        """The same filters as query parameters (for the CSV link and the form)."""
        params = {"period": self.period}
        if self.period == "custom":
            params.update({"from": self.first_day.isoformat(), "to": self.last_day.isoformat()})
        for name, value in (("team", self.team_id), ("model", self.model), ("user", self.user_id)):
            if value is not None:
                params[name] = str(value)
        return params


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def parse_filters(query: QueryDict, *, now: datetime | None = None) -> Filters:
    """Filters from a query string; BadFilter names the field and what is wrong with it."""
    today = timezone.localdate(now or timezone.now())
    period = query.get("period") or ("custom" if query.get("from") or query.get("to") else DEFAULT_PERIOD)
    if period not in PERIODS:
        raise BadFilter("period", _("“%(value)s” is not one of %(choices)s") % {"value": period, "choices": ", ".join(PERIODS)})
    if period == "today":
        first = last = today
    elif period == "this_month":
        first, last = _month_days(now)
    elif period == "last_month":
        start, _end = month_of(now)
        first, last = _month_days(start - timedelta(days=1))
    else:
        first, last = _date(query, "from"), _date(query, "to")
        if first > last:
            raise BadFilter("to", _("must be on or after from (%(day)s)") % {"day": first.isoformat()})
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise BadFilter("to", _("a range may cover at most %(most)s days") % {"most": MAX_CUSTOM_DAYS})
    model = query.get("model") or None
    if model is not None and model not in MODELS:
        raise BadFilter("model", _("“%(value)s” is not a model the studio knows") % {"value": model})
    return Filters(period, first, last, _id(query, "team"), model, _id(query, "user"))


def _month_days(moment: datetime | None) -> tuple[date, date]:
    start, nxt = month_of(moment)
    return start.date(), (nxt - timedelta(days=1)).date()


def _date(query: QueryDict, name: str) -> date:
    text = (query.get(name) or "").strip()
    if not text:
        raise BadFilter(name, _("is required for a custom range (YYYY-MM-DD)"))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(name, _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": text}) from None


def _id(query: QueryDict, name: str) -> int | None:
    text = (query.get(name) or "").strip()
    if not text:
        return None
    value = parse_whole(text)
    if value is None:
        raise BadFilter(name, _("“%(value)s” is not an id") % {"value": text[:40]})
    return value
