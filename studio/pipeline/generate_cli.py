"""`python manage.py wan generate`: one generation, run inline (no queue), PNGs saved to --out.

This is the protocol tool: no team, budget, ledger or gallery. With --team and --user the same
request becomes a queued job of that team instead (studio.pipeline.queue_cli).

For trying the provider (or the emulator) from a terminal. It passes the same gate as a job
(studio.pipeline.gate), polls with the documented cadence, and downloads only from the allowed
hosts. Its task queries are the account's like the studio's, so they take slots of the budget kept in the
studio's database (studio.pipeline.query_budget): it needs that database migrated.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from studio.pipeline import query_budget
from studio.pipeline.gate import RequestRefused, request_check
from studio.pipeline.downloads import DownloadError, download_image, new_download_client
from studio.pipeline.provider import make_client
from studio.pipeline.queue_cli import queue_main
from studio.wan.capabilities import DEFAULT_MODEL, MODELS, get_model
from studio.wan.errors import WanError
from studio.wan.images import ImageDecodeError
from studio.wan.polling import poll_interval
from studio.wan.request import GenerationRequest, ImageInput, PaletteColor, build_body, parse_ratio
from studio.wan.responses import TaskResult

# ASCII digits only: "²".isdigit() is true, yet int("²") fails.
_BBOX = re.compile(r"(?P<image>[0-9]{1,3}):(?P<box> *-?[0-9]{1,9} *(?:, *-?[0-9]{1,9} *){3})", re.ASCII)


class UsageProblem(ValueError):
    """A command-line argument that cannot be understood; the message names it."""


def parse_bbox(text: str, image_count: int) -> tuple[int, tuple[int, int, int, int]]:
    """'2:10,10,50,50' -> (index 1, box). Images are numbered from 1, as prompts number them."""
    match = _BBOX.fullmatch(text)
    if match is None:
        raise UsageProblem(f"--bbox {text!r}: expected I:x1,y1,x2,y2 with whole numbers")
    number = int(match["image"])
    if not 1 <= number <= image_count:
        raise UsageProblem(f"--bbox {text!r}: image {number} does not exist ({image_count} given)")
    x1, y1, x2, y2 = (int(p) for p in match["box"].split(","))
    return number - 1, (x1, y1, x2, y2)


def parse_palette(text: str) -> PaletteColor:
    """'#C2D1E6:23.51' or '#C2D1E6:23.51%' -> PaletteColor with exact hundredths."""
    hex_value, sep, ratio = text.partition(":")
    hundredths = parse_ratio(ratio if ratio.endswith("%") else f"{ratio}%")
    if not sep or hundredths is None:
        raise UsageProblem(f"--palette {text!r}: expected #RRGGBB:ratio with two decimals, e.g. #C2D1E6:23.51")
    return PaletteColor(hex=hex_value, hundredths=hundredths)


def build_request(options: dict[str, Any]) -> GenerationRequest:
    model = options.get("model") or DEFAULT_MODEL
    if model not in MODELS:
        raise UsageProblem(f"--model {model!r}: choose one of {', '.join(MODELS)}")
    images: list[ImageInput] = []
    for path in options.get("image") or []:
        try:
            images.append(ImageInput.from_bytes(Path(path).read_bytes()))
        except OSError as exc:
            raise UsageProblem(f"--image {path}: {exc.strerror or exc}") from None
        except ImageDecodeError as exc:
            raise UsageProblem(f"--image {path}: {exc}") from None
    boxes: list[list[tuple[int, int, int, int]]] = [[] for _ in images]
    for text in options.get("bbox") or []:
        index, box = parse_bbox(text, len(images))
        boxes[index].append(box)
    thinking = options.get("thinking_mode")
    return GenerationRequest(
        model=model,
        prompt=options["prompt"],
        images=tuple(images),
        boxes=tuple(tuple(b) for b in boxes) if any(boxes) else (),
        color_palette=tuple(parse_palette(p) for p in options.get("palette") or []),
        size=options.get("size"),
        n=options.get("n"),
        enable_sequential=bool(options.get("sequential")),
        thinking_mode=None if thinking is None else thinking == "on",
        watermark=True if options.get("watermark") else None,
        seed=options.get("seed"),
    )


def generate_main(options: dict[str, Any], *, stdout, stderr) -> int:
    try:
        request = build_request(options)
    except UsageProblem as exc:
        stderr.write(str(exc))
        return 2
    if options.get("team") or options.get("user"):
        # A job of a team: the editor's gate, the team's budget and ledger, the gallery.
        return queue_main(options, request, stdout=stdout, stderr=stderr)
    try:
        # The job gate's check: the terminal gets the editor's answer, in the validator's words.
        request_check(request)
    except RequestRefused as exc:
        for problem in exc.problems:
            stderr.write(str(problem))
        return 1
    out_dir = Path(options.get("out") or ".")
    out_dir.mkdir(parents=True, exist_ok=True)
    body = build_body(request)
    try:
        # Before anything is paid for: the task queries after the submit are counted there.
        query_budget.available()
        with make_client() as client:
            if options.get("sync") or get_model(request.model).sync_only:
                result = client.generate(body)
                name, urls, usage = result.request_id or "sync", result.images, result.usage
            else:
                task = _run_task(client, body, stdout)
                if not task.succeeded:
                    stderr.write(f"task {task.task_id} ended {task.task_status}: {task.code or ''} {task.message or ''}".strip())
                    return 1
                name, urls, usage = task.task_id, task.images, task.usage
    except WanError as exc:
        stderr.write(f"provider error: {exc}")
        return 1
    except DatabaseError as exc:
        stderr.write(
            f"the studio's database cannot count the task queries ({type(exc).__name__}): "
            "run `python manage.py migrate` first (they share the account's limit with the studio)"
        )
        return 1
    expected = (usage.width, usage.height) if usage and usage.width and usage.height else None
    saved = 0
    with new_download_client() as downloader:
        for index, url in enumerate(urls, start=1):
            try:
                got = download_image(
                    downloader,
                    url,
                    allowed_hosts=settings.WAN_RESULT_HOSTS,
                    max_bytes=settings.WAN_RESULT_MAX_BYTES,
                    expected_size=expected,
                )
            except DownloadError as exc:
                stderr.write(f"image {index}: {exc.message}")
                continue
            path = out_dir / f"{name}-{index}.png"
            with got.file, path.open("wb") as target:
                target.write(got.file.read())
            saved += 1
            stdout.write(f"saved {path} ({got.width}*{got.height}, {got.byte_size} bytes, sha256 {got.sha256[:12]})")
    count = usage.image_count if usage else None
    stdout.write(f"{saved} of {len(urls)} image(s) saved; provider image_count={count}")
    return 0 if saved == len(urls) and saved > 0 else 1


def _run_task(client, body: dict[str, Any], stdout) -> TaskResult:
    submitted = client.submit(body)
    stdout.write(f"task {submitted.task_id} submitted")
    started = time.monotonic()
    while True:
        task = client.get_task(submitted.task_id)
        if task.is_terminal:
            return task
        time.sleep(poll_interval(time.monotonic() - started))
