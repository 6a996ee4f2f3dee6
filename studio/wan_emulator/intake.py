"""From a request body to what the emulator will draw: checks, image downloads, output size.

The rules of the reference are checked by the studio's validator (studio.wan.validator) in
lenient mode: an over-long prompt is cut to the model's limit, as the service does, instead of
being refused. What only a server can check is done here: http(s) input images are downloaded
(http/https only, with a timeout and the model's byte limit) and held to the same image limits,
and their bounding boxes to their real size.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from PIL import Image

from studio.wan.capabilities import BodyShape, ModelCapabilities, get_model, output_size
from studio.wan_emulator.faults import ErrorAnswer, Fault, active_faults, result_count
from studio.wan_emulator.render import RenderSpec, derive_seed, layout_inputs
from studio.wan.images import (
    ImageDecodeError,
    image_problems,
    inspect_image,
    size_problem,
)
from studio.wan.request import GenerationRequest, ImageInput, is_http_url, parse_body
from studio.wan.validator import validate_body

if TYPE_CHECKING:
    from studio.wan_emulator.state import EmulatorConfig

_CONTENT = "input.messages[0].content"
# Input tokens are reported, not billed (reference: 002, usage); one per character of the prompt
# and one per patch of this many pixels of each input image is a plausible figure.
_PIXELS_PER_TOKEN = 28 * 28

# What the official SDK adds to a request's parameters and the service accepts from it, though the
# API references do not list it (the studio's validator stays strict about it in what the studio
# sends). Reference: dashscope 2.x on PyPI, dashscope/aigc/image_generation.py —
# ImageGeneration.async_call sets kwargs["is_async"] = True (and call() adds the
# X-DashScope-Async header for it); BaseApi.call passes every remaining keyword to
# _build_api_request, whose ApiRequestData.add_parameters(**kwargs) puts it in "parameters"
# (dashscope/api_entities/api_request_factory.py). The reference's own asynchronous samples
# (seed 002, "Python SDK", ImageGeneration.async_call) therefore send "is_async": true.
SDK_PARAMETERS = frozenset({"is_async"})


@dataclass(frozen=True)
class Accepted:
    model: str
    prompt: str
    spec: RenderSpec
    faults: frozenset[Fault]
    input_tokens: int
    asked: int = 1
    texts: tuple[str, ...] = ()
    actual_prompt: str | None = None


class Refused(Exception):
    """The request gets an error answer instead of a result."""

    def __init__(self, answer: ErrorAnswer, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(answer.message)
        self.answer = answer
        # Extra answer headers, e.g. Retry-After on a 429.
        self.headers = headers


def invalid(message: str) -> Refused:
    return Refused(ErrorAnswer(400, "InvalidParameter", message))


def prompt_of(body: object) -> str:
    """The prompt text of any body, well formed or not (fault markers are read from it)."""
    try:
        inp = body["input"]  # type: ignore[index]
        if isinstance(inp.get("prompt"), str):
            return inp["prompt"]
        content = inp["messages"][0]["content"]
        return "\n".join(item["text"] for item in content if isinstance(item.get("text"), str))
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def without_sdk_parameters(body: object) -> object:
    """The body without the SDK's own boolean parameters (SDK_PARAMETERS); others untouched."""
    if not isinstance(body, dict) or not isinstance(body.get("parameters"), dict):
        return body
    parameters = body["parameters"]
    extra = {name for name in SDK_PARAMETERS if isinstance(parameters.get(name), bool)}
    if not extra:
        return body
    return {**body, "parameters": {k: v for k, v in parameters.items() if k not in extra}}


def accept(body: object, config: EmulatorConfig, *, path: str | None = None, is_task: bool = True) -> Accepted:
    """Check the body and work out what to draw; Refused with the service's 400 otherwise."""
    body = without_sdk_parameters(body)
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
    if path is not None:
        _check_endpoint(caps, request, path, is_task=is_task)
    images = [
        _image_bytes(image, image_path, caps, timeout=config.download_timeout_seconds)
        for image, image_path in zip(request.images, _image_paths(caps, body), strict=True)
    ]
    mask = (
        _image_bytes(request.mask, "input.mask_image_url", caps, timeout=config.download_timeout_seconds)
        if request.mask is not None
        else None
    )
    _check_boxes_of_downloads(request, images)
    return _accepted(body, request, caps, images, mask, config)


def _image_paths(caps: ModelCapabilities, body: dict[str, object]) -> list[str]:
    inp = body["input"]
    assert isinstance(inp, dict)
    if caps.body_shape is BodyShape.PROMPT:
        return [f"input.images[{i}]" for i in range(len(inp.get("images", ())))]
    if caps.body_shape is BodyShape.IMAGE_EDIT:
        return ["input.base_image_url"]
    return [f"{_CONTENT}[{i}].image" for i, item in enumerate(inp["messages"][0]["content"]) if "image" in item]


