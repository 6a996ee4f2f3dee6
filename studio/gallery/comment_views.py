"""What a person does to one comment: start an edit from it, mark it resolved (or open again).

The comment is looked up through its image, so another team's comment is a 404 like its image.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from studio.gallery import comment_presenters, region_comments
from studio.gallery.action_views import _answer, _image
from studio.gallery.models import Comment


def _comment(request: HttpRequest, output_id: int, comment_id: int):
    output, membership = _image(request, output_id)
    return output, membership, get_object_or_404(Comment.objects.select_related("image__job"), pk=comment_id, image=output)


@require_POST
def comment_edit(request: HttpRequest, output_id: int, comment_id: int) -> HttpResponse:
    """"Edit from this comment": a new draft made of the image, the boxes and the text."""
    output, membership, comment = _comment(request, output_id, comment_id)
    if membership is None:
        return HttpResponseForbidden(_("Only members of the image's team can start an edit."))
    try:
        region_comments.draft_from_comment(comment=comment, owner=request.user)
    except region_comments.EditRefused as exc:
        messages.error(request, _("No draft started: %(why)s") % {"why": exc})
        return redirect("gallery:image", output.pk)
    messages.success(
        request,
        _("A new draft from the comment on image %(n)s of job %(job)s; your previous draft is kept.")
        % {"n": output.index + 1, "job": output.job_id},
    )
    return redirect("editor:editor")


@require_POST
def comment_resolve(request: HttpRequest, output_id: int, comment_id: int) -> HttpResponse:
    output, membership, comment = _comment(request, output_id, comment_id)
    try:
        region_comments.comment_resolve(
            comment=comment, by=request.user, membership=membership, resolved=request.POST.get("resolved") != "0"
        )
    except region_comments.ResolveRefused as exc:
        return HttpResponseForbidden(str(exc))
    context = comment_presenters.comments_context(output, request.user, membership)
    return _answer(request, output, "comments", context)
