from __future__ import annotations

from django.urls import path

from studio.editor import attention_views, job_views, views

app_name = "editor"

urlpatterns = [
    path("create/", views.editor, name="editor"),
    path("create/save", views.save, name="save"),
    path("create/generate", views.generate, name="generate"),
    path("create/references", views.references_upload, name="references_upload"),
    path("create/references/order", views.references_reorder, name="references_reorder"),
    path("create/references/<id:ref_id>/image", views.reference_image, name="reference_image"),
    path("create/references/<id:ref_id>/remove", views.reference_remove, name="reference_remove"),
    path("create/references/<id:ref_id>/move", views.reference_move, name="reference_move"),
    path("create/references/<id:ref_id>/mask", views.reference_mask, name="reference_mask"),
    path("create/references/<id:ref_id>/mask.png", views.reference_mask_image, name="reference_mask_image"),
    path("create/drafts/<id:draft_id>/open", views.draft_open, name="draft_open"),
    path("create/palette/<slug:action>", views.palette_action, name="palette"),
    path("jobs/attention/", attention_views.attention_list, name="attention"),
    path("jobs/<id:job_id>/attention", attention_views.job_attention, name="job_attention"),
    path("jobs/<id:job_id>/attention/adopt", attention_views.job_adopt_view, name="job_adopt"),
    path("jobs/<id:job_id>/attention/send-again", attention_views.job_send_again_view, name="job_send_again"),
    path("jobs/<id:job_id>/attention/give-up", attention_views.job_give_up_view, name="job_give_up"),
    path("jobs/<id:job_id>/card", job_views.job_card, name="job_card"),
    path("jobs/<id:job_id>/cancel", job_views.job_cancel_view, name="job_cancel"),
    path("jobs/<id:job_id>/retry", job_views.job_retry_view, name="job_retry"),
    path("jobs/<id:job_id>/images/<id:index>.png", job_views.job_image, {"kind": "full"}, name="job_image"),
    path("jobs/<id:job_id>/images/<id:index>.webp", job_views.job_image, {"kind": "thumb"}, name="job_thumb"),
]
