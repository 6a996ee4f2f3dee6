"""The gallery grid and an image's page: what a team sees, how it filters, pages and opens work.

Driven through Django's test client; htmx requests carry the HX-Request header as the page's do.
"""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.gallery import queries
from studio.gallery.models import Board, BoardItem, ImageReview, ReviewState, Star
from studio.pipeline.models import Job
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import make_job, png_reference

HTMX = {"HTTP_HX_REQUEST": "true"}



@pytest.fixture
def gallery(alice_client, media):
    return alice_client


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=dt_timezone.utc)


def shown(response) -> list[int]:
    """The ids of the images whose tiles (or frames) a grid response shows, in order."""
    return shown_in(response.content.decode())


def ids(job: Job) -> list[int]:
    return list(job.outputs.order_by("index").values_list("pk", flat=True))


def approve(image, by) -> None:
    ImageReview.objects.update_or_create(image=image, defaults={"state": ReviewState.APPROVED, "set_by": by})


# --- The grid -------------------------------------------------------------------------------


def test_grid_shows_the_teams_images_newest_first(gallery, alice, bob):
    old = finished_job(alice, prompt="An old harbour", created_at=at("2025-01-01T10:00"))
    new = finished_job(bob, prompt="A new pier", created_at=at("2025-02-01T10:00"))
    response = gallery.get("/gallery/")
    assert response.status_code == 200
    assert shown(response) == ids(new) + ids(old)
    page = response.content.decode()
    assert f"/jobs/{new.pk}/images/0.webp" in page  # WebP thumbnails, through the access-checked view
    assert "A new pier" in page and "bob" in page
    # Each tile can join the "download selected as ZIP" form.
    assert f'name="images" value="{ids(new)[0]}" form="selection-zip"' in page


def test_grid_leaves_out_unfinished_and_trashed_jobs(gallery, alice):
    kept = finished_job(alice, prompt="Kept")
    trashed = finished_job(alice, prompt="Thrown away")
    Job.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now(), deleted_by=alice)
    make_job(alice, "Still queued")
    response = gallery.get("/gallery/")
    assert shown(response) == ids(kept)
    assert "Thrown away" not in response.content.decode()
    assert "Still queued" not in response.content.decode()


def test_an_empty_gallery_says_so(gallery):
    assert "No images yet" in gallery.get("/gallery/").content.decode()


def test_a_person_in_no_team_gets_404(client, django_user_model, media):
    loner = django_user_model.objects.create_user("loner", password="loner-password-1")
    client.force_login(loner)
    assert client.get("/gallery/").status_code == 404


# --- Filters (each one changes what is shown) -------------------------------------------------


def test_author_filter(gallery, alice, bob):
    mine, bobs = finished_job(alice), finished_job(bob)
    assert shown(gallery.get("/gallery/", {"author": "bob"})) == ids(bobs)
    assert shown(gallery.get("/gallery/", {"author": "alice"})) == ids(mine)


def test_model_filter(gallery, alice):
    fast = finished_job(alice, model="wan2.7-image")
    pro = finished_job(alice, model="wan2.7-image-pro")
    assert shown(gallery.get("/gallery/", {"model": "wan2.7-image-pro"})) == ids(pro)
    assert shown(gallery.get("/gallery/", {"model": "wan2.7-image"})) == ids(fast)


def test_review_state_filter_picks_images_within_a_batch(gallery, alice):
    job = finished_job(alice, n=3)
    first, second, third = job.outputs.order_by("index")
    approve(second, alice)
    ImageReview.objects.create(image=third, state=ReviewState.UNREVIEWED)  # set back to unreviewed
    approved = gallery.get("/gallery/", {"state": "approved"})
    assert shown(approved) == [second.pk]
    assert '<span class="state state-approved">Approved</span>' in approved.content.decode()
    assert shown(gallery.get("/gallery/", {"state": "unreviewed"})) == [first.pk, third.pk]
    assert shown(gallery.get("/gallery/", {"state": "rejected"})) == []


