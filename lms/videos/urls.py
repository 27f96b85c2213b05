from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import playback_views, upload_views, watch_views

app_name = "videos"

urlpatterns = [
    # Uploads (instructors and editors): start, send chunks or get S3 part URLs, finish.
    path("video/unggah/", upload_views.upload_start, name="upload_start"),
    path("video/unggah/<uuid:upload_id>/", upload_views.upload_chunk, name="upload_chunk"),
    path(
        "video/unggah/<uuid:upload_id>/selesai/",
        upload_views.upload_complete,
        name="upload_complete",
    ),
    # Protected playback: playlists from Django, segments by signed URL.
    path("video/<row_id:video_id>/master.m3u8", playback_views.master, name="master"),
    path(
        "video/<row_id:video_id>/<int:height>p.m3u8",
        playback_views.rendition_playlist,
        name="rendition_playlist",
    ),
    path("video/<row_id:video_id>/poster.jpg", playback_views.poster, name="poster"),
    path("video/berkas/<str:token>/<path:name>", playback_views.segment, name="segment"),
    # Watch tracking.
    path("video/<row_id:video_id>/tonton/", watch_views.heartbeat, name="heartbeat"),
]
