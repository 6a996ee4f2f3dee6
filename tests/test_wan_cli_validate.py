"""`python manage.py wan validate [PATH|-]` as a real process: exit 0 valid, 1 invalid, 2 not JSON."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from studio.wan.cli import validate_main

PROJECT = Path(__file__).resolve().parent.parent

VALID = {
    "model": "wan2.7-image-pro",
    "input": {"messages": [{"role": "user", "content": [{"text": "A flower shop with a wooden door"}]}]},
    "parameters": {"size": "2K", "n": 1, "watermark": False, "thinking_mode": True},
}


def wan_validate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "wan", "validate", *args],
        cwd=PROJECT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_valid_file_exits_0_without_problem_lines(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(VALID))
    result = wan_validate(str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_invalid_body_exits_1_with_a_path_and_message_per_problem(tmp_path: Path) -> None:
    body = json.loads(json.dumps(VALID))
    body["parameters"].update(n=5, size="4K", seed=-1)
    body["input"]["messages"][0]["content"].insert(0, {"image": "https://example.com/cat.png"})
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    result = wan_validate(str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    problems = [line for line in lines if not line.startswith("note:")]
    assert [line.split(": ", 1)[0] for line in problems] == ["parameters.n", "parameters.seed", "parameters.size"]
    assert "parameters.n: 5 is outside 1–4" in result.stdout


def test_garbage_on_stdin_exits_2_with_a_message_and_no_traceback() -> None:
    result = wan_validate("-", stdin="this is not { json")
    assert result.returncode == 2
    assert "stdin is not JSON" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_http_url_image_is_valid_with_a_note_line() -> None:
    body = json.loads(json.dumps(VALID))
    body["input"]["messages"][0]["content"].insert(0, {"image": "http://wanx.alicdn.com/material/xxx.jpeg"})
    del body["parameters"]["thinking_mode"]
    result = wan_validate("-", stdin=json.dumps(body))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "note: input.messages[0].content[0].image: pixel checks skipped for an http(s) URL "
        "(the validator does not fetch it)"
    ]


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    out = io.StringIO()
    assert validate_main(str(tmp_path / "nope.json"), stdout=out, stdin=io.StringIO()) == 2
    assert out.getvalue().startswith(f"cannot read {tmp_path / 'nope.json'}")


def test_nan_is_not_json() -> None:
    out = io.StringIO()
    assert validate_main("-", stdout=out, stdin=io.StringIO('{"n": NaN}')) == 2
    assert "NaN" in out.getvalue()


def test_deeply_nested_input_exits_2_without_a_traceback() -> None:
    out = io.StringIO()
    assert validate_main("-", stdout=out, stdin=io.StringIO("[" * 100_000)) == 2
    assert out.getvalue().count("\n") == 1


def test_valid_json_that_is_not_an_object_is_invalid_not_garbage() -> None:
    out = io.StringIO()
    assert validate_main("-", stdout=out, stdin=io.StringIO("[1, 2]")) == 1
    assert out.getvalue() == "body: must be a JSON object, not an array\n"
