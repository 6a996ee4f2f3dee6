"""The emulator's result images show what was asked: size, count, seed, watermark, palette, boxes.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, size ("With image input: the output aspect
ratio matches the input image (the last one...)", "Without image input: the output is a square"),
n, enable_sequential, watermark ("AI Generated" in the bottom-right corner), color_palette, seed.
"""

from __future__ import annotations

from collections import Counter

from PIL import Image, ImageChops

from studio.wan.capabilities import get_model, output_size, within_tolerance
from tests.emulator_fixtures import Emulator, body, image_urls, open_png
from tests.images import png_data_url


def generate_images(
    emulator: Emulator, request: dict[str, object]
) -> tuple[dict[str, object], list[Image.Image]]:
    response = emulator.generate(request)
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer, [open_png(emulator.download(url)) for url in image_urls(answer)]


def test_text_to_image_is_square_at_1k_and_2k(emulator: Emulator) -> None:
    for size, side in (("1K", 1024), ("2K", 2048)):
        answer, images = generate_images(emulator, body(size=size))

        assert images[0].size == (side, side)
        assert answer["usage"]["size"] == f"{side}*{side}"  # type: ignore[index]


def test_edit_takes_the_aspect_of_the_last_input_image(emulator: Emulator) -> None:
    request = body(images=[png_data_url(600, 400), png_data_url(300, 900)], size="1K")

    answer, images = generate_images(emulator, request)

    promised = output_size(get_model("wan2.7-image"), size="1K", last_image=(300, 900))
    assert within_tolerance(get_model("wan2.7-image"), promised, images[0].size)
    assert abs(images[0].width / images[0].height - 1 / 3) < 0.02
    assert answer["usage"]["size"] == f"{images[0].width}*{images[0].height}"  # type: ignore[index]


def test_custom_size_is_exact(emulator: Emulator) -> None:
    _, images = generate_images(emulator, body(size="1280*720"))

    assert images[0].size == (1280, 720)


def test_n_images_are_distinct(emulator: Emulator) -> None:
    answer = emulator.generate(body(n=3, seed=7)).json()
    downloads = [emulator.download(url) for url in image_urls(answer)]

    assert answer["usage"]["image_count"] == 3
    assert len(set(downloads)) == 3
    assert {open_png(data).size for data in downloads} == {(1024, 1024)}


def test_sequential_mode_gives_at_most_n_frames(emulator: Emulator) -> None:
    answer = emulator.generate(body("Four seasons of a cat", n=3, enable_sequential=True)).json()

    count = answer["usage"]["image_count"]
    assert 1 <= count <= 3
    assert len(image_urls(answer)) == count


def test_same_request_and_seed_give_the_same_bytes(emulator: Emulator) -> None:
    request = body("A lighthouse at dusk", seed=1234, images=[png_data_url(400, 300, "#884422")])

    first = emulator.download(emulator.image_urls(request)[0])
    second = emulator.download(emulator.image_urls(request)[0])
    other_seed = emulator.download(
        emulator.image_urls({**request, "parameters": {**request["parameters"], "seed": 99}})[0]
    )

    assert first == second
    assert other_seed != first


def test_request_without_seed_is_still_deterministic(emulator: Emulator) -> None:
    request = body("A lighthouse at dusk")

    assert emulator.download(emulator.image_urls(request)[0]) == emulator.download(
        emulator.image_urls(request)[0]
    )


def test_watermark_marks_the_bottom_right_corner(emulator: Emulator) -> None:
    _, (plain,) = generate_images(emulator, body(seed=5, watermark=False))
    _, (marked,) = generate_images(emulator, body(seed=5, watermark=True))

    width, height = plain.size
    corner = (width * 3 // 4, height * 15 // 16, width, height)
    top_left = (0, 0, width // 2, height // 4)
    corner_diff = ImageChops.difference(plain.crop(corner), marked.crop(corner)).convert("L")
    changed = corner_diff.point(lambda v: 255 if v > 40 else 0).histogram()[255]
    assert changed > 0.05 * corner_diff.width * corner_diff.height
    assert ImageChops.difference(plain.crop(top_left), marked.crop(top_left)).getbbox() is None


def test_palette_colours_appear_in_their_proportions(emulator: Emulator) -> None:
    colours = {"#C2D1E6": "60.00%", "#636574": "25.00%", "#D94F30": "15.00%"}
    request = body("x", color_palette=[{"hex": h, "ratio": r} for h, r in colours.items()])

    _, (image,) = generate_images(emulator, request)

    counts = Counter({colour: n for n, colour in image.getcolors(maxcolors=image.width * image.height)})
    total = image.width * image.height
    for hex_colour, ratio in colours.items():
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        share = counts[rgb] / total
        assert abs(share - float(ratio.rstrip("%")) / 100) < 0.04, (hex_colour, share)


def test_first_image_is_pasted_into_the_box_of_the_edited_image(emulator: Emulator) -> None:
    red = png_data_url(400, 400, "#ff0000")
    blue = png_data_url(800, 400, "#0000ff")
    request = body("put it there", images=[red, blue], bbox_list=[[], [[400, 100, 700, 300]]], seed=3)

    _, (image,) = generate_images(emulator, request)

    assert abs(image.width / image.height - 2) < 0.05
    inside = image.getpixel((image.width * 550 // 800, image.height * 150 // 400))
    outside = image.getpixel((image.width * 150 // 800, image.height * 350 // 400))
    assert inside[0] > 200 and inside[2] < 60  # red: the reference
    assert outside[2] > outside[0] + 80  # mostly blue: the edited image as backdrop


def test_4k_text_to_image_renders_at_full_size(emulator: Emulator) -> None:
    _, (image,) = generate_images(emulator, body(model="wan2.7-image-pro", size="4K"))

    assert image.size == (4096, 4096)
