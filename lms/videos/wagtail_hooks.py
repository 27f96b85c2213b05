from wagtail.snippets.models import register_snippet

from .models import Video

# Registered so that module pages can choose a video; the video issue adds upload and
# transcoding to its admin.
register_snippet(Video)
