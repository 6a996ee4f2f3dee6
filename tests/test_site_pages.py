"""The pages around the studio's work: the home dashboard, the team page and the admin.

alice is Lighthouse's admin, bob her teammate, rita Lighthouse's reviewer, mallory runs Harbour.
"""

from __future__ import annotations

import re

import pytest

from studio.accounting.models import TeamBudget
from studio.accounts.models import Membership, Role, Team
from studio.pipeline.models import Job, JobStatus, OutputImage
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import make_job

HTMX = {"HTTP_HX_REQUEST": "true"}


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def stat(page: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}"[^>]*>(.*?)</span>', page, re.S)
    assert found, f"no {name} figure on the page"
    return found.group(1).strip()


# --- Home -------------------------------------------------------------------------------------


def test_home_counts_and_links_my_running_jobs_only(alice_client, alice, bob, mallory, media):
    mine = make_job(alice, "A lighthouse at dusk")
    make_job(bob, "Bob's boat")  # a teammate's: on his home page, not on alice's
    make_job(mallory, "Harbour at night")
    finished_job(alice)  # ended: not in flight

    page = home(alice_client)

    assert stat(page, "in-flight") == "1"
    assert f'href="/create/#job-{mine.pk}"' in page and "A lighthouse at dusk" in page
    assert "Bob&#x27;s boat" not in page and "Harbour at night" not in page


def test_home_shows_the_teams_newest_images_and_never_another_teams(alice_client, alice, bob, mallory, media):
    ours = finished_job(alice, n=2, prompt="Lighthouse in fog")
    bobs = finished_job(bob, n=1, prompt="Lighthouse keeper")
    theirs = finished_job(mallory, n=1, prompt="Harbour cranes")

    page = home(alice_client)

    for image in OutputImage.objects.filter(job__in=[ours, bobs]):
        assert f'href="/gallery/images/{image.pk}/"' in page
        assert f'src="/jobs/{image.job_id}/images/{image.index}.webp"' in page
    their_image = OutputImage.objects.get(job=theirs)
    assert f"/gallery/images/{their_image.pk}/" not in page and "Harbour cranes" not in page


def test_home_counts_the_teams_review_queue(alice_client, alice, mallory, media):
    finished_job(alice, n=3)
    finished_job(mallory, n=2)

    assert stat(home(alice_client), "review") == "3"


def test_home_shows_what_is_left_of_the_teams_budget(alice_client, lighthouse, alice, media):
    TeamBudget.objects.create(team=lighthouse, monthly_images=50)
    make_job(alice, n=4)  # reserves its 4 images until it ends

    assert "46" in home(alice_client).split('id="stat-budget"')[1].split("</li>")[0]


def test_home_says_when_the_team_has_no_budget(alice_client, media):
    assert "No monthly budget set for Lighthouse" in home(alice_client)


def test_home_refreshes_running_jobs_until_none_is_left(alice_client, alice, media):
    job = make_job(alice)
    fragment = alice_client.get("/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<section class="card in-flight"') and 'hx-trigger="every 5s"' in fragment

    Job.objects.filter(pk=job.pk).update(status=JobStatus.CANCELED)
    fragment = alice_client.get("/", **HTMX).content.decode()
    # Without a trigger in the swapped-in section, htmx stops polling.
    assert "hx-trigger" not in fragment and "Nothing running" in fragment


def test_home_tells_someone_in_no_team_how_to_join(client, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="loner-password-1")
    client.force_login(loner)
    page = home(client)
    assert "you are not in one yet" in page and "loner" in page


# --- The team page ----------------------------------------------------------------------------


def test_team_page_lists_members_with_role_joined_date_and_jobs_here(alice_client, alice, bob, media):
    finished_job(alice, n=1)
    finished_job(alice, n=1)
    # A second team of alice's (named after Lighthouse, so Lighthouse stays the active one).
    tidewater = Team.objects.create(name="Tidewater")
    Membership.objects.create(user=alice, team=tidewater, role=Role.MEMBER)
    finished_job(alice, n=1, team=tidewater)  # another team's work is not counted here

    page = alice_client.get("/accounts/team/").content.decode()

    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page)
    assert headers == ["Name", "Role", "Joined", "Jobs", "Actions"]
    rows = {name: row for name, row in re.findall(r'<th scope="row" class="member-name">\s*(\w+)(.*?)</tr>', page, re.S)}
    assert set(rows) == {"alice", "bob"}
    assert re.search(r'<td class="num">2</td>', rows["alice"]) and re.search(r'<td class="num">0</td>', rows["bob"])
    joined = Membership.objects.get(user=bob, team__name="Lighthouse").joined_at.strftime("%Y-%m-%d")
    assert joined in rows["bob"]


def test_team_page_names_each_members_buttons_for_screen_readers(alice_client, bob):
    page = alice_client.get("/accounts/team/").content.decode()
    assert 'Remove<span class="visually-hidden"> bob</span>' in page
    assert 'Change<span class="visually-hidden"> role of bob</span>' in page


def test_inviting_an_unknown_username_is_refused_next_to_the_field(alice_client):
    response = alice_client.post("/accounts/team/invite", {"username": "nobdy", "role": "member"})

    assert response.status_code == 422
    page = response.content.decode()
    assert '<ul class="errorlist" id="invite-problem"><li>There is no user called “nobdy”.</li></ul>' in page
    assert 'value="nobdy" aria-invalid="true" aria-describedby="invite-problem"' in page
    assert Membership.objects.filter(team__name="Lighthouse").count() == 1


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(alice)
    return client


def test_the_admin_is_branded(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert "<title>Teams, jobs, prices and budgets | Wan Studio admin</title>" in page
    assert "Wan Studio admin</a>" in page and "img/favicon" in page


def test_the_admin_lists_and_finds_jobs(staff_client, alice, mallory, media):
    fog = finished_job(alice, prompt="Lighthouse in fog")
    cranes = finished_job(mallory, prompt="Harbour cranes")

    listing = staff_client.get("/admin/pipeline/job/", {"q": "fog"}).content.decode()
    assert f"/admin/pipeline/job/{fog.pk}/change/" in listing and f"/admin/pipeline/job/{cranes.pk}/change/" not in listing

    by_team = staff_client.get("/admin/pipeline/job/", {"team__id__exact": cranes.team_id}).content.decode()
    assert f"/admin/pipeline/job/{cranes.pk}/change/" in by_team and f"/admin/pipeline/job/{fog.pk}/change/" not in by_team
    # Read only: a job's state moves only through the pipeline.
    assert staff_client.post(f"/admin/pipeline/job/{fog.pk}/change/", {"status": "failed"}).status_code == 403


def test_the_admin_lists_teams_with_their_members_and_jobs(staff_client, alice, bob, mallory, media):
    finished_job(alice)
    page = staff_client.get("/admin/accounts/team/").content.decode()
    row = page.split(">Lighthouse</a>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="field-(\w+)">(\d+)</td>', row) == [("member_count", "2"), ("job_count", "1")]


def test_the_admin_keeps_an_admin_in_every_team(staff_client, alice, lighthouse):
    membership = Membership.objects.get(user=alice, team=lighthouse)
    form = {
        "name": "Lighthouse",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(membership.pk),
        "memberships-0-team": str(lighthouse.pk),
        "memberships-0-user": str(alice.pk),
        "memberships-0-role": Role.MEMBER,
    }
    response = staff_client.post(f"/admin/accounts/team/{lighthouse.pk}/change/", form)
    assert response.status_code == 200 and "A team needs at least one admin." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
