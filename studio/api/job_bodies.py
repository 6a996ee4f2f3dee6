"""A job as the API's JSON body spells it, and the one way it becomes a job: `job_admit`.

The body carries what the editor's form carries (model, prompt, references with boxes, palette,
size, n, image set, seed, switches, and wanx2.1's function, mask and paired options), with
references named by the ids /api/v1/references answered. `job_admit` builds the same
GenerationRequest and ReferenceImage list the editor builds and calls the same gate
(studio.pipeline.jobs.job_create), so budgets, validation, the ledger and the gallery behave as in
the browser. Every refusal names the body's own path (`body.references[1].boxes[2]`), with the
editor's words for the limit.

Types are strict: "12" or "١٢" is not a number here, and a field the API does not know is refused
rather than ignored (a typo would otherwise silently change what is generated).
"""

from __future__ import annotations

import random
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.api.models import ApiReference
from studio.editor import palette as palettes
from studio.editor.compose import AUTO, BOX_MIN_SIDE
from studio.editor.uploads import UploadRefused, accept_mask
from studio.numbers import ID_MAX
from studio.pipeline import budgets
from studio.pipeline.gate import GenerationRequest, PaletteColor, ReferenceImage, RequestRefused
from studio.pipeline.jobs import job_create
from studio.pipeline.models import Job
from studio.wan.capabilities import (
    BY_NAME,
    DEFAULT_MODEL,
    EXPAND_SCALES,
    MODELS,
    Mode,
    ModelCapabilities,
    mode_for,
    parameters_of,
)

Box = Annotated[list[StrictInt], Field(min_length=4, max_length=4, description="[x1, y1, x2, y2] in pixels of the upright reference")]
Number = StrictInt | StrictFloat
# A row id: past a 64-bit integer no database can hold it, so it is refused as a value, not looked up.
Id = Annotated[StrictInt, Field(ge=1, le=ID_MAX)]


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ReferenceInBody(_Strict):
    id: Id = Field(description="A reference id from POST /api/v1/references")
    boxes: list[Box] = Field(default_factory=list, description="Boxes to edit within this reference (models that take boxes)")


class PaletteEntry(_Strict):
    hex: StrictStr = Field(description='A colour like "#1A2B3C"')
    ratio: StrictStr | Number = Field(description='Its share in percent with at most two decimals ("25.50", "25.50%" or 25.5); all sum to 100.00')


class JobBody(_Strict):
    model: StrictStr = DEFAULT_MODEL
    prompt: StrictStr = ""
    references: list[ReferenceInBody] = Field(default_factory=list, description="Reference images in prompt order")
    color_palette: list[PaletteEntry] | None = None
    size: StrictStr | None = Field(None, description='A preset ("2K"), "W*H", or "auto" (follow the last reference); default: the model\'s')
    n: StrictInt | None = Field(None, description="Images to make; default 1, as the editor (the model's one value where it makes a fixed number)")
    sequential: StrictBool = False
    seed: StrictInt | None = Field(None, description="Default: the studio picks one, so every job can be reproduced")
    thinking_mode: StrictBool | None = None
    watermark: StrictBool | None = None
    negative_prompt: StrictStr | None = None
    prompt_extend: StrictBool | None = None
    interleave: StrictBool = False
    max_images: StrictInt | None = None
    # wanx2.1-imageedit (reference: 001)
    function: StrictStr | None = None
    style: StrictStr | None = Field(None, description="stylization_local: one of the function's styles")
    mask: Id | None = Field(None, description="A reference id of a PNG as large as reference 1, white where it is edited")
    strength: Number | None = None
    top_scale: Number | None = None
    bottom_scale: Number | None = None
    left_scale: Number | None = None
    right_scale: Number | None = None
    upscale_factor: StrictInt | None = None
    is_sketch: StrictBool | None = None


# The body's names for the provider's parameters, where they differ.
_BODY_NAMES = {"enable_sequential": "sequential", "enable_interleave": "interleave", "bbox_list": "references"}
# Body fields and the request parameter each one sets (for "does this model take it?").
_OPTION_FIELDS = {
    "n": "n", "sequential": "enable_sequential", "interleave": "enable_interleave", "max_images": "max_images",
    "size": "size", "thinking_mode": "thinking_mode", "watermark": "watermark", "negative_prompt": "negative_prompt",
    "prompt_extend": "prompt_extend", "color_palette": "color_palette", "function": "function",
}
_EDIT_OPTIONS = ("strength", *EXPAND_SCALES, "upscale_factor", "is_sketch")


