"""What the home page shows (a selector): the person's jobs still running, what waits for review,
the team's newest images and what is left of the team's budget.

Everything is read for one team, the active one (studio.accounts.teams), so another team's work
never appears; the image and job links lead to views that check membership again.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.accounts.models import Team
from studio.gallery.queries import gallery_jobs, review_queue
from studio.pipeline.budgets import BudgetStatus, team_budget_status
from studio.pipeline.models import Job, OutputImage, TERMINAL_STATUSES

# Enough to fill two rows of thumbnails on a wide screen; the gallery has the rest.
RECENT_IMAGES = 12
# The home page lists this many running jobs; the count says if there are more.
IN_FLIGHT_SHOWN = 8


@dataclass(frozen=True)
class InFlight:
    """The person's running jobs: the newest few, and how many there are in all."""

    jobs: list[Job]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.jobs)


@dataclass(frozen=True)
class Dashboard:
    team: Team
    in_flight: InFlight
    review_count: int
    recent_images: list[OutputImage]
    budget: BudgetStatus | None


def in_flight_for(*, team: Team, user) -> InFlight:
    """The person's own jobs in `team` that have not ended yet (queued up to downloading), newest first."""
    running = (
        Job.objects.filter(team=team, owner=user, deleted_at__isnull=True)
        .exclude(status__in=TERMINAL_STATUSES)
        .order_by("-created_at", "-pk")
    )
    return InFlight(jobs=list(running[:IN_FLIGHT_SHOWN]), count=running.count())


def recent_images(*, team: Team, limit: int = RECENT_IMAGES) -> list[OutputImage]:
    """The team's newest gallery images (succeeded jobs, not in the trash), newest first."""
    return list(
        OutputImage.objects.filter(job__in=gallery_jobs(team))
        .select_related("job")
        .order_by("-created_at", "-pk")[:limit]
    )


def dashboard_for(*, team: Team, user) -> Dashboard:
    return Dashboard(
        team=team,
        in_flight=in_flight_for(team=team, user=user),
        review_count=review_queue(team).count(),
        recent_images=recent_images(team=team),
        budget=team_budget_status(team),
    )
