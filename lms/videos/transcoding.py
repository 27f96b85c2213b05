"""Probe a source and turn it into an HLS ladder with one ffmpeg process.

The source is decoded once; a ``split`` filter feeds every rung's scaler, the poster and
the thumbnails, so a five-rung ladder costs one decode instead of five. The graph is built
with ffmpeg-python; the binary is the one shipped in the imageio-ffmpeg wheel unless
SINAU_FFMPEG_BINARY names another.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import ffmpeg
from django.conf import settings
from django.utils.translation import gettext as _

# (short side, video bitrate, audio bitrate). The short side names the rung so that a
# portrait phone clip gets the same ladder as a landscape one.
LADDER: list[tuple[int, int, int]] = [
    (240, 400_000, 64_000),
    (360, 800_000, 96_000),
    (480, 1_400_000, 128_000),
    (720, 2_800_000, 128_000),
    (1080, 5_000_000, 160_000),
]
MAX_FPS = 30
KEYFRAME_SECONDS = 2  # Apple's HLS guide: a keyframe every 2 s, segments of about 6 s
MAX_THUMBNAILS = 20
MIN_DURATION = 0.5


class UnusableSource(Exception):
    """The file is not a video we can play; the message is for the instructor."""


class TranscodeFailed(Exception):
    """ffmpeg gave up on a source it had probed as usable; the message is for the instructor."""


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int  # as displayed, after rotation
    height: int
    rotation: int
    fps: float
    has_audio: bool
    codec: str


@dataclass(frozen=True)
class Rung:
    name: str
    width: int
    height: int
    video_bitrate: int
    audio_bitrate: int


def ffmpeg_binary() -> str:
    if settings.SINAU_FFMPEG_BINARY:
        return str(settings.SINAU_FFMPEG_BINARY)
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def probe(path: Path) -> Probe:
    """Open the file with PyAV and decode its first video frame: a file that passes is one
    ffmpeg can transcode. Raises UnusableSource with a reason an instructor understands."""
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise UnusableSource(
            _("Berkas ini bukan video yang dapat dibaca (format tidak dikenal atau rusak).")
        ) from exc
    with container:
        if not container.streams.video:
            raise UnusableSource(_("Berkas ini tidak berisi gambar video (mungkin hanya suara)."))
        stream = container.streams.video[0]
        try:
            frame = next(container.decode(stream))
        except (av.error.FFmpegError, StopIteration, ValueError) as exc:
            raise UnusableSource(
                _("Gambar video dalam berkas ini tidak dapat dibaca; berkas mungkin rusak.")
            ) from exc
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        width, height = frame.width, frame.height
        if rotation in (90, 270):
            width, height = height, width
        duration = _duration(container, stream)
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else float(MAX_FPS)
        has_audio = bool(container.streams.audio)
        codec = stream.codec_context.name
    if width < 16 or height < 16:
        raise UnusableSource(_("Ukuran gambar video terlalu kecil."))
    if duration < MIN_DURATION:
        raise UnusableSource(_("Video terlalu pendek atau durasinya tidak diketahui."))
    return Probe(
        duration=duration, width=width, height=height, rotation=rotation,
        fps=fps if 1 <= fps <= 240 else float(MAX_FPS), has_audio=has_audio, codec=codec,
    )  # fmt: skip


def _duration(container: Any, stream: Any) -> float:
    if container.duration:
        return float(container.duration) / 1_000_000
    if stream.duration and stream.time_base:
        return float(stream.duration * Fraction(stream.time_base))
    return 0.0


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def ladder_for(source: Probe) -> list[Rung]:
    """The rungs at or below the source's short side: never upscale. A source smaller than
    the lowest rung gets one rung at its own size."""
    short = min(source.width, source.height)
    portrait = source.height > source.width
    rungs = []
    for side, vbit, abit in LADDER:
        if side > short:
            break
        long = _even(side * max(source.width, source.height) / short)
        width, height = (side, long) if portrait else (long, side)
        rungs.append(Rung(f"{side}p", width, height, vbit, abit))
    if not rungs:
        side, vbit, abit = LADDER[0]
        rungs.append(Rung(f"{short}p", _even(source.width), _even(source.height), vbit // 2, abit))
    return rungs


def output_fps(source: Probe) -> int:
    """Constant frame rate, at most 30: phones record variable frame rate, which HLS
    segmenting and some players handle badly."""
    return max(1, min(MAX_FPS, round(source.fps)))


def thumbnail_every(duration: float) -> float:
    return max(10.0, math.ceil(duration / MAX_THUMBNAILS))


def build_command(
    src: Path, out: Path, source: Probe, rungs: list[Rung], *, preset: str | None = None
) -> list[str]:
    """The one ffmpeg command line for the whole ladder, poster and thumbnails."""
    fps = output_fps(source)
    gop = fps * KEYFRAME_SECONDS
    inp = ffmpeg.input(str(src))
    # ffmpeg applies the rotation metadata on decode (autorotate), so every branch sees
    # upright frames; the fps filter turns variable frame rate into constant.
    video = inp.video.filter("fps", fps=fps)
    branches = video.filter_multi_output("split", len(rungs) + 2)
    streams: list[Any] = []
    stream_map = []
    per_stream: dict[str, Any] = {}
    for i, rung in enumerate(rungs):
        streams.append(branches[i].filter("scale", rung.width, rung.height).filter("setsar", 1))
        per_stream[f"b:v:{i}"] = rung.video_bitrate
        per_stream[f"maxrate:v:{i}"] = int(rung.video_bitrate * 1.07)
        per_stream[f"bufsize:v:{i}"] = int(rung.video_bitrate * 1.5)
        entry = f"v:{i}"
        if source.has_audio:
            streams.append(inp.audio)
            per_stream[f"b:a:{i}"] = rung.audio_bitrate
            entry += f",a:{i}"
        stream_map.append(f"{entry},name:{rung.name}")
    hls = ffmpeg.output(
        *streams,
        str(out / "%v" / "index.m3u8"),
        format="hls",
        vcodec="libx264",
        preset=preset or settings.SINAU_X264_PRESET,
        pix_fmt="yuv420p",
        g=gop,
        keyint_min=gop,
        sc_threshold=0,
        acodec="aac",
        ac=2,
        ar=48000,
        hls_time=settings.SINAU_HLS_SEGMENT_SECONDS,
        hls_playlist_type="vod",
        hls_flags="independent_segments",
        hls_segment_filename=str(out / "%v" / "seg_%05d.ts"),
        master_pl_name="master.m3u8",
        var_stream_map=" ".join(stream_map),
        **per_stream,
    )
    poster_at = round(min(source.duration * 0.1, 5.0), 2)
    poster = (
        branches[len(rungs)]
        .trim(start=poster_at, duration=0.5)
        .setpts("PTS-STARTPTS")
        .filter("scale", -2, min(720, rungs[-1].height))
        .output(str(out / "poster.jpg"), vframes=1, **{"q:v": 3})
    )
    # select, not fps=1/N: it always keeps the first frame, so a short clip gets one too.
    every = thumbnail_every(source.duration)
    thumbs = (
        branches[len(rungs) + 1]
        .filter("select", f"isnan(prev_selected_t)+gte(t-prev_selected_t,{every})")
        .filter("scale", -2, 90)
        .output(str(out / "thumbs" / "%03d.jpg"), fps_mode="vfr", **{"q:v": 5})
    )
    merged = ffmpeg.merge_outputs(hls, poster, thumbs).global_args(
        "-hide_banner", "-nostats", "-progress", "pipe:1", "-loglevel", "error"
    )
    args: list[str] = merged.compile(cmd=ffmpeg_binary(), overwrite_output=True)
    return args


def _die_with_parent() -> None:
    # If the worker process is killed, ffmpeg must not run on as an orphan.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


_OUT_TIME = re.compile(r"^out_time_us=(\d+)")


def run(
    args: list[str],
    *,
    duration: float,
    log_path: Path,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Run ffmpeg, reporting percent done from its -progress output; TranscodeFailed with
    ffmpeg's last error lines when it exits non-zero."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own argument list, no shell
            args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads are started in between
        )  # fmt: skip
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                match = _OUT_TIME.match(raw.decode(errors="replace"))
                if match and on_progress and duration > 0:
                    seconds = int(match.group(1)) / 1_000_000
                    on_progress(max(0, min(99, int(seconds * 100 / duration))))
            returncode = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
    if returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
        raise TranscodeFailed(
            _("Video tidak dapat diproses: %(detail)s")
            % {"detail": " / ".join(tail)[-500:] or _("ffmpeg berhenti tanpa keterangan")}
        )