def job_admit(*, caller, body: JobBody, path: str = "body", batch=None) -> Job:
    """Check a job body and make the job through the one gate, as the editor does.

    ApiError 422 with every problem at the body's own paths, 404 for a reference that is not the
    caller's team's, 402 when the team's budget cannot cover it (with what is left in `extra`).
    Database errors pass through untouched: a batch admits many bodies in one transaction.
    `batch` is handed on to job_create when given (the batch the job belongs to).
    """
    request, references = request_of(caller=caller, body=body, path=path)
    extra = {"batch": batch} if batch is not None else {}
    try:
        return job_create(owner=caller.user, team=caller.team, request=request, references=references, **extra)
    except RequestRefused as refused:
        raise invalid([_at_body(p, body, path) for p in refused.problems]) from None
    except budgets.BudgetExceeded as exc:
        raise budget_refusal(caller.team, exc.message) from None


def budget_refusal(team, message: str) -> ApiError:
    """402 with what the team has left this month, so a script can size its next request."""
    status = budgets.team_budget_status(team)
    left: dict[str, object] = {}
    if status is not None:
        amount = status.left_amount
        left = {
            "amount": None if amount is None else str(amount),
            "currency": status.budget.currency,
            "images": status.left_images,
            "month": status.month.isoformat()[:7],
        }
    return ApiError(402, "budget_exceeded", message, extra={"left": left})


def request_of(*, caller, body: JobBody, path: str = "body") -> tuple[GenerationRequest, list[ReferenceImage]]:
    """The request and references a body describes, or ApiError naming every problem found."""
    caps = MODELS.get(body.model)
    if caps is None:
        raise invalid([Problem(f"{path}.model", f"“{body.model[:40]}” is not a model; GET /api/v1/models lists them")])
    problems: list[Problem] = []
    stored = _references(caller, body, path)
    problems += _options_not_taken(caps, body, path)
    function = None
    if caps.image_edit is not None:
        function = caps.image_edit.functions.get(body.function or "")
        if function is None:
            problems.append(Problem(f"{path}.function", f"choose one of: {', '.join(caps.image_edit.functions)}"))
    prompt = body.prompt.strip()
    if not prompt and not caps.prompt_optional:
        problems.append(Problem(f"{path}.prompt", "write what to generate, or how to change the images"))
    if function is not None and function.styles:
        prompt = _with_style(prompt, body.style, function.styles, f"{path}.style", problems)
    boxes = [_boxes(ref.boxes, f"{path}.references[{i}].boxes", problems) for i, ref in enumerate(body.references)]
    colours = _palette(caps, body.color_palette, f"{path}.color_palette", problems) if body.color_palette is not None else ()
    edit = _edit_options(body, function, path, problems)
    mask = _mask(caller, body, function, stored, path, problems)
    text_to_image = mode_for(image_count=len(stored), sequential=body.sequential, interleave=body.interleave) is Mode.TEXT_TO_IMAGE
    if body.thinking_mode and not text_to_image:
        # Reference: 002, thinking_mode — only without input images and without image sets.
        problems.append(Problem(f"{path}.thinking_mode", "applies only to text-to-image: no references and no image set"))
    if problems:
        raise invalid(problems)

    seed = body.seed
    if seed is None and caps.supports_seed:
        # The studio picks the seed so every job records one and can be reproduced.
        seed = random.SystemRandom().randint(caps.seed.lo, caps.seed.hi)
    n = body.n
    if n is None and caps.n is not None and not body.interleave:
        # The editor's default: one image (or the one number a model makes, like qwen-image-plus).
        allowed = caps.n_range(sequential=body.sequential)
        n = allowed.lo if allowed.lo == allowed.hi else 1
    references = [
        ReferenceImage(
            content=_read(ref), mime=ref.mime, width=ref.width, height=ref.height,
            boxes=tuple(tuple(b) for b in ref_boxes), mask=mask if i == 0 else None,
        )
        for i, (ref, ref_boxes) in enumerate(zip(stored, boxes, strict=True))
    ]
    request = GenerationRequest(
        model=caps.name,
        prompt=prompt,
        color_palette=colours,
        size=None if body.size == AUTO else body.size,
        n=n,
        enable_sequential=body.sequential,
        thinking_mode=body.thinking_mode if text_to_image else None,
        watermark=body.watermark,
        seed=seed,
        negative_prompt=(body.negative_prompt or "").strip() or None,
        prompt_extend=body.prompt_extend,
        enable_interleave=body.interleave,
        max_images=body.max_images,
        function=function.name if function else None,
        **edit,
    )
    return request, references


