"""The protocol's words in the user's language.

studio.wan has no Django, so its problems carry a code and plain parameters next to their
English message (studio.wan.problem_words). Here the same template is looked up through gettext
and filled with the same parameters: in English the result is the validator's message, word for
word; in Chinese it reads "宽度 200 像素，低于最小值 240 像素". The web apps word every problem, image
error and protocol note through these functions and never from `.message` (kept for logs, the CLI
and the emulator).
"""

from __future__ import annotations

from django.utils.translation import gettext

from studio.wan.problem_words import TEMPLATES, Said, render
from studio.wan.validator_report import Problem


def problem_text(problem: Problem) -> str:
    """What a gate problem says after its field label, in the active language."""
    if not problem.code or problem.code not in TEMPLATES:
        return problem.message  # a problem from before codes, or from elsewhere: its English is all there is
    return render(problem.code, problem.params, gettext)


def said_text(said: object) -> str:
    """A protocol message (an image error, a note on a long prompt) in the active language;
    any other text unchanged."""
    if isinstance(said, Said):
        return render(said.code, said.params, gettext)
    if isinstance(said, BaseException) and said.args and isinstance(said.args[0], Said):
        return said_text(said.args[0])
    return str(said)
