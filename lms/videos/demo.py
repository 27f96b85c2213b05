"""A demo video for `make run`: generated with ffmpeg (no file to ship), uploaded as an
instructor would, transcoded by the worker that `make run` starts."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.core.files import File

from .models import Video
from .services import video_create
from .storage import SOURCE_ROOT, video_storage
from .transcoding import ffmpeg_binary

DEMO_TITLE = "Video demo: Pengantar Sinau"


def seed_demo_video(*, owner: Any = None, seconds: int = 30) -> Video:
    """The demo video, queued for transcoding; the same video on a second run."""
    existing = Video.objects.filter(title=DEMO_TITLE).first()
    if existing is not None:
        return existing
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pengantar-sinau.mp4"
        subprocess.run(  # noqa: S603 - our ffmpeg, our arguments
            [
                ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=330:d={seconds}",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-shortest", str(path),
            ],
            check=True, capture_output=True,
        )  # fmt: skip
        with open(path, "rb") as fh:
            name = video_storage().save(f"{SOURCE_ROOT}/{uuid.uuid4().hex}/{path.name}", File(fh))
        return video_create(
            owner=owner, title=DEMO_TITLE, source=name, original_filename=path.name,
            size_bytes=path.stat().st_size,
        )  # fmt: skip