def test_starred_filter_is_per_person(gallery, alice, bob, client):
    job = finished_job(alice, n=2)
    first, second = job.outputs.order_by("index")
    Star.objects.create(user=alice, image=second)
    assert shown(gallery.get("/gallery/", {"starred": "on"})) == [second.pk]
    client.force_login(bob)
    assert shown(client.get("/gallery/", {"starred": "on"})) == []


def test_board_filter(gallery, alice, lighthouse):
    job = finished_job(alice, n=2)
    other = finished_job(alice, n=1)
    board = Board.objects.create(team=lighthouse, name="Campaign", created_by=alice)
    BoardItem.objects.create(board=board, image=job.outputs.get(index=1), added_by=alice)
    BoardItem.objects.create(board=board, image=other.outputs.get(), added_by=alice)
    assert shown(gallery.get("/gallery/", {"board": board.pk})) == ids(other) + [job.outputs.get(index=1).pk]


def test_date_range_filter(gallery, alice):
    january = finished_job(alice, created_at=at("2025-01-10T12:00"))
    march = finished_job(alice, created_at=at("2025-03-10T12:00"))
    assert shown(gallery.get("/gallery/", {"from": "2025-02-01"})) == ids(march)
    assert shown(gallery.get("/gallery/", {"to": "2025-02-01"})) == ids(january)
    assert shown(gallery.get("/gallery/", {"from": "2025-01-10", "to": "2025-01-10"})) == ids(january)


def test_text_search_in_prompts_ignores_case(gallery, alice):
    fox = finished_job(alice, prompt="A red FOX in the snow")
    finished_job(alice, prompt="A lighthouse at dawn")
    assert shown(gallery.get("/gallery/", {"q": "fox"})) == ids(fox)


