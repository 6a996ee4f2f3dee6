"""The page's words for what the job gate and the form checks refuse: "Image 2, box 1",
"Number of images", "Palette colour 3" instead of the validator's JSON paths."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy

from studio.pipeline.gate import Problem
from studio.pipeline.problem_text import problem_text
from studio.wan.capabilities import PARAMETERS, Carrier


@dataclass(frozen=True)
class FieldError:
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


# The page's words for "parameters.<name>" (the edit's function is an input; see below).
PARAMETER_LABELS = {p.name: p.label for p in PARAMETERS if Carrier.PARAMETERS in p.carried_by.values()}
_INPUT_LABELS = {
    "input.prompt": gettext_lazy("Prompt"),
    "input.negative_prompt": gettext_lazy("Negative prompt"),
    "input.function": gettext_lazy("Edit function"),
    "input.base_image_url": gettext_lazy("Image 1"),
    "input.mask_image_url": gettext_lazy("Mask"),
}


def label_for(path: str, image_count: int) -> str:
    """A validator path in the words of the page: 'parameters.bbox_list[1][0]' -> 'Image 2, box 1'."""
    if match := re.match(r"parameters\.bbox_list\[(\d+)\](?:\[(\d+)\])?", path):
        image, box = match.groups()
        if box:
            return gettext("Image %(number)s, box %(box)s") % {"number": int(image) + 1, "box": int(box) + 1}
        return gettext("Boxes of image %(number)s") % {"number": int(image) + 1}
    if match := re.match(r"parameters\.color_palette\[(\d+)\]", path):
        return gettext("Palette colour %(number)s") % {"number": int(match[1]) + 1}
    if match := re.match(r"parameters\.(\w+)", path):
        return PARAMETER_LABELS.get(match[1], match[1])
    if path in _INPUT_LABELS:
        return str(_INPUT_LABELS[path])
    if match := re.match(r"input\.images\[(\d+)\]", path):
        return gettext("Image %(number)s") % {"number": int(match[1]) + 1}
    if match := re.match(r"input\.messages\[0\]\.content\[(\d+)\]", path):
        index = int(match[1])
        return gettext("Image %(number)s") % {"number": index + 1} if index < image_count else gettext("Prompt")
    if path.startswith("input"):
        return gettext("Reference images")
    return gettext("Model") if path == "model" else path


def field_errors(problems: list[Problem] | tuple[Problem, ...], image_count: int) -> list[FieldError]:
    """The job gate's problems in the page's words ("Image 2, box 1: ..."), in the user's language."""
    return [FieldError(label_for(p.path, image_count), problem_text(p)) for p in problems]
