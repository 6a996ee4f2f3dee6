"""The API's operations as its served OpenAPI schema lists them, for tests that must cover every
endpoint, including the ones added after the test was written.

`operations()` is read at collection time (pytest-django has set Django up by then), so each
operation becomes its own test case. `example(schema)` makes a minimal valid-looking value from a
JSON schema: what a body needs to get past validation and reach the view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

PREFIX = "/api/v1/"
PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the schema spells it: /api/v1/images/{id}/review
    body_kind: str | None  # "json", "multipart" or None
    body_schema: dict = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def path_params(self) -> list[tuple[str, str]]:
        """(the collection the parameter names an object of, the parameter): ("images", "id")."""
        found = []
        parts = self.path.strip("/").split("/")
        for i, part in enumerate(parts):
            m = PARAM.fullmatch(part)
            if m:
                found.append((parts[i - 1] if i else "", m.group(1)))
        return found

    def url(self, values: dict[str, object]) -> str:
        return PARAM.sub(lambda m: str(values[m.group(1)]), self.path)


@cache
def schema() -> dict:
    from studio.api.api import api

    return api.get_openapi_schema(path_prefix=PREFIX)


def operations() -> list[Operation]:
    found = []
    for path, methods in schema()["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {})
            # One operation per body it takes (POST /references takes an upload or a URL in JSON).
            kinds = [(kind, content[media]["schema"]) for kind, media in (("json", "application/json"), ("multipart", "multipart/form-data")) if media in content]
            for kind, body in kinds or [(None, {})]:
                found.append(Operation(method=method, path=path, body_kind=kind, body_schema=resolve(body)))
    return found


def resolve(node: dict) -> dict:
    """The schema with its $refs followed (one level at a time, as needed)."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return resolve(schema()["components"]["schemas"][name])
    return node


def properties(body: dict) -> dict[str, dict]:
    return {name: resolve(prop) for name, prop in resolve(body).get("properties", {}).items()}


def example(node: dict, depth: int = 0):
    """A small value the schema accepts (required properties only)."""
    node = resolve(node)
    if depth > 8:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            choices = [resolve(c) for c in node[key] if resolve(c).get("type") != "null"]
            return example(choices[0], depth + 1) if choices else None
    if "default" in node:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {name: example(props[name], depth + 1) for name in node.get("required", [])}
    if kind == "array":
        return [example(node.get("items", {}), depth + 1) for _ in range(node.get("minItems", 0))]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return max(1.0, node.get("minimum", 1.0))
    if kind == "boolean":
        return False
    if kind == "string":
        if node.get("format") == "binary":
            return b""
        return "x" * max(1, node.get("minLength", 1))
    return None


def accepts_null(prop: dict) -> bool:
    """Whether the schema lets the property be null (an optional field left unset)."""
    return "null" in {resolve(c).get("type") for c in prop.get("anyOf", [prop])}


def wrong_types(prop: dict) -> list[object]:
    """Values of another type than the property's; each must be a 422 on that property's path."""
    kinds = {resolve(c).get("type") for c in prop.get("anyOf", [prop])}
    values: list[object] = []
    if "string" in kinds:
        values += [123, ["x"], {"x": 1}]
    if kinds & {"integer", "number"}:
        values += ["12", "١٢٣", "1e3", True, [1], {"n": 1}]
    if "boolean" in kinds:
        values += ["true", "yes", 2, [True]]
    if "array" in kinds:
        values += ["[]", 5, {"0": 1}]
    if "object" in kinds:
        values += ["{}", [1], 7]
    return values