def test_filters_combine_and_the_form_keeps_them_for_a_shared_link(gallery, alice, bob, client):
    finished_job(alice, prompt="Fox by alice")
    bobs = finished_job(bob, prompt="Fox by bob")
    finished_job(bob, prompt="Owl by bob")
    url = "/gallery/?q=fox&author=bob"
    response = gallery.get(url)
    assert shown(response) == ids(bobs)
    page = response.content.decode()
    assert 'name="q" value="fox"' in page
    assert '<option value="bob" selected>' in page
    client.force_login(bob)  # a teammate opening the same link sees the same images
    assert shown(client.get(url)) == ids(bobs)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"state": "lovely"}, "Review state"),
        ({"model": "dall-e"}, "Model"),
        ({"author": "nobody"}, "Author"),
        ({"from": "yesterday"}, "From"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "To"),
        ({"board": "999999"}, "Board"),
        ({"cursor": "not-a-cursor"}, "Page position"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(gallery, alice, query, named):
    response = gallery.get("/gallery/", query)
    assert response.status_code == 400
    assert f"{named}:" in response.content.decode()


# --- Paging -----------------------------------------------------------------------------------


def test_scrolling_loads_every_image_once_in_order(gallery, alice, monkeypatch):
    monkeypatch.setattr(queries, "GRID_PAGE_JOBS", 2)
    same_moment = at("2025-05-05T05:05")  # ties are broken by id, so none is lost or repeated
    jobs = [finished_job(alice, n=1, prompt=f"Fox {i}", created_at=same_moment) for i in range(5)]
    expected = [job.outputs.get().pk for job in reversed(jobs)]

    first = gallery.get("/gallery/", {"q": "fox"})
    seen = shown(first)
    page = first.content.decode()
    sentinel = re.search(r'<li class="sentinel" hx-get="([^"]+)"\s+hx-trigger="revealed"', page)
    while sentinel:
        url = sentinel.group(1).replace("&amp;", "&")
        assert "q=fox" in url  # the filters travel with the cursor
        more = gallery.get(url, **HTMX)
        assert "<h1>" not in more.content.decode()  # only tiles and the next sentinel
        seen += shown(more)
        sentinel = re.search(r'hx-get="([^"]+)"\s+hx-trigger="revealed"', more.content.decode())
    assert seen == expected


def test_the_last_page_has_no_sentinel(gallery, alice):
    finished_job(alice)
    assert 'hx-trigger="revealed"' not in gallery.get("/gallery/").content.decode()


# --- Sequential sets --------------------------------------------------------------------------


def test_a_sequential_set_is_one_strip_of_its_frames(gallery, alice):
    story = finished_job(alice, n=4, sequential=True, prompt="A fox's day in four frames")
    batch = finished_job(alice, n=2)
    page = gallery.get("/gallery/").content.decode()
    strip = re.search(r'<li class="tile strip">(.*?)</ol>', page, re.S).group(1)
    assert f"Storyboard of job {story.pk}: 4 frames" in strip
    assert shown_in(strip) == ids(story)
    assert page.count('<li class="tile strip">') == 1
    assert page.count('<li class="tile">') == len(ids(batch))


def shown_in(html: str) -> list[int]:
    # A tile links to its image twice (the picture, and its "Open" action): each id counts once.
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/gallery/images/(\d+)/"', html)))


def test_a_strip_stays_whole_under_an_image_filter(gallery, alice):
    story = finished_job(alice, n=3, sequential=True)
    approve(story.outputs.get(index=1), alice)
    assert shown(gallery.get("/gallery/", {"state": "approved"})) == ids(story)


def test_a_set_opens_frame_by_frame(gallery, alice):
    story = finished_job(alice, n=3, sequential=True)
    first, second, third = ids(story)
    page = gallery.get(f"/gallery/images/{second}/").content.decode()
    assert "Frame 2 of 3" in page
    assert f'rel="prev" href="/gallery/images/{first}/"' in page
    assert f'rel="next" href="/gallery/images/{third}/"' in page
    last = gallery.get(f"/gallery/images/{third}/").content.decode()
    assert "Last frame" in last and 'rel="next"' not in last


# --- The number of queries does not grow with the images --------------------------------------


def grid_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/gallery/")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_grid_query_count_does_not_grow_with_images(gallery, alice, bob, lighthouse):
    board = Board.objects.create(team=lighthouse, name="Picks", created_by=alice)

    def add(count: int) -> None:
        # A mix of what a tile shows: batches and sets, reviews, stars, boards, two authors.
        for i in range(count):
            job = finished_job(alice if i % 2 else bob, n=2, sequential=i % 5 == 0)
            first, second = job.outputs.all()
            approve(first, alice)
            Star.objects.create(user=alice, image=second)
            BoardItem.objects.create(board=board, image=first, added_by=alice)

    add(2)  # 4 images
    few = grid_queries(gallery)
    add(18)  # 40 images
    many = grid_queries(gallery)
    assert len(shown(gallery.get("/gallery/"))) == 40
    assert many == few
    assert few <= 10  # session, user, team, banner, teams, authors, boards, jobs, images


# --- An image's page --------------------------------------------------------------------------


def test_image_page_shows_how_it_was_made(gallery, alice):
    refs = [
        png_reference(480, 320, "#2a6f97", boxes=[(10, 20, 110, 220), (200, 40, 400, 300)]),
        png_reference(360, 240, "#f4a261"),
    ]
    job = finished_job(
        alice,
        prompt="Put the fox from image 1 into image 2",
        n=2,
        references=refs,
        palette=[("#FF0000", 6000), ("#00AA00", 3000), ("#0000FF", 1000)],
        seed=1234,
        watermark=False,
        created_at=at("2025-04-01T09:00"),
    )
    image = job.outputs.get(index=1)
    response = gallery.get(f"/gallery/images/{image.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'src="/jobs/{job.pk}/images/1.png"' in page  # the full image
    assert "Put the fox from image 1 into image 2" in page
    assert "Made by <strong>alice</strong>" in page
    # References, with their boxes drawn over them in the reference's own pixels.
    assert f'src="/gallery/jobs/{job.pk}/references/0"' in page
    assert f'src="/gallery/jobs/{job.pk}/references/1"' in page
    assert 'viewBox="0 0 480 320"' in page
    assert '<rect x="10" y="20" width="100" height="200" data-box="1"/>' in page
    assert '<rect x="200" y="40" width="200" height="260" data-box="2"/>' in page
    # The palette as swatches with the exact ratios sent.
    assert "<code>#FF0000</code> <span class=\"ratio\">60.00%</span>" in page
    assert "<code>#00AA00</code> <span class=\"ratio\">30.00%</span>" in page
    # Every parameter, the provider's ids, usage, cost, timings.
    # As people read them: labels from the capability table (API names beside them), "Off" not False.
    for label, name, value in (
        ("Seed", "seed", "1234"),
        ("Number of images", "n", "2"),
        ("Size", "size", "1K"),
        ("Watermark", "watermark", "Off"),
        ("Image set", "enable_sequential", "Off"),
    ):
        assert f'<dt>{label} <span class="api-name" translate="no">{name}</span></dt><dd>{value}</dd>' in page
    assert job.task_id in page and job.request_id in page
    assert "<dt>image_count</dt><dd>2</dd>" in page
    assert "0.03 USD × 2 = <strong>0.06 USD</strong>" in page  # Job.unit_price() × usage_image_count
    assert '<th scope="row">Submitted</th>' in page and "2025-04-01 09:00:02" in page
    assert '<th scope="row">Done</th>' in page and "2025-04-01 09:00:40" in page
    assert "40.0 s" in page  # queued to done


def test_reference_file_is_served_with_a_fixed_type_and_nosniff(gallery, alice):
    job = finished_job(alice, references=[png_reference(320, 240, "#123456")])
    response = gallery.get(f"/gallery/jobs/{job.pk}/references/0")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    with job.references.get().file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert gallery.get(f"/gallery/jobs/{job.pk}/references/1").status_code == 404


def test_image_page_shows_the_mask_sent_with_a_reference(gallery, alice):
    # Issue 15: the painted mask (wanx2.1 mask editing) was sent but not shown.
    import dataclasses
    import io

    from PIL import Image

    painted = Image.new("L", (600, 520), 0)
    painted.paste(255, (100, 80, 300, 240))
    out = io.BytesIO()
    painted.save(out, "PNG")
    ref = dataclasses.replace(png_reference(600, 520), mask=out.getvalue())
    job = finished_job(alice, n=1, model="wanx2.1-imageedit", references=[ref], size=None,
                       function="description_edit_with_mask")
    page = gallery.get(f"/gallery/images/{job.outputs.get().pk}/").content.decode()
    assert f'src="/gallery/jobs/{job.pk}/references/0/mask"' in page
    assert "Mask sent with reference image 1: white is edited, black kept" in page

    response = gallery.get(f"/gallery/jobs/{job.pk}/references/0/mask")
    assert (response.status_code, response["Content-Type"], response["X-Content-Type-Options"]) == (200, "image/png", "nosniff")
    assert b"".join(response.streaming_content) == out.getvalue()


def test_a_reference_sent_without_a_mask_has_no_mask_file(gallery, alice):
    job = finished_job(alice, references=[png_reference(320, 240)])
    assert "/references/0/mask" not in gallery.get(f"/gallery/images/{job.outputs.first().pk}/").content.decode()
    assert gallery.get(f"/gallery/jobs/{job.pk}/references/0/mask").status_code == 404


def test_image_page_offers_the_files_and_reuse_actions_that_exist(gallery, alice):
    from django.urls import NoReverseMatch, reverse

    job = finished_job(alice, n=1)
    image = job.outputs.get()
    page = gallery.get(f"/gallery/images/{image.pk}/").content.decode()
    for name, arg, label in (
        ("gallery:reuse", job.pk, "Reuse settings"),
        ("gallery:use_as_reference", image.pk, "Use as reference"),
        ("gallery:download", image.pk, "Download PNG"),
        ("gallery:job_zip", job.pk, "Download ZIP"),
    ):
        try:
            url = reverse(name, args=[arg])
        except NoReverseMatch:  # built by the files helper; the page leaves the button out until then
            assert label not in page
        else:
            assert f'"{url}"' in page and label in page


def test_image_of_a_trashed_job_is_gone_from_the_gallery(gallery, alice):
    job = finished_job(alice, n=1)
    Job.objects.filter(pk=job.pk).update(deleted_at=timezone.now(), deleted_by=alice)
    assert gallery.get(f"/gallery/images/{job.outputs.get().pk}/").status_code == 404