def _check_endpoint(caps: ModelCapabilities, request: GenerationRequest, path: str, *, is_task: bool) -> None:
    """Each model answers only at its own endpoints, and only in the ways its document allows."""
    expected = caps.async_path if is_task else caps.sync_path
    if expected is None and not is_task:
        # Reference: 003 — without X-DashScope-Async the image-synthesis endpoints answer so.
        raise Refused(ErrorAnswer(403, "AccessDenied", "current user api does not support synchronous calls"))
    if expected is None:
        # Reference: 004, z-image-turbo — "Sync-only ... async invocation is not supported."
        raise invalid(f"Model {caps.name} does not support asynchronous calls; call {caps.sync_path} without X-DashScope-Async")
    if expected != path:
        raise invalid(f"Model {caps.name} is not served at {path}; use {expected}")
    if request.enable_interleave and not is_task:
        # Reference: 004 — "interleave requires streaming or async".
        raise invalid("enable_interleave needs an asynchronous call (X-DashScope-Async: enable)")


def _asked(caps: ModelCapabilities, request: GenerationRequest) -> int:
    if request.enable_interleave and caps.interleave is not None:
        return request.max_images or caps.interleave.max_images_default
    if caps.n is None:
        return 1
    return request.n if request.n is not None else caps.default_n(sequential=bool(request.enable_sequential))


def _edit_size(request: GenerationRequest, base: tuple[int, int]) -> tuple[int, int]:
    """wanx2.1 output size: the input's, grown by outpainting scales or the upscale factor."""
    width, height = base
    if request.function == "expand":
        # Reference: 001 — "setting all of them to 1.5 expands the content to 1.5 times".
        left, right = request.left_scale or 1.0, request.right_scale or 1.0
        top, bottom = request.top_scale or 1.0, request.bottom_scale or 1.0
        return round(width * (left + right) / 2), round(height * (top + bottom) / 2)
    if request.function == "super_resolution":
        factor = request.upscale_factor or 1
        return width * factor, height * factor
    return width, height


def _mask_box(mask: tuple[bytes, int, int]) -> tuple[int, int, int, int] | None:
    """The white area of a mask as a box, so the emulator draws the edit where it was painted."""
    with Image.open(io.BytesIO(mask[0])) as img:
        return img.convert("L").point(lambda v: 255 if v >= 128 else 0).getbbox()


def _accepted(
    body: dict[str, object],
    request: GenerationRequest,
    caps: ModelCapabilities,
    images: list[tuple[bytes, int, int]],
    mask: tuple[bytes, int, int] | None,
    config: EmulatorConfig,
) -> Accepted:
    # Reference: 002, text — "Any excess is automatically truncated."
    prompt = request.prompt[: caps.prompt_max_chars]
    faults = active_faults(config.faults, request.prompt)
    sequential = bool(request.enable_sequential)
    asked = _asked(caps, request)
    if caps.size is None and caps.output_pixels is None:
        width, height = _edit_size(request, (images[0][1], images[0][2]))
    else:
        # Reference: 002, size — the output takes the aspect of the LAST input image.
        last = (images[-1][1], images[-1][2]) if images else None
        width, height = output_size(caps, size=request.size, last_image=last)
    boxes = request.boxes
    if mask is not None and (box := _mask_box(mask)) is not None:
        boxes = ((box,),)
    backdrop, reference, fractions = layout_inputs(images, boxes)
    count = result_count(n=asked, faults=faults)
    texts = ()
    if request.enable_interleave:
        texts = tuple(f"Step {i + 1}. {prompt[:120]}" for i in range(count))
    actual_prompt = None
    if caps.body_shape is BodyShape.PROMPT and request.prompt_extend is not False:
        # Reference: 003 — with prompt_extend the result carries the rewritten actual_prompt.
        actual_prompt = f"{prompt} Natural light, fine detail, balanced composition."
    spec = RenderSpec(
        width=width,
        height=height,
        prompt=prompt,
        seed=request.seed if request.seed is not None else derive_seed(body, upper=caps.seed.hi),
        count=count,
        sequential=sequential,
        watermark=bool(request.watermark),
        palette=tuple((colour.hex, colour.hundredths) for colour in request.color_palette),
        backdrop=backdrop,
        reference=reference,
        boxes=fractions,
    )
    tokens = len(prompt) + sum(w * h // _PIXELS_PER_TOKEN for _, w, h in images)
    return Accepted(
        model=caps.name,
        prompt=prompt,
        spec=spec,
        faults=faults,
        input_tokens=max(1, tokens),
        asked=asked,
        texts=texts,
        actual_prompt=actual_prompt,
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
