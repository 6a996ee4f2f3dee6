"""Versions: where an image came from and what was made from it (selectors, no writes).

An image's parents are the gallery images its job took as references (JobReference.source_image,
recorded by "Use as reference"); its children are the images of the jobs that took it as one.
An image whose job had no such reference (a prompt alone, or references uploaded from disk)
starts a chain. The chain a person reads is one line: back through each first parent (the
earliest reference) to the root, and forward through each newest child.

Only the image's own team is looked at, and only images in its gallery (succeeded, not in the
trash): an image carried into another team's job never shows there, nor theirs here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from studio.pipeline.models import Job, JobReference, OutputImage

# A chain longer than this is cut (and says so): a page must stay a page.
CHAIN_MAX_STEPS = 50


def team_images(team_id: int) -> QuerySet[OutputImage]:
    return OutputImage.objects.filter(job__in=Job.objects.filter(team_id=team_id).in_gallery())


def parents(image: OutputImage) -> list[OutputImage]:
    """The gallery images the image's job took as references, in reference order."""
    refs = (
        JobReference.objects.filter(job_id=image.job_id, source_image__in=team_images(image.job.team_id))
        .select_related("source_image", "source_image__job")
        .order_by("position")
    )
    return list(dict.fromkeys(ref.source_image for ref in refs))


def children(image: OutputImage) -> list[OutputImage]:
    """The images made from this one (its jobs' outputs), newest job first."""
    return list(
        team_images(image.job.team_id)
        .filter(job__references__source_image=image)
        .select_related("job")
        .distinct()
        .order_by("-job__created_at", "-job_id", "index")
    )


def siblings(image: OutputImage) -> list[OutputImage]:
    """The other images of the same job (a batch or a set), in index order."""
    return list(OutputImage.objects.filter(job_id=image.job_id).exclude(pk=image.pk).select_related("job").order_by("index"))


def has_newer_version() -> Exists:
    """For a query over OutputImage: the image has a child in its team's gallery."""
    child = OutputImage.objects.filter(
        job__references__source_image=OuterRef("pk"),
        job__team=OuterRef("job__team"),
    ).filter(job__in=Job.objects.in_gallery())
    return Exists(child)


@dataclass(frozen=True)
class Chain:
    """One line of versions, oldest first, with the image's place in it (versions[at])."""

    versions: list[OutputImage]
    at: int
    # Its other parents (a job may take several gallery images), and its job's other images.
    other_parents: list[OutputImage]
    siblings: list[OutputImage]
    cut: bool = False

    @property
    def current(self) -> OutputImage:
        return self.versions[self.at]

    @property
    def parent(self) -> OutputImage | None:
        return self.versions[self.at - 1] if self.at > 0 else None

    @property
    def numbered(self) -> list[tuple[int, OutputImage]]:
        """(version number, image): "v1" is the root."""
        return list(enumerate(self.versions, start=1))


def chain_for(image: OutputImage) -> Chain:
    """The image's line of versions: first parents back to the root, newest children forward."""
    seen = {image.pk}
    back: list[OutputImage] = []
    first_parents = parents(image)
    node_parents = first_parents
    cut = False
    while node_parents:
        parent = node_parents[0]
        # Cannot happen through the studio (a parent is older than its child), but a hand-edited
        # database must not hang a page.
        if parent.pk in seen or len(back) >= CHAIN_MAX_STEPS:
            cut = True
            break
        seen.add(parent.pk)
        back.append(parent)
        node_parents = parents(parent)
    forward: list[OutputImage] = []
    node = image
    while (newer := children(node)):
        child = next((c for c in newer if c.pk not in seen), None)
        if child is None or len(forward) >= CHAIN_MAX_STEPS:
            cut = cut or child is not None
            break
        seen.add(child.pk)
        forward.append(child)
        node = child
    back.reverse()
    return Chain(
        versions=[*back, image, *forward],
        at=len(back),
        other_parents=first_parents[1:],
        siblings=siblings(image),
        cut=cut,
    )