def _at_body(problem, body: JobBody, path: str) -> Problem:
    at = body_path(problem.path, len(body.references), path)
    caps = MODELS[body.model]
    if match := re.fullmatch(re.escape(path) + r"\.references\[(\d+)\]\.boxes", at):
        # Too many boxes: name the first one past the limit, the value to take out.
        most = caps.max_boxes_per_image or 0
        if len(body.references[int(match[1])].boxes) > most:
            at += f"[{most}]"
    return Problem(at, problem.message)


def body_path(provider_path: str, image_count: int, path: str = "body") -> str:
    """A gate problem's provider path in the API body's words: 'parameters.bbox_list[1][0]' ->
    'body.references[1].boxes[0]' (the editor's labels.label_for, for the API)."""
    if match := re.match(r"parameters\.bbox_list\[(\d+)\](?:\[(\d+)\])?", provider_path):
        image, box = match.groups()
        return f"{path}.references[{image}].boxes" + (f"[{box}]" if box else "")
    if match := re.match(r"parameters\.color_palette(\[\d+\])?", provider_path):
        return f"{path}.color_palette{match[1] or ''}"
    if match := re.match(r"parameters\.(\w+)", provider_path):
        return f"{path}.{_BODY_NAMES.get(match[1], match[1])}"
    if match := re.match(r"input\.(?:images|messages\[0\]\.content)\[(\d+)\]", provider_path):
        index = int(match[1])
        return f"{path}.references[{index}]" if index < image_count else f"{path}.prompt"
    fixed = {
        "input.prompt": "prompt", "input.negative_prompt": "negative_prompt", "input.function": "function",
        "input.base_image_url": "references[0]", "input.mask_image_url": "mask", "model": "model",
    }
    if provider_path in fixed:
        return f"{path}.{fixed[provider_path]}"
    if provider_path.startswith("input"):
        return f"{path}.references"
    return path


def _references(caller, body: JobBody, path: str) -> list[ApiReference]:
    """The team's references in body order; another team's id is as unknown as a missing one."""
    ids = [ref.id for ref in body.references]
    found = {r.id: r for r in ApiReference.objects.filter(team=caller.team, id__in=ids)}
    for i, ref_id in enumerate(ids):
        if ref_id not in found:
            raise _no_reference(f"{path}.references[{i}].id")
    return [found[ref_id] for ref_id in ids]


def _no_reference(at: str) -> ApiError:
    error = not_found("reference")
    error.problems = (Problem(at, "no such reference in this team; upload it with POST /api/v1/references"),)
    return error


def _options_not_taken(caps: ModelCapabilities, body: JobBody, path: str) -> list[Problem]:
    takes = {p.name for p in parameters_of(caps)}
    problems = []
    for name, parameter in _OPTION_FIELDS.items():
        value = getattr(body, name)
        if value not in (None, False, AUTO) and parameter not in takes:
            problems.append(Problem(f"{path}.{name}", f"{caps.name} does not take {BY_NAME[parameter].label.lower()}"))
    if any(ref.boxes for ref in body.references) and "bbox_list" not in takes:
        problems.append(Problem(f"{path}.references", f"{caps.name} does not take boxes"))
    if body.size == AUTO and not (caps.size and caps.size.follows_input_aspect):
        problems.append(Problem(f"{path}.size", f"“auto” is for models whose output follows the last reference; {caps.name} takes a preset or W*H"))
    if body.seed is not None and not caps.supports_seed:
        problems.append(Problem(f"{path}.seed", f"{caps.name} does not take a seed"))
    return problems


