"""The team page's table (a selector): who is in a team, with what role, since when, and how much
they have made there."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from studio.accounts.models import Membership, Team


def members_of(team: Team) -> QuerySet[Membership]:
    """The team's memberships by username, each with `job_count`: the member's jobs in this team
    that are not in the trash (jobs in their other teams are not this team's business)."""
    jobs_here = Q(user__jobs__team=team, user__jobs__deleted_at__isnull=True)
    return (
        team.memberships.select_related("user")
        .annotate(job_count=Count("user__jobs", filter=jobs_here))
        .order_by("user__username")
    )
