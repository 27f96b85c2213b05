"""How long the video pipeline takes to turn a 60-second 1080p clip into its HLS ladder,
against the same ladder from one plain ffmpeg command line and from one ffmpeg run per rung.

Run: ``.venv/bin/python -m bench.transcode`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``,
or the server in ``BENCH_DATABASE_URL``). All three are measured in the same run, one after
the other, with the same binary, x264 preset and rung settings; only the ratios compare
across machines. Targets: pipeline / one command <= 1.05; per-rung runs / pipeline >= 1.3.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from bench._common import django_on_fresh_database, machine_info, timed, write_results

NAME = "transcode"
DB_NAME = "sinau_bench_transcode"


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)  # noqa: S603 - our ffmpeg


def make_source(ffmpeg: str, path: Path, seconds: int) -> None:
    _run([
        ffmpeg, "-hide_banner", "-y", "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:d={seconds}", "-c:v", "libx264",
        "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", str(path),
    ])  # fmt: skip


def plain_one_command(ffmpeg: str, src: Path, out: Path, rungs: list, preset: str) -> list[str]:
    """The ladder written by hand as one ffmpeg command line: split, scale, encode."""
    n = len(rungs)
    graph = f"[0:v]fps=30,split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";"
    graph += ";".join(
        f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]" for i, r in enumerate(rungs)
    )
    args = [ffmpeg, "-hide_banner", "-y", "-loglevel", "error", "-i", str(src),
            "-filter_complex", graph]  # fmt: skip
    for i, rung in enumerate(rungs):
        args += ["-map", f"[v{i}]", "-map", "0:a"]
        bitrate = rung.video_bitrate
        args += [
            f"-b:v:{i}", str(bitrate), f"-maxrate:v:{i}", str(int(bitrate * 1.07)),
            f"-bufsize:v:{i}", str(int(bitrate * 1.5)), f"-b:a:{i}", str(rung.audio_bitrate),
        ]  # fmt: skip
    args += [
        "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-g", "60",
        "-keyint_min", "60", "-sc_threshold", "0", "-c:a", "aac", "-ac", "2", "-ar", "48000",
        "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", str(out / "%v" / "seg_%05d.ts"),
        "-master_pl_name", "master.m3u8",
        "-var_stream_map", " ".join(f"v:{i},a:{i},name:{r.name}" for i, r in enumerate(rungs)),
        str(out / "%v" / "index.m3u8"),
    ]  # fmt: skip
    return args


def separate_runs(ffmpeg: str, src: Path, out: Path, rungs: list, preset: str) -> list[list[str]]:
    """One ffmpeg per rung: each decodes the whole source again."""
    commands = []
    for rung in rungs:
        folder = out / rung.name
        folder.mkdir(parents=True, exist_ok=True)
        commands.append([
            ffmpeg, "-hide_banner", "-y", "-loglevel", "error", "-i", str(src),
            "-vf", f"fps=30,scale={rung.width}:{rung.height},setsar=1",
            "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
            "-b:v", str(rung.video_bitrate), "-maxrate", str(int(rung.video_bitrate * 1.07)),
            "-bufsize", str(int(rung.video_bitrate * 1.5)), "-g", "60", "-keyint_min", "60",
            "-sc_threshold", "0", "-c:a", "aac", "-b:a", str(rung.audio_bitrate), "-ac", "2",
            "-ar", "48000", "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
            "-hls_flags", "independent_segments",
            "-hls_segment_filename", str(folder / "seg_%05d.ts"), str(folder / "index.m3u8"),
        ])  # fmt: skip
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transcode", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="clip length (smoke: 5)")
    args = parser.parse_args(argv)
    seconds: int = args.seconds

    with django_on_fresh_database(DB_NAME):
        from django.conf import settings
        from django.core.files import File

        from lms.videos import transcoding
        from lms.videos.models import Video
        from lms.videos.services import video_transcode
        from lms.videos.storage import SOURCE_ROOT, video_storage

        ffmpeg = transcoding.ffmpeg_binary()
        preset = settings.SINAU_X264_PRESET
        work = Path(tempfile.mkdtemp(prefix="sinau-bench-transcode-"))
        try:
            src = work / "lecture-1080p.mp4"
            print(f"making a {seconds}-second 1080p source ...", flush=True)
            make_source(ffmpeg, src, seconds)
            source = transcoding.probe(src)
            rungs = transcoding.ladder_for(source)

            def pipeline() -> Video:
                with open(src, "rb") as fh:
                    name = video_storage().save(f"{SOURCE_ROOT}/bench/{src.name}", File(fh))
                video = Video.objects.create(
                    title="bench", source=name, status=Video.Status.QUEUED, job_id=uuid.uuid4()
                )
                result = video_transcode(video_id=video.pk, job_id=str(video.job_id))
                assert result == "ready", video.failure_reason
                return video

            def one_command() -> None:
                out = work / "plain"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                _run(plain_one_command(ffmpeg, src, out, rungs, preset))

            def per_rung() -> None:
                out = work / "separate"
                shutil.rmtree(out, ignore_errors=True)
                for command in separate_runs(ffmpeg, src, out, rungs, preset):
                    _run(command)

            print("pipeline ...", flush=True)
            video, pipeline_s = timed(pipeline)
            print("one plain ffmpeg command ...", flush=True)
            _none, plain_s = timed(one_command)
            print("one ffmpeg run per rung ...", flush=True)
            _none, separate_s = timed(per_rung)
            video_renditions = video.renditions.count()
            machine = machine_info()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    figures = {
        "clip_seconds": seconds,
        "rungs": [r.name for r in rungs],
        "x264_preset": preset,
        "pipeline_seconds": round(pipeline_s, 2),
        "pipeline_realtime_factor": round(seconds / pipeline_s, 2),
        "renditions_written": video_renditions,
    }
    baseline = {
        "one_ffmpeg_command_seconds": round(plain_s, 2),
        "separate_runs_seconds": round(separate_s, 2),
    }
    ratio = {
        "pipeline_vs_one_command": round(pipeline_s / plain_s, 3),
        "separate_runs_vs_pipeline": round(separate_s / pipeline_s, 3),
        "target_pipeline_vs_one_command_at_most": 1.05,
        "target_separate_runs_vs_pipeline_at_least": 1.3,
    }
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(
        f"""
  pipeline (probe, one ffmpeg, poster, thumbnails, storage)  {pipeline_s:7.1f} s
  the same ladder, one plain ffmpeg command                  {plain_s:7.1f} s
  one ffmpeg run per rung ({len(rungs)} runs)                          {separate_s:7.1f} s
  pipeline / one command   {ratio["pipeline_vs_one_command"]:.3f}  (target <= 1.05)
  per rung / pipeline      {ratio["separate_runs_vs_pipeline"]:.3f}  (target >= 1.3)
  written to {path}"""
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
