"""The one gate every generation request passes before it can cost money.

`job_create` checks its request here, and so does `manage.py wan generate`; a JSON API will too.
So every caller gets the same answer: RequestRefused with the validator's problems, each with
the JSON path of the offending value, for the caller to word as its page or terminal does.

The web apps reach the protocol's request types through this module (arrows point down only):
a request, its images and palette, the references that carry a job's images, boxes and mask,
a preview body with images named instead of encoded, and how a prompt that may pass a token
limit is worded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from studio.pipeline import provider
from studio.wan.request import GenerationRequest, ImageInput, PaletteColor, build_body, sent_images
from studio.wan.validator import Problem, validate_request
from studio.wan.validator_text import prompt_may_be_cut

__all__ = [
    "GenerationRequest",
    "ImageInput",
    "PaletteColor",
    "Problem",
    "prompt_may_be_cut",
    "ReferenceImage",
    "RequestRefused",
    "request_check",
    "request_preview",
    "request_with_references",
    "sent_images",
]

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ReferenceImage:
    """A reference as the editor stored it: upright pixels, in prompt order, with its boxes.

    The one carrier of a job's input images: a request's images, boxes and mask are taken from
    its references (request_with_references), never typed in twice."""

    content: bytes
    mime: str
    width: int
    height: int
    boxes: tuple[Box, ...] = ()
    # wanx2.1 mask editing: a PNG of the same size, white where the image is edited.
    mask: bytes | None = None
    # The gallery image (OutputImage id) it was taken from, recorded on the job's reference.
    source_image_id: int | None = None

    def as_image(self) -> ImageInput:
        return ImageInput(data=self.content, mime=self.mime, width=self.width, height=self.height)


class RequestRefused(ValueError):
    """The request breaks documented rules; nothing was saved or sent. Carries every problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def request_with_references(request: GenerationRequest, references: Sequence[ReferenceImage]) -> GenerationRequest:
    """The request with the references' images, boxes and mask (the mask rides on image 1)."""
    boxes = tuple(ref.boxes for ref in references)
    first = references[0] if references else None
    mask = None
    if first is not None and first.mask is not None:
        mask = ImageInput(data=first.mask, mime="image/png", width=first.width, height=first.height)
    return replace(
        request,
        images=tuple(ref.as_image() for ref in references),
        boxes=boxes if any(boxes) else (),
        mask=mask,
    )


def request_check(request: GenerationRequest, *, region: str | None = None) -> list[str]:
    """The notes on a request the rules accept; RequestRefused with its problems otherwise.

    The region is the configured provider's (none for the emulator, which serves every model)."""
    report = validate_request(request, region=region if region is not None else provider.serving_region())
    if not report.ok:
        raise RequestRefused(report.problems)
    return report.notes


def request_preview(request: GenerationRequest) -> dict[str, object]:
    """The body as it would be sent; the request's images are placeholders that name them."""
    return build_body(request)


def image_placeholder(name: str) -> ImageInput:
    """An image named instead of sent, for request_preview."""
    return ImageInput(placeholder=name)
