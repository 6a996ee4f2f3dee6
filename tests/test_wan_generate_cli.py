"""`python manage.py wan generate` as a person runs it: a real process against a running emulator.

The emulator runs in this test process on the real clock with no PENDING or RUNNING time, so the
command's first poll finds its task done. The command gets the studio's settings from the
environment: no DASHSCOPE_API_KEY (so it uses the emulator's key), DASHSCOPE_BASE_URL pointing at
the emulator, a data directory of its own, and a migrated database (its task queries take slots
of the account's budget there, as the studio's do).

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt (size presets, bbox_list, color_palette).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from studio.wan.capabilities import get_model, within_tolerance
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FULL_PALETTE = ["#C2D1E6:50.00", "#636574:30.00", "#DAE0EC:20.00"]
# The emulator draws each bounding box it received with an outline of this red.
BOX_OUTLINE = (0xFF, 0x3B, 0x30)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A studio database migrated once for the module, as an installed studio has one."""
    data_dir = tmp_path_factory.mktemp("migrated")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DASHSCOPE_", "DATABASE_"))}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env | {"STUDIO_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return data_dir / "db.sqlite3"


@pytest.fixture
def provider(migrated: Path, tmp_path: Path) -> Iterator[EmulatorServer]:
    # Each test gives the command tmp_path as its data directory: the database it finds there.
    shutil.copyfile(migrated, tmp_path / "db.sqlite3")
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.0, running_seconds=0.0)).start()
    yield server
    server.shutdown()


def wan_generate(
    provider: EmulatorServer, data_dir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DASHSCOPE_", "DATABASE_"))}
    env |= {"DASHSCOPE_BASE_URL": provider.url, "STUDIO_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "manage.py", "wan", "generate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def saved_sizes(out: Path) -> list[tuple[int, int]]:
    sizes = []
    for path in sorted(out.glob("*.png")):
        with Image.open(path) as image:
            assert image.format == "PNG"
            sizes.append(image.size)
    return sizes


def test_text_to_image_saves_n_pngs_of_the_preset_size(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    done = wan_generate(
        provider, tmp_path, "--prompt", "a red fox", "--n", "3", "--size", "1K", "--out", str(out)
    )

    assert done.returncode == 0, done.stderr
    # Reference: 002, size — "1K: 1024×1024"; without image input the output is a square.
    assert saved_sizes(out) == [(1024, 1024)] * 3
    assert "3 of 3 image(s) saved" in done.stdout
    assert provider.state.stats()["tasks_created"] == 1


def test_edit_with_a_box_and_a_full_palette_succeeds(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    source = tmp_path / "shop.png"
    Image.new("RGB", (600, 400), "#336699").save(source)
    out = tmp_path / "out"
    palette = [arg for entry in FULL_PALETTE for arg in ("--palette", entry)]

    done = wan_generate(
        provider,
        tmp_path,
        "--prompt", "put a clock in the box",
        "--image", str(source),
        "--bbox", "1:10,10,100,100",
        *palette,
        "--size", "1K",
        "--n", "1",
        "--out", str(out),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    [(width, height)] = saved_sizes(out)
    # Reference: 002, size — with image input the output takes its aspect (3:2) at 1K's pixels.
    asked = (round(math.sqrt(1024 * 1024 * 1.5)), round(math.sqrt(1024 * 1024 / 1.5)))
    assert within_tolerance(get_model("wan2.7-image-pro"), asked, (width, height))
    # The box reached the provider: the emulator outlines it where the user drew it.
    with Image.open(next(out.glob("*.png"))) as image:
        left_edge = round(10 / 600 * width)
        assert image.convert("RGB").getpixel((left_edge, round(50 / 400 * height))) == BOX_OUTLINE


def test_palette_summing_to_99_99_exits_1_naming_color_palette_and_writes_nothing(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    short = ["#C2D1E6:50.00", "#636574:30.00", "#DAE0EC:19.99"]
    palette = [arg for entry in short for arg in ("--palette", entry)]

    done = wan_generate(provider, tmp_path, "--prompt", "a red fox", *palette, "--out", str(out))

    assert done.returncode == 1
    assert "parameters.color_palette" in done.stderr
    assert not out.exists()
    stats = provider.state.stats()
    assert stats["tasks_created"] == stats["sync_calls"] == 0


@pytest.mark.parametrize("bbox", ["1:10,10,100", "1:a,10,100,100", "2:10,10,100,100"])
def test_bad_bbox_exits_2_naming_the_bbox_option(
    provider: EmulatorServer, tmp_path: Path, bbox: str
) -> None:
    source = tmp_path / "shop.png"
    Image.new("RGB", (600, 400), "#336699").save(source)
    out = tmp_path / "out"

    done = wan_generate(
        provider, tmp_path, "--prompt", "x", "--image", str(source), "--bbox", bbox, "--out", str(out)
    )

    assert done.returncode == 2
    assert "--bbox" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_moderated_prompt_exits_1_with_the_provider_code_and_no_traceback(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    done = wan_generate(
        provider, tmp_path, "--prompt", "a cat [fault:moderation]", "--out", str(out)
    )

    assert done.returncode == 1
    assert "DataInspectionFailed" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(out.glob("*.png")) == []


def test_sync_generation_saves_the_images_without_a_task(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    options = ["--sync", "--n", "2", "--size", "1280*720", "--out", str(out)]

    done = wan_generate(provider, tmp_path, "--prompt", "a red fox", *options)

    assert done.returncode == 0, done.stderr
    assert saved_sizes(out) == [(1280, 720)] * 2
    stats = provider.state.stats()
    assert (stats["sync_calls"], stats["tasks_created"]) == (1, 0)


def test_a_sync_only_model_is_called_synchronously_and_its_image_saved(provider: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"

    done = wan_generate(
        provider, tmp_path, "--model", "z-image-turbo", "--prompt", "a neon street", "--size", "1280*720", "--out", str(out)
    )

    assert done.returncode == 0, done.stderr
    assert saved_sizes(out) == [(1280, 720)]
    assert provider.state.stats()["sync_calls"] == 1 and provider.state.stats()["tasks_created"] == 0


def test_without_the_studios_database_it_says_to_migrate_instead_of_querying_uncounted(
    provider: EmulatorServer, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()

    done = wan_generate(provider, fresh, "--prompt", "a red fox", "--out", str(tmp_path / "out"))

    assert done.returncode == 1
    assert "run `python manage.py migrate` first" in done.stderr
    assert provider.state.stats()["tasks_created"] == 0, "nothing is paid for that could not be followed"
