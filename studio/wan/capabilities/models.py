"""Every documented limit of the image models, written once.

The validator, the request builder, the emulator, the forms, the templates and the
JavaScript widgets all read their numbers from this table; nothing else in the code base
spells out 9, 2, 5000 or 768*768.

References (../shared/seeds/): 002 for every wan2.7 figure; 004 for wan2.6, qwen-image,
z-image-turbo and prices; 000 for the per-model image limits; 003 for wan2.5-i2i-preview; 001
for wanx2.1-imageedit. Where the seeds are silent or disagree with Alibaba's public Model Studio
API references, the public reference decides and its address is named beside the rule. Each
model is one entry here plus its body shape (studio.wan.request); where no document gives a
figure the entry says so and names the studio's choice.
"""
from __future__ import annotations

from decimal import Decimal

from studio.wan.capabilities.endpoints import IMAGE2IMAGE, MULTIMODAL_ASYNC, MULTIMODAL_SYNC, TEXT2IMAGE
from studio.wan.capabilities.limits import (
    BEIJING,
    NO_IMAGES,
    PRESETS,
    WAN25_IMAGES,
    WAN26_IMAGES,
    WAN27_IMAGES,
    WAN27_PALETTE,
    WANX21_EDIT,
    WANX21_IMAGES,
    qwen_images,
)
from studio.wan.capabilities.schema import (
    BodyShape,
    InterleaveRules,
    IntRange,
    Mode,
    ModelCapabilities,
    SizeRules,
    per_side,
)
from studio.wan.marks import gettext_noop


