"""Editor requests refused before they change the draft, answered in the editor's error place.

Two kinds: a field the studio would not read (a pasted 3 MB prompt, a file name of a thousand
characters; found by the request-limit middleware) and a choice the page never offered (a model
or a size). Nothing of the draft is lost: the refused value is simply not stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from studio.editor import compose
from studio.editor.models import Draft
from studio.front.request_limits import FormRefusal, shows_form_refusals
from studio.wan.capabilities import MODELS, PARAMETERS, Mode, ModelCapabilities

# The page's words for its form fields: the editor's own, and each parameter's draft field.
FORM_LABELS = {
    "prompt": gettext_lazy("Prompt"),
    "references": gettext_lazy("Reference images"),
    "model": gettext_lazy("Model"),
    **{p.field: p.label for p in PARAMETERS if p.field},
}


class ChoiceRefused(Exception):
    """A model or a size that the editor does not offer; every other field was saved."""

    def __init__(self, errors: list[compose.FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def choice_errors(model: str | None, size: str | None) -> dict[str, compose.FieldError]:
    """What is wrong with a posted model and size. A size some model offers is known: after a
    model switch the page may still post the old model's size, which then falls back to the new
    model's default. A size no model offers was never on the page. Keyed by form field."""
    errors = {}
    chosen = MODELS.get(model) if model is not None else None
    if model is not None and chosen is None:
        names = ", ".join(MODELS)
        errors["model"] = compose.FieldError(
            gettext("Model"), gettext("“%(model)s” is not one of the studio's models (%(names)s)") % {"model": model[:60], "names": names}
        )
    if size is not None and size.strip() not in _KNOWN_SIZES:
        if chosen:
            message = gettext("“%(size)s” is not a size %(model)s offers; choose a listed size or Custom")
        else:
            message = gettext("“%(size)s” is not a size the editor offers; choose a listed size or Custom")
        errors["size_preset"] = compose.FieldError(gettext("Size"), message % {"size": size[:60], "model": chosen.label if chosen else ""})
    return errors


_KNOWN_SIZES = frozenset(
    {""} | {choice for caps in MODELS.values() for mode in Mode for choice in compose.size_choices(caps, mode)}
)


def refusal_errors(refusals: list[FormRefusal], caps: ModelCapabilities) -> list[compose.FieldError]:
    errors = []
    for refusal in refusals:
        limit = refusal.limit
        most = {"prompt": caps.prompt_max_chars, "negative_prompt": caps.negative_prompt_max_chars}.get(refusal.field)
        if most and refusal.sent_bytes:
            limit = gettext("%(sent)s was sent; %(model)s takes at most %(most)s characters") % {
                "sent": refusal.sent,
                "model": caps.label,
                "most": f"{most:,}",
            }
        errors.append(compose.FieldError(str(FORM_LABELS.get(refusal.field, refusal.field[:60])), limit))
    return errors


def answered_in_editor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refusals of `view` land where Generate shows its problems, whichever part asked."""

    @shows_form_refusals
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.form_refusals:
            caps = compose.model_of(Draft.current_for(request.user))
            return _answer(request, refusal_errors(request.form_refusals, caps))
        try:
            return view(request, *args, **kwargs)
        except ChoiceRefused as refused:
            return _answer(request, refused.errors)

    return wrapper


def _answer(request: HttpRequest, errors: list[compose.FieldError]) -> HttpResponse:
    if not request.htmx:
        for error in errors:
            messages.error(request, str(error))
        return redirect("editor:editor")
    response = render(request, "editor/_generate_result.html", {"errors": errors, "not_saved": True}, status=422)
    response["HX-Retarget"] = "#generate-result"
    response["HX-Reswap"] = "innerHTML"
    return response
