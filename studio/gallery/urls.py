"""The gallery's URLs: browsing and review (browse_urls), files, reuse and trash (file_urls)."""

from __future__ import annotations

from studio.gallery.browse_urls import urlpatterns as browse
from studio.gallery.file_urls import urlpatterns as files

app_name = "gallery"

urlpatterns = browse + files
