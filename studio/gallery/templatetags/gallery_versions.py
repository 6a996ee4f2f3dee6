"""The image page's chain of versions as one tag, so the page needs one line for it."""

from __future__ import annotations

from django import template

from studio.gallery import versions
from studio.pipeline.models import OutputImage

register = template.Library()


@register.inclusion_tag("gallery/_versions.html")
def version_chain(image: OutputImage) -> dict[str, object]:
    # The page's view already checked the image is the person's to see; the chain stays in its team.
    return {"image": image, "chain": versions.chain_for(image)}
