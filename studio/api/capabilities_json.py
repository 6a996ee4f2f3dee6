"""A model's entry of the capability table as the API shows it: the same figures the editor and
the validator read (studio.wan.capabilities), with each parameter's type, range and default."""

from __future__ import annotations

from studio.wan.capabilities import ModelCapabilities, parameters_of
from studio.wan.capabilities.browser import browser_limits


def _kind(parameter) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(parameter.kind, "object")


def model_json(caps: ModelCapabilities) -> dict[str, object]:
    parameters = []
    for parameter in parameters_of(caps):
        allowed = parameter.range_for(caps)
        parameters.append(
            {
                "name": parameter.name,
                "label": parameter.label,
                "type": _kind(parameter),
                "range": None if allowed is None else [allowed.lo, allowed.hi],
                "default": parameter.default,
            }
        )
    return {
        "name": caps.name,
        "family": caps.family,
        "description": caps.description,
        "synchronous": caps.sync_path is not None,
        "asynchronous": caps.async_path is not None,
        "parameters": parameters,
        "limits": browser_limits(caps),
    }
