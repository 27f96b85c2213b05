from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import playback_views, upload_views, watch_views

app_name = "videos"

urlpatterns = [
    # Uploads (instructors and editors): start, send chunks or get S3 part URLs, finish.
    path("unggah/", upload_views.upload_start, name="upload_start"),
    path("unggah/<uuid:upload_id>/", upload_views.upload_chunk, name="upload_chunk"),
    path(
        "unggah/<uuid:upload_id>/selesai/",
        upload_views.upload_complete,
        name="upload_complete",
    ),
    # Protected playback: playlists from Django, segments by signed URL.
    path("<row_id:video_id>/master.m3u8", playback_views.master, name="master"),
    path(
        "<row_id:video_id>/<int:height>p.m3u8",
        playback_views.rendition_playlist,
        name="rendition_playlist",
    ),
    path("<row_id:video_id>/poster.jpg", playback_views.poster, name="poster"),
    path("berkas/<str:token>/<path:name>", playback_views.segment, name="segment"),
    # Watch tracking.
    path("<row_id:video_id>/tonton/", watch_views.heartbeat, name="heartbeat"),
]
