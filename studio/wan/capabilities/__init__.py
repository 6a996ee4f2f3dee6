"""Every documented limit of the image models, written once.

The validator, the request builder, the emulator, the forms, the templates and the JavaScript
widgets all read their numbers from this table; nothing else in the code base spells out 9, 2,
5000 or 768*768. The package is split by what each part does:

* schema — the shape of an entry (ranges, modes, body shapes, per-model rules);
* limits and models — the data, one entry per model, with a reference beside each rule;
* parameters — which request parameters exist, who takes them and how each maps;
* endpoints — paths, regions, task statuses, result hosts;
* ratios — a palette share as the reference writes it ("23.51%");
* geometry — "W*H" sizes and the output a request promises;
* browser — the limits as JSON for the page's widgets.

Everything is re-exported here, so `from studio.wan.capabilities import X` keeps working.
"""

from __future__ import annotations

from studio.wan.capabilities.browser import browser_limits
from studio.wan.capabilities.endpoints import (
    IMAGE2IMAGE,
    MULTIMODAL_ASYNC,
    MULTIMODAL_SYNC,
    REGION_BASE_URLS,
    RESULT_HOSTS,
    RESULT_TTL_SECONDS,
    TASK_LIST_DEFAULT_PAGE_SIZE,
    TASK_LIST_MAX_SPAN_SECONDS,
    TASK_QUERIES_PER_SECOND,
    TASK_STATUSES,
    TERMINAL_TASK_STATUSES,
    TEXT2IMAGE,
)
from studio.wan.capabilities.geometry import output_size, parse_size, within_tolerance
from studio.wan.capabilities.models import DEFAULT_MODEL, MODELS, UnknownModel, get_model
from studio.wan.capabilities.parameters import (
    BY_NAME,
    OPTIONS,
    PARAMETERS,
    Carrier,
    Parameter,
    Stored,
    function_owners,
    known_parameters,
    parameters_of,
)
from studio.wan.capabilities.ratios import format_ratio, parse_ratio
from studio.wan.capabilities.schema import (
    EXPAND_SCALES,
    SEED_RANGE,
    BodyShape,
    EditFunction,
    FloatRange,
    ImageEditRules,
    ImageLimits,
    InterleaveRules,
    IntRange,
    Mode,
    ModelCapabilities,
    PaletteRules,
    SizeRules,
    mode_for,
)

__all__ = [
    "BY_NAME",
    "OPTIONS",
    "PARAMETERS",
    "Carrier",
    "Parameter",
    "Stored",
    "format_ratio",
    "function_owners",
    "parse_ratio",
    "known_parameters",
    "parameters_of",
    "DEFAULT_MODEL",
    "EXPAND_SCALES",
    "IMAGE2IMAGE",
    "MODELS",
    "MULTIMODAL_ASYNC",
    "MULTIMODAL_SYNC",
    "REGION_BASE_URLS",
    "RESULT_HOSTS",
    "RESULT_TTL_SECONDS",
    "SEED_RANGE",
    "TASK_LIST_DEFAULT_PAGE_SIZE",
    "TASK_LIST_MAX_SPAN_SECONDS",
    "TASK_QUERIES_PER_SECOND",
    "TASK_STATUSES",
    "TERMINAL_TASK_STATUSES",
    "TEXT2IMAGE",
    "BodyShape",
    "EditFunction",
    "FloatRange",
    "ImageEditRules",
    "ImageLimits",
    "InterleaveRules",
    "IntRange",
    "Mode",
    "ModelCapabilities",
    "PaletteRules",
    "SizeRules",
    "UnknownModel",
    "browser_limits",
    "get_model",
    "mode_for",
    "output_size",
    "parse_size",
    "within_tolerance",
]
