"""The gallery's URLs: browsing and review (browse_urls), files, reuse and trash (file_urls), compare (version_urls)."""

from __future__ import annotations

from studio.gallery.browse_urls import urlpatterns as browse
from studio.gallery.file_urls import urlpatterns as files
from studio.gallery.version_urls import urlpatterns as version_urls

app_name = "gallery"

urlpatterns = browse + files + version_urls