def _wan27(name: str, label: str, description: str, *, four_k: bool, typical: float, price: str) -> ModelCapabilities:
    presets = dict(PRESETS) if four_k else {"1K": PRESETS["1K"], "2K": PRESETS["2K"]}
    text_to_image_hi = 4096 * 4096 if four_k else 2048 * 2048
    return ModelCapabilities(
        name=name,
        label=label,
        family="wan2.7",
        description=description,
        body_shape=BodyShape.MESSAGES,
        sync_path=MULTIMODAL_SYNC,
        async_path=MULTIMODAL_ASYNC,
        prompt_max_chars=5000,
        images=WAN27_IMAGES,
        size=SizeRules(
            presets=presets,
            default="2K",
            text_to_image_only_presets=frozenset({"4K"}) if four_k else frozenset(),
            custom_pixels={
                Mode.TEXT_TO_IMAGE: IntRange(768 * 768, text_to_image_hi),
                Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
            },
            custom_max_aspect=8,
        ),
        n=IntRange(1, 4),
        n_default=4,
        n_sequential=IntRange(1, 12),
        n_sequential_default=12,
        max_boxes_per_image=2,
        palette=WAN27_PALETTE,
        supports_thinking_mode=True,
        supports_watermark=True,
        typical_seconds=typical,
        # Reference: 004 — international prices. No Beijing figure is given.
        unit_prices={"singapore": Decimal(price)},
        documents="002",
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api — the
# "size" of qwen-image-edit-max and -plus: width and height each 512–2048 px (seed 004 gives a
# total of 512*512 to 2048*2048 for all); qwen-image-2.0 and -pro keep that total.
_QWEN_EDIT_SIDE = IntRange(512, 2048)
# Qwen's tokenizer spends about one token on a Chinese character and one on every four or so
# letters of English: past this many characters a token limit is surely exceeded.
_CHARS_PER_TOKEN_AT_MOST = 4


def _qwen_edit(
    name: str,
    label: str,
    description: str,
    *,
    text_to_image: bool,
    size: SizeRules | None,
    n_max: int | None,
    prompt_extend: bool = True,
    prompt_tokens: int | None = None,
) -> ModelCapabilities:
    # Reference: 004, "Qwen Image series" editing models: messages like wan2.6-image, 1–3
    # references (qwen-image-2.0 and -pro also pure text), n 1–6, default size 1024*1024;
    # synchronous. The public edit reference (qwen-image-edit-api, above) for what differs.
    return ModelCapabilities(
        name=name,
        label=label,
        family="qwen-image",
        description=description,
        body_shape=BodyShape.MESSAGES,
        sync_path=MULTIMODAL_SYNC,
        async_path=None,
        # Reference: qwen-image-edit-api (above) — text: at most 800 characters, the excess is
        # cut; qwen-image-2.0 counts 1,300 tokens instead (see prompt_tokens).
        prompt_max_chars=prompt_tokens * _CHARS_PER_TOKEN_AT_MOST if prompt_tokens else 800,
        prompt_max_tokens=prompt_tokens,
        images=qwen_images(IntRange(0 if text_to_image else 1, 3)),
        size=size,
        n=IntRange(1, n_max) if n_max else None,
        n_default=1,
        typical_seconds=15.0,
        negative_prompt_max_chars=500,
        supports_prompt_extend=prompt_extend,
        # Without a size the image keeps the last reference's aspect at about 1024*1024 pixels,
        # as the edit reference (above) says of an omitted size.
        output_pixels=None if size is not None else 1024 * 1024,
        documents="004, qwen-image-edit-api",
    )


def _qwen_total_size() -> SizeRules:
    # Reference: 004 — "Total pixels 512×512–2048×2048", default 1024*1024 (qwen-image-2.0, -pro).
    return SizeRules(
        default="1024*1024",
        custom_pixels={mode: IntRange(512 * 512, 2048 * 2048) for mode in (Mode.TEXT_TO_IMAGE, Mode.OTHER)},
        custom_max_aspect=None,
    )


def _qwen_side_size() -> SizeRules:
    return SizeRules(
        default="1024*1024",
        custom_side=_QWEN_EDIT_SIDE,
        custom_pixels=per_side(_QWEN_EDIT_SIDE, Mode.TEXT_TO_IMAGE, Mode.OTHER),
        custom_max_aspect=None,
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api (Qwen
# text-to-image API reference; the seeds' 004 says "async text2image only, n 1–4, default
# 1328*1328", which it contradicts). Every model takes the synchronous multimodal-generation call
# with a messages body; only qwen-image-plus and qwen-image also take the asynchronous text2image
# call with input.prompt (also https://docs.qwencloud.com/api-reference/image-generation/
# qwen-text-to-image-async: "supported only by qwen-image-plus and qwen-image. All other models
# use the synchronous API"). n "is fixed at 1; setting another value causes an error"; default
# size 1664*928; five fixed sizes; prompt up to 800 characters, negative prompt 500.
#
# qwen-image-max therefore goes synchronously. qwen-image-plus keeps its asynchronous call, which
# the same reference documents for it: a task survives a crash of the studio (an interrupted
# submission is found again in the provider's task list), while a lost synchronous answer leaves
# nothing to look up and waits for a person. The table holds one call per model, so the emulator
# refuses a synchronous qwen-image-plus call that the service would take; the studio never sends one.
_QWEN_FIXED_SIZES = ("1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664")


def _qwen_text_to_image(name: str, label: str, *, asynchronous: bool) -> ModelCapabilities:
    return ModelCapabilities(
        name=name,
        label=label,
        family="qwen-image",
        description=gettext_noop("Fixed sizes, one image per request."),
        body_shape=BodyShape.PROMPT if asynchronous else BodyShape.MESSAGES,
        sync_path=None if asynchronous else MULTIMODAL_SYNC,
        async_path=TEXT2IMAGE if asynchronous else None,
        prompt_max_chars=800,
        images=NO_IMAGES,
        size=SizeRules(
            default="1664*928",
            custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(928 * 1664, 1328 * 1328)},
            custom_max_aspect=None,
            fixed=_QWEN_FIXED_SIZES,
        ),
        n=IntRange(1, 1),
        n_default=1,
        typical_seconds=15.0,
        negative_prompt_max_chars=500,
        supports_prompt_extend=True,
        documents="qwen-image-api",
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
# (Wan text-to-image V2; seed 004 names the model only): wan2.2-t2i-flash takes "W*H" with
# "both width and height between 512 and 1440 pixels" (so at most 1440*1440, about 2
# megapixels), default 1024*1024; n 1–4, default 4; prompt up to 800 characters, the excess cut.
_FLASH_SIDE = IntRange(512, 1440)
_WAN22_FLASH = ModelCapabilities(
    name="wan2.2-t2i-flash",
    label="Wan2.2 T2I Flash",
    family="wan2.2",
    description=gettext_noop("Fastest, cheapest drafts."),
    body_shape=BodyShape.PROMPT,
    sync_path=None,
    async_path=TEXT2IMAGE,
    prompt_max_chars=800,
    images=NO_IMAGES,
    size=SizeRules(
        default="1024*1024",
        custom_side=_FLASH_SIDE,
        custom_pixels=per_side(_FLASH_SIDE, Mode.TEXT_TO_IMAGE),
        custom_max_aspect=None,
    ),
    n=IntRange(1, 4),
    n_default=4,
    typical_seconds=5.0,
    negative_prompt_max_chars=500,
    supports_prompt_extend=True,
    documents="004, text-to-image-v2-api-reference",
)


MODELS: dict[str, ModelCapabilities] = {
    caps.name: caps
    for caps in (
        _wan27(
            "wan2.7-image-pro",
            "Wan2.7 Image Pro",
            gettext_noop("Professional edition; 4K for text-to-image."),
            four_k=True,
            typical=25.0,
            price="0.075",
        ),
        _wan27(
            "wan2.7-image",
            "Wan2.7 Image",
            gettext_noop("Faster generation; up to 2K."),
            four_k=False,
            typical=15.0,
            price="0.03",
        ),
        ModelCapabilities(
            name="wan2.6-image",
            label="Wan2.6 Image",
            family="wan2.6",
            description=gettext_noop("Editing with 1–4 references, or interleaved text and images."),
            body_shape=BodyShape.MESSAGES,
            # Reference: 004 — sync for editing only; interleave needs async (the studio polls).
            sync_path=MULTIMODAL_SYNC,
            async_path=MULTIMODAL_ASYNC,
            # Reference: 004, "Prompt length limit" — 2,000 characters for wan2.6-image.
            prompt_max_chars=2000,
            images=WAN26_IMAGES,
            # Reference: 004 — editing: 1K (default) or 2K or W*H with [768², 2048²] pixels;
            # interleave: W*H with [768², 1280²]; 000 — aspect 1:4 to 4:1.
            size=SizeRules(
                presets={"1K": 1280 * 1280, "2K": 2048 * 2048},
                default="1K",
                custom_pixels={
                    Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
                    Mode.INTERLEAVE: IntRange(768 * 768, 1280 * 1280),
                },
                custom_max_aspect=4,
                preset_modes=frozenset({Mode.OTHER}),
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=20.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            interleave=InterleaveRules(images=IntRange(0, 1), max_images=IntRange(1, 5), max_images_default=5),
            documents="004, 000",
        ),
        ModelCapabilities(
            name="wan2.6-t2i",
            label="Wan2.6 Text to Image",
            family="wan2.6",
            description=gettext_noop("Dedicated text-to-image; no references."),
            body_shape=BodyShape.MESSAGES,
            sync_path=MULTIMODAL_SYNC,
            async_path=MULTIMODAL_ASYNC,
            # Reference: 004, "Prompt length limit" — 2,100 characters for wan2.6-t2i.
            prompt_max_chars=2100,
            images=NO_IMAGES,
            # Reference: 004 — default 1280*1280; total [1280², 1440²]; aspect 1:4 to 4:1. The
            # same document recommends 1472*1104 and 1696*960, just under 1280²: the lower bound
            # is the smallest recommended size, so every size the document suggests is taken.
            size=SizeRules(
                default="1280*1280",
                custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(1472 * 1104, 1440 * 1440)},
                custom_max_aspect=4,
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=15.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            documents="004",
        ),
        _WAN22_FLASH,
        ModelCapabilities(
            name="wan2.5-i2i-preview",
            label="Wan2.5 Image to Image (preview)",
            family="wan2.5",
            description=gettext_noop("Editing and fusion of 1–3 images; shows the rewritten prompt."),
            body_shape=BodyShape.PROMPT,
            sync_path=None,
            async_path=IMAGE2IMAGE,
            # Reference: 000, limits table — 2,000 characters.
            prompt_max_chars=2000,
            images=WAN25_IMAGES,
            # Reference: 000 — W*H only, [768*768, 1280*1280] pixels, 1:4 to 4:1; without a
            # size the output follows the (last) input image's aspect at about 1280*1280.
            size=SizeRules(
                default="1280*1280",
                custom_pixels={Mode.OTHER: IntRange(768 * 768, 1280 * 1280)},
                custom_max_aspect=4,
                follows_input_aspect=True,
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=45.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            documents="003, 000",
        ),
        ModelCapabilities(
            name="wanx2.1-imageedit",
            label="Wanx2.1 Image Edit",
            family="wanx2.1",
            description=gettext_noop("Ten editing functions, including mask inpainting and outpainting. Beijing only."),
            body_shape=BodyShape.IMAGE_EDIT,
            sync_path=None,
            async_path=IMAGE2IMAGE,
            # Not in the documents; the studio's limit (the public API reference's 800).
            prompt_max_chars=800,
            images=WANX21_IMAGES,
            size=None,
            n=IntRange(1, 4),
            n_default=1,
            typical_seconds=12.0,
            # Reference: 001, "Pricing" (Beijing) — $0.020070/image.
            unit_prices={"beijing": Decimal("0.020070")},
            image_edit=WANX21_EDIT,
            regions=BEIJING,
            prompt_optional=True,
            # Reference: 001, the Java sample for wanx2.1-imageedit (description_edit_with_mask):
            # parameters.put("prompt_extend", true).
            supports_prompt_extend=True,
            # Reference: 001, "Pricing" — RPS limit for task submission 2, concurrent tasks 2.
            submits_per_second=2.0,
            concurrent_tasks=2,
            documents="001",
        ),
        _qwen_edit(
            "qwen-image-2.0-pro",
            "Qwen-Image 2.0 Pro",
            gettext_noop("Best text rendering; text-to-image or editing with 1–3 references."),
            text_to_image=True,
            size=_qwen_total_size(),
            n_max=6,
        ),
        _qwen_edit(
            "qwen-image-2.0",
            "Qwen-Image 2.0",
            gettext_noop("Text-to-image or editing with 1–3 references; long prompts."),
            text_to_image=True,
            size=_qwen_total_size(),
            n_max=6,
            # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-generation-and-editing-api-reference
            # — qwen-image-2.0 reads prompts of up to 1,300 tokens (the others 800 characters)
            # and cuts the rest.
            prompt_tokens=1300,
        ),
        _qwen_edit(
            "qwen-image-edit-max",
            "Qwen-Image Edit Max",
            gettext_noop("Precise text and element editing, 1–3 references."),
            text_to_image=False,
            size=_qwen_side_size(),
            n_max=6,
        ),
        _qwen_edit(
            "qwen-image-edit-plus",
            "Qwen-Image Edit Plus",
            gettext_noop("Text and element editing, 1–3 references."),
            text_to_image=False,
            size=_qwen_side_size(),
            n_max=6,
        ),
        # Reference: qwen-image-edit-api (above) — size, prompt_extend and n (1–6) belong to
        # qwen-image-edit-max and -plus; qwen-image-edit makes one image whose shape follows
        # the last reference, so none of the three is sent.
        _qwen_edit(
            "qwen-image-edit",
            "Qwen-Image Edit",
            gettext_noop("Editing with 1–3 references; one image, shaped like the last reference."),
            text_to_image=False,
            size=None,
            n_max=None,
            prompt_extend=False,
        ),
        _qwen_text_to_image("qwen-image-plus", "Qwen-Image Plus", asynchronous=True),
        _qwen_text_to_image("qwen-image-max", "Qwen-Image Max", asynchronous=False),
        ModelCapabilities(
            name="z-image-turbo",
            label="Z-Image Turbo",
            family="z-image",
            description=gettext_noop("Fast, low-cost text-to-image; one image per request."),
            body_shape=BodyShape.MESSAGES,
            # Reference: 004 — "Sync-only ... async invocation is not supported."
            sync_path=MULTIMODAL_SYNC,
            async_path=None,
            # Not in the documents; the studio's limit (the public reference's 800).
            prompt_max_chars=800,
            images=NO_IMAGES,
            # Reference: 004 — default 1024*1024 (common: 1024*1024, 1280*720, 720*1280); no
            # range is documented, so the studio takes 512*512 to 2048*2048 pixels.
            size=SizeRules(
                default="1024*1024",
                custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(512 * 512, 2048 * 2048)},
                custom_max_aspect=None,
            ),
            # Reference: 004 — "No n parameter ... the server returns 400 if n is provided".
            n=None,
            n_default=1,
            supports_watermark=False,
            typical_seconds=3.0,
            supports_prompt_extend=True,
            documents="004",
        ),
    )
}

DEFAULT_MODEL = "wan2.7-image-pro"


class UnknownModel(KeyError):
    pass


def get_model(name: str) -> ModelCapabilities:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(name) from None

