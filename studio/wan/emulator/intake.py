"""From a request body to what the emulator will draw: checks, image downloads, output size.

The rules of the reference are checked by the studio's validator (studio.wan.validator) in
lenient mode: an over-long prompt is cut to the model's limit, as the service does, instead of
being refused. What only a server can check is done here: http(s) input images are downloaded
(http/https only, with a timeout and the model's byte limit) and held to the same image limits,
and their bounding boxes to their real size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from studio.wan.capabilities import ModelCapabilities, get_model, output_size
from studio.wan.emulator.faults import ErrorAnswer, Fault, active_faults, result_count
from studio.wan.emulator.render import RenderSpec, derive_seed, layout_inputs
from studio.wan.images import ImageDecodeError, image_problems, inspect_image, size_problem
from studio.wan.request import GenerationRequest, ImageInput, is_http_url, parse_body
from studio.wan.validator import validate_body

if TYPE_CHECKING:
    from studio.wan.emulator.state import EmulatorConfig

_CONTENT = "input.messages[0].content"
# Input tokens are reported, not billed (reference: 002, usage); one per character of the prompt
# and one per patch of this many pixels of each input image is a plausible figure.
_PIXELS_PER_TOKEN = 28 * 28


@dataclass(frozen=True)
class Accepted:
    model: str
    prompt: str
    spec: RenderSpec
    faults: frozenset[Fault]
    input_tokens: int


class Refused(Exception):
    """The request gets an error answer instead of a result."""

    def __init__(self, answer: ErrorAnswer) -> None:
        super().__init__(answer.message)
        self.answer = answer


def invalid(message: str) -> Refused:
    return Refused(ErrorAnswer(400, "InvalidParameter", message))


def prompt_of(body: object) -> str:
    """The prompt text of any body, well formed or not (fault markers are read from it)."""
    try:
        content = body["input"]["messages"][0]["content"]  # type: ignore[index]
        return "\n".join(item["text"] for item in content if isinstance(item.get("text"), str))
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def accept(body: object, config: EmulatorConfig) -> Accepted:
    """Check the body and work out what to draw; Refused with the service's 400 otherwise."""
    report = validate_body(body, strict=False)
    if not report.ok:
        # Reference: 002, "Task execution abnormal" — code InvalidParameter with a message.
        raise invalid("; ".join(str(problem) for problem in report.problems))
    assert isinstance(body, dict)
    try:
        request = parse_body(body)
    except ValueError as exc:
        raise invalid(str(exc)) from None
    caps = get_model(request.model)
    paths = [
        f"{_CONTENT}[{i}].image"
        for i, item in enumerate(body["input"]["messages"][0]["content"])
        if "image" in item
    ]
    images = [
        _image_bytes(image, path, caps, timeout=config.download_timeout_seconds)
        for image, path in zip(request.images, paths, strict=True)
    ]
    _check_boxes_of_downloads(request, images)
    return _accepted(body, request, caps, images, config)


def _accepted(
    body: dict[str, object],
    request: GenerationRequest,
    caps: ModelCapabilities,
    images: list[tuple[bytes, int, int]],
    config: EmulatorConfig,
) -> Accepted:
    # Reference: 002, text — "Any excess is automatically truncated."
    prompt = request.prompt[: caps.prompt_max_chars]
    faults = active_faults(config.faults, request.prompt)
    sequential = bool(request.enable_sequential)
    n = request.n if request.n is not None else caps.default_n(sequential=sequential)
    # Reference: 002, size — the output takes the aspect of the LAST input image.
    last = (images[-1][1], images[-1][2]) if images else None
    width, height = output_size(caps, size=request.size, last_image=last)
    backdrop, reference, boxes = layout_inputs(images, request.boxes)
    spec = RenderSpec(
        width=width,
        height=height,
        prompt=prompt,
        seed=request.seed if request.seed is not None else derive_seed(body, upper=caps.seed.hi),
        count=result_count(n=n, faults=faults),
        sequential=sequential,
        watermark=bool(request.watermark),
        palette=tuple((colour.hex, colour.hundredths) for colour in request.color_palette),
        backdrop=backdrop,
        reference=reference,
        boxes=boxes,
    )
    tokens = len(prompt) + sum(w * h // _PIXELS_PER_TOKEN for _, w, h in images)
    return Accepted(
        model=caps.name, prompt=prompt, spec=spec, faults=faults, input_tokens=max(1, tokens)
    )


def _image_bytes(
    image: ImageInput, path: str, caps: ModelCapabilities, *, timeout: float
) -> tuple[bytes, int, int]:
    """(bytes, width, height) of one input; a URL is downloaded and checked like a data URL."""
    if image.data is not None and image.width is not None and image.height is not None:
        return image.data, image.width, image.height
    assert image.url is not None
    data = fetch_image(image.url, path=path, max_bytes=caps.images.max_bytes, timeout=timeout)
    try:
        info = inspect_image(data)
    except ImageDecodeError as exc:
        raise invalid(f"{path}: {exc} ({image.url})") from None
    problems = image_problems(info, caps.images)
    if problems:
        raise invalid("; ".join(f"{path}: {problem}" for problem in problems))
    return data, info.width, info.height


def fetch_image(url: str, *, path: str, max_bytes: int, timeout: float) -> bytes:
    """Download an input image, the way the service does before checking it."""
    # Reference: 002, "Supported input formats" — "Supports HTTP or HTTPS protocols."
    if not is_http_url(url):
        raise invalid(f"{path}: only http(s) URLs are downloaded: {url}")
    deadline = time.monotonic() + timeout
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise invalid(f"Download the media resource failed: {url}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise invalid(f"{path}: {size_problem(int(declared), max_bytes)}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise invalid(f"{path}: {size_problem(len(data), max_bytes)}")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("download took too long")
            return bytes(data)
    except httpx.TimeoutException:
        raise invalid(f"Download the media resource timed out: {url}") from None
    except httpx.HTTPError:
        raise invalid(f"Download the media resource failed: {url}") from None


def _check_boxes_of_downloads(
    request: GenerationRequest, images: Sequence[tuple[bytes, int, int]]
) -> None:
    """Boxes on a downloaded image must lie inside it (the validator could not know its size)."""
    problems: list[str] = []
    for i, boxes in enumerate(request.boxes):
        if i >= len(images) or request.images[i].url is None:
            continue
        _, width, height = images[i]
        for j, (x1, y1, x2, y2) in enumerate(boxes):
            # Reference: 002, bbox_list — absolute pixel coordinates of the original image.
            if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
                problems.append(
                    f"parameters.bbox_list[{i}][{j}]: box [{x1}, {y1}, {x2}, {y2}] lies outside "
                    f"image {i + 1} ({width}×{height} px)"
                )
    if problems:
        raise invalid("; ".join(problems))
