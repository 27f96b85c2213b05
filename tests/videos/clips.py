"""Small generated clips (ffmpeg's testsrc2 and sine sources) for the video tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lms.videos.transcoding import ffmpeg_binary


def _ffmpeg(*args: str) -> None:
    subprocess.run(  # noqa: S603 - our ffmpeg, our arguments
        [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True, capture_output=True,
    )  # fmt: skip


def make_clip(
    path: Path,
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 3,
    fps: int = 30,
    audio: bool = True,
    rotation: int = 0,
    vfr: bool = False,
) -> Path:
    """An H.264 MP4: moving test pattern, a tone when ``audio``. ``rotation`` stores the
    frames sideways with display-rotation metadata, the way phones record portrait video;
    ``vfr`` drops frames irregularly, as phones do in low light."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:d={seconds}"]
    video_filter = ["-vf", "select='not(eq(mod(n\\,7)\\,3)+eq(mod(n\\,11)\\,5))'"] if vfr else []
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    codecs += ["-fps_mode", "vfr"] if vfr else []
    codecs += ["-c:a", "aac", "-shortest"] if audio else []
    if not rotation:
        _ffmpeg(*inputs, *video_filter, *codecs, str(path))
        return path
    plain = path.with_suffix(".plain.mp4")
    _ffmpeg(*inputs, *video_filter, *codecs, str(plain))
    _ffmpeg("-display_rotation:v", str(rotation), "-i", str(plain), "-c", "copy", str(path))
    plain.unlink()
    return path


def make_marked_portrait_clip(path: Path, *, seconds: float = 2) -> Path:
    """A phone-style portrait clip: an upright 360x640 picture, red on top and blue below,
    stored as landscape 640x360 frames with a 90° display rotation, as phones do."""
    upright = (
        f"color=c=red:s=360x320:d={seconds}[top];color=c=blue:s=360x320:d={seconds}[bottom];"
        "[top][bottom]vstack,transpose=2,format=yuv420p"
    )
    # transpose=2 turns the picture 90° counter-clockwise; the display matrix of 90°
    # (counter-clockwise too in ffmpeg's terms) is undone by players turning it back.
    plain = path.with_suffix(".plain.mp4")
    _ffmpeg(
        "-f", "lavfi", "-i", upright, "-f", "lavfi", "-i", f"sine=d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(plain),
    )  # fmt: skip
    _ffmpeg("-display_rotation:v", "-90", "-i", str(plain), "-c", "copy", str(path))
    plain.unlink()
    return path
