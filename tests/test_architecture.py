"""The walls between the studio's rooms (README: Architecture): arrows point down only.

Every .py under studio/ is parsed, not imported, and every import in it counts: the ones deferred
into a function or kept under TYPE_CHECKING too, since a deferred import is still an arrow (it is
how cycles were hidden before). A failure lists each offending import as `path:line: module`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROTOCOL = "studio.wan"
EMULATOR = "studio.wan_emulator"
PIPELINE = "studio.pipeline"
# Webhook endpoints, events and their delivery: below the pipeline (it emits job events), like
# studio.accounting; their pages are a web module on top.
WEBHOOKS = "studio.webhooks"
WEBHOOK_PAGES = "studio.webhooks.pages"
WEB_APPS = ("studio.editor", "studio.gallery", "studio.billing", "studio.accounts", "studio.front", WEBHOOK_PAGES)
# Django and the packages that only run inside it.
DJANGO = ("django", "django_q", "django_htmx", "storages")
# What the web must reach through the pipeline instead: sending, building and checking requests.
# The capability table, the typed errors and responses stay open to it.
PROTOCOL_INTERNALS = ("studio.wan.client", "studio.wan.request", "studio.wan.validator*")


@dataclass(frozen=True)
class Import:
    path: str  # relative to the checkout
    line: int
    module: str  # `from a.b import c` imports "a.b.c": c may be a module, and then it is the arrow

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module}"


def within(module: str, room: str) -> bool:
    """`room` and everything under it; a trailing * also takes sibling names (validator_params)."""
    if room.endswith("*"):
        return module.startswith(room[:-1])
    return module == room or module.startswith(room + ".")


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, *, module: str, is_package: bool, path: str = "<source>") -> list[Import]:
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")
                package = package if is_package else package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found += [
                Import(path, node.lineno, base if alias.name == "*" else f"{base}.{alias.name}")
                for alias in node.names
            ]
    return found


@cache
def studio_imports() -> tuple[tuple[str, Import], ...]:
    """(importing module, import) for every import under studio/."""
    pairs: list[tuple[str, Import]] = []
    for path in sorted((ROOT / "studio").rglob("*.py")):
        module = module_of(path)
        for found in imports_in(
            path.read_text(encoding="utf-8"),
            module=module,
            is_package=path.name == "__init__.py",
            path=str(path.relative_to(ROOT)),
        ):
            pairs.append((module, found))
    return tuple(pairs)


def imports_from(room: str) -> list[Import]:
    return [found for module, found in studio_imports() if within(module, room)]


def assert_no_arrow(room: str, *, reaching: tuple[str, ...], except_for: tuple[str, ...] = ()) -> None:
    crossing = [
        str(found)
        for found in imports_from(room)
        if any(within(found.module, target) for target in reaching)
        and not any(within(found.module, allowed) for allowed in except_for)
    ]
    assert not crossing, f"{room} imports across its wall:\n" + "\n".join(crossing)


# --- the scanner itself ---------------------------------------------------------------------------


def test_the_scanner_sees_deferred_relative_and_aliased_imports() -> None:
    source = (
        "import django.db as db\n"
        "from . import sibling\n"
        "from ..wan import request\n"
        "def later():\n"
        "    from studio.wan.validator_params import check\n"
    )
    found = imports_in(source, module="studio.editor.compose", is_package=False)
    assert [each.module for each in found] == [
        "django.db",
        "studio.editor.sibling",
        "studio.wan.request",
        "studio.wan.validator_params.check",
    ]
    assert [each.line for each in found] == [1, 2, 3, 5]


@pytest.mark.parametrize("room", [PROTOCOL, EMULATOR, PIPELINE, WEBHOOKS, *WEB_APPS])
def test_every_room_named_here_exists_and_imports_something(room: str) -> None:
    # A renamed package would otherwise make every wall below hold trivially.
    assert imports_from(room), f"no module of {room} was found under studio/"


# --- the protocol and the emulator ----------------------------------------------------------------


def test_the_protocol_imports_neither_django_nor_any_other_part_of_the_studio() -> None:
    assert_no_arrow(PROTOCOL, reaching=(*DJANGO, "studio"), except_for=(PROTOCOL,))


def test_the_emulator_imports_no_django_and_of_the_studio_only_the_protocol() -> None:
    assert_no_arrow(EMULATOR, reaching=(*DJANGO, "studio"), except_for=(PROTOCOL, EMULATOR))


def test_only_the_command_line_starts_the_emulator() -> None:
    # The emulator is a separate program: the studio runs it (front's `wan emulator`, `serve`)
    # but never calls into it, so nothing it does can leak into how real jobs are handled.
    command_line = "studio/front/management/commands/wan.py"
    callers = {
        found.path
        for module, found in studio_imports()
        if within(found.module, EMULATOR) and not within(module, EMULATOR) and found.path != command_line
    }
    assert not callers, "only the command line may import the emulator:\n" + "\n".join(sorted(callers))


# --- the pipeline never reaches up into the web -----------------------------------------------------

# Who people are and what their role allows (accounts' models and team roles) is below the
# pipeline; accounts' pages (login, throttle, views, urls) are not.
PIPELINE_MAY_USE = ("studio.accounts.models", "studio.accounts.teams")


@pytest.mark.parametrize("web_app", WEB_APPS)
def test_the_pipeline_imports_no_web_app(web_app: str) -> None:
    assert_no_arrow(PIPELINE, reaching=(web_app,), except_for=PIPELINE_MAY_USE)


# --- the web reaches the protocol through the pipeline ----------------------------------------------


@pytest.mark.parametrize("web_app", WEB_APPS)
def test_a_web_app_does_not_import_the_protocols_client_builder_or_validator(web_app: str) -> None:
    assert_no_arrow(web_app, reaching=PROTOCOL_INTERNALS)


# --- webhooks sit below the pipeline; their pages above it -----------------------------------------


def test_the_webhooks_room_imports_neither_the_pipeline_nor_any_web_module() -> None:
    # The pipeline emits events into it inside its own transactions: an arrow back would be a cycle.
    crossing = [
        str(found)
        for module, found in studio_imports()
        if within(module, WEBHOOKS)
        and not within(module, WEBHOOK_PAGES)
        and any(within(found.module, target) for target in (PIPELINE, "studio.api", *WEB_APPS))
        and not any(within(found.module, allowed) for allowed in PIPELINE_MAY_USE)
    ]
    assert not crossing, f"{WEBHOOKS} imports across its wall:\n" + "\n".join(crossing)
