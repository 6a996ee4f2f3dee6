"""The gallery's filters, read from the URL's query string so a view can be shared as a link.

author, model, state, starred, board, from, to, q (text in prompts), newest (only the newest
version of each chain) and cursor (where the next page starts). A value that is not allowed is refused with a message naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django import forms
from django.utils.translation import gettext as _, gettext_lazy

from studio.gallery.models import Board, ReviewState
from studio.numbers import parse_whole
from studio.wan.capabilities import MODELS

_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
# A cursor further out than this names no time a datetime can hold.
_LATEST_MICROS = (datetime.max.replace(tzinfo=dt_timezone.utc) - _EPOCH) // timedelta(microseconds=1)
# Text search runs over prompts, which are at most this long.
SEARCH_MAX_CHARS = max(caps.prompt_max_chars for caps in MODELS.values())


@dataclass(frozen=True)
class Cursor:
    """Where a page of the grid starts: strictly after this (created_at, id), newest first."""

    at: datetime
    id: int

    def encode(self) -> str:
        # Whole microseconds since the epoch: exact, unlike a float timestamp.
        return f"{(self.at - _EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        micros, _, pk = text.partition("-")
        at, row = parse_whole(micros, most=_LATEST_MICROS), parse_whole(pk)
        if at is None or row is None:
            return None
        return cls(at=_EPOCH + timedelta(microseconds=at), id=row)


@dataclass(frozen=True)
class Filters:
    author: str = ""
    model: str = ""
    state: str = ""
    starred: bool = False
    board: Board | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    newest: bool = False
    cursor: Cursor | None = None

    @property
    def active(self) -> bool:
        return any(
            (self.author, self.model, self.state, self.starred, self.board, self.date_from, self.date_to, self.q, self.newest)
        )


class FilterForm(forms.Form):
    """Choices come from the team (members, boards): one query each, done once."""

    author = forms.ChoiceField(required=False, label=gettext_lazy("Author"))
    model = forms.ChoiceField(required=False, label=gettext_lazy("Model"))
    state = forms.ChoiceField(required=False, label=gettext_lazy("Review state"))
    starred = forms.BooleanField(required=False, label=gettext_lazy("Starred by me"))
    newest = forms.BooleanField(required=False, label=gettext_lazy("Newest version only"))
    board = forms.ChoiceField(required=False, label=gettext_lazy("Board"))
    q = forms.CharField(required=False, max_length=SEARCH_MAX_CHARS, label=gettext_lazy("Prompt contains"), strip=True)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, label=gettext_lazy("Page position"))

    def __init__(self, data, *, team) -> None:
        super().__init__(data)
        authors = list(team.members.order_by("username").values_list("username", flat=True))
        self.boards = list(Board.objects.filter(team=team))
        self.fields["author"].choices = [("", _("Anyone"))] + [(name, name) for name in authors]
        self.fields["model"].choices = [("", _("Any model"))] + [(caps.name, caps.label) for caps in MODELS.values()]
        self.fields["state"].choices = [("", _("Any state"))] + list(ReviewState.choices)
        self.fields["board"].choices = [("", _("Any board"))] + [(str(b.pk), b.name) for b in self.boards]
        # "from" and "to" are the names in the URL; Python keywords, so they are added here.
        self.fields["from"] = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
        self.order_fields(["q", "author", "model", "state", "board", "from", "to", "starred", "newest"])

    def clean_cursor(self) -> Cursor | None:
        text = self.cleaned_data.get("cursor") or ""
        if not text:
            return None
        cursor = Cursor.decode(text)
        if cursor is None:
            raise forms.ValidationError(_("Not a page position this gallery made; reload the gallery."))
        return cursor

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and end < start:
            self.add_error("to", _("Must be on or after the “From” date."))
        return cleaned

    def filters(self) -> Filters:
        """The parsed filters; only call after is_valid()."""
        data = self.cleaned_data
        board_id = data.get("board")
        return Filters(
            author=data.get("author") or "",
            model=data.get("model") or "",
            state=data.get("state") or "",
            starred=bool(data.get("starred")),
            board=next((b for b in self.boards if str(b.pk) == board_id), None),
            date_from=data.get("from"),
            date_to=data.get("to"),
            q=data.get("q") or "",
            newest=bool(data.get("newest")),
            cursor=data.get("cursor"),
        )

    def problems(self) -> list[str]:
        """Every error as "Field: message", so the page says which filter to fix."""
        return [
            f"{self.fields[name].label if name in self.fields else name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]