def _boxes(boxes: list[list[int]], at: str, problems: list[Problem]) -> list[list[int]]:
    for slot, (x1, y1, x2, y2) in enumerate(boxes):
        if x1 < x2 and y1 < y2 and min(x2 - x1, y2 - y1) < BOX_MIN_SIDE:
            # Reversed corners and sides past the image are the gate's to name (the editor's rule too).
            problems.append(
                Problem(f"{at}[{slot}]", f"{x2 - x1}×{y2 - y1} px is too small: a box is at least {BOX_MIN_SIDE} px on each side")
            )
    return boxes


def _ratio(value: str | int | float) -> int | None:
    """A share in hundredths: "25.50", "25.5%" or 25.5 -> 2550; None past two decimals or 100.00."""
    if isinstance(value, str):
        return palettes.parse_percent(value)
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return None
    if not exact.is_finite() or exact < 0 or exact.as_tuple().exponent < -2 or exact > 100:
        return None
    return int(exact * 100)


def _palette(caps: ModelCapabilities, entries: list[PaletteEntry], at: str, problems: list[Problem]) -> tuple[PaletteColor, ...]:
    if caps.palette is None:
        return ()  # _options_not_taken said so
    swatches: list[tuple[str, int]] = []
    before = len(problems)
    for i, entry in enumerate(entries):
        hex_value = palettes.normalize_hex(entry.hex)
        hundredths = _ratio(entry.ratio)
        if hex_value is None:
            problems.append(Problem(f"{at}[{i}].hex", f"“{entry.hex[:20]}” is not a hex colour like #1A2B3C"))
        if hundredths is None:
            problems.append(Problem(f"{at}[{i}].ratio", f"ratio “{str(entry.ratio)[:20]}” is not a percentage like 25.00"))
        swatches.append((hex_value or entry.hex, hundredths or 0))
    if len(problems) > before:
        return ()
    # The editor's own palette check, so the words are the editor's ("Palette ratios add up to …").
    for message in palettes.validate_palette(swatches, model=caps.name):
        label, _, rest = message.partition(": ")
        if match := re.fullmatch(r"Palette colour (\d+)", label):
            problems.append(Problem(f"{at}[{int(match[1]) - 1}]", rest))
        else:
            problems.append(Problem(at, rest if label == "Palette" and rest else message))
    return tuple(PaletteColor(hex=h, hundredths=r) for h, r in swatches)


def _with_style(prompt: str, style: str | None, styles: dict[str, str], at: str, problems: list[Problem]) -> str:
    # Reference: 001, local stylization — the style is named in the prompt by its value (as the editor does).
    if style not in styles:
        problems.append(Problem(at, f"choose one of: {', '.join(styles)}"))
        return prompt
    if style in prompt.lower():
        return prompt
    return f"{prompt}, in {style} style" if prompt else f"Change the subject to {style} style"


def _edit_options(body: JobBody, function, path: str, problems: list[Problem]) -> dict[str, object]:
    """wanx2.1's paired parameters, each only for the function that takes it."""
    options: dict[str, object] = {}
    for name in _EDIT_OPTIONS:
        value = getattr(body, name)
        if value is None:
            continue
        parameter = BY_NAME[name]
        if function is None or not getattr(function, parameter.function_flag):
            what = f"the {function.name} function" if function is not None else body.model
            problems.append(Problem(f"{path}.{name}", f"{parameter.label} is not taken by {what}"))
            continue
        options[name] = float(value) if parameter.kind is float else value
    return options


def _mask(caller, body: JobBody, function, stored: list[ApiReference], path: str, problems: list[Problem]) -> bytes | None:
    at = f"{path}.mask"
    needs = function is not None and function.needs_mask
    if body.mask is None:
        if needs:
            problems.append(Problem(at, "paint the area to change on image 1 (white is edited): give the id of a mask reference"))
        return None
    if not needs:
        problems.append(Problem(at, "a mask is taken only by wanx2.1's description_edit_with_mask function"))
        return None
    reference = ApiReference.objects.filter(team=caller.team, id=body.mask).first()
    if reference is None:
        raise _no_reference(at)
    if not stored:
        return None  # the gate names the missing image 1
    try:
        mask = accept_mask(_read(reference), width=stored[0].width, height=stored[0].height)
    except UploadRefused as refused:
        problems.append(Problem(at, str(refused).removeprefix("Mask: ")))
        return None
    if mask is None:
        problems.append(Problem(at, "the mask is all black: paint the area to change white"))
    return mask


def _read(reference: ApiReference) -> bytes:
    with reference.file.open("rb") as handle:
        return handle.read()
