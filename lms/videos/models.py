"""Videos as course content: the uploaded source, its HLS ladder, uploads in progress and
what each learner has watched.

Storage paths, not FileFields, hold the ladder: a ladder is a folder of many files written by
the worker, and the current one is swapped in one row update so a failed re-transcode
leaves the previous ladder playing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel


class Video(TimeStampedModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Diunggah")
        QUEUED = "queued", _("Menunggu")
        TRANSCODING = "transcoding", _("Diproses")
        READY = "ready", _("Siap")
        FAILED = "failed", _("Gagal")

    title = models.CharField(_("judul"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="videos", verbose_name=_("pemilik"),
    )  # fmt: skip
    # The source as uploaded, a path in the default storage (local media or S3).
    source = models.CharField(_("berkas sumber"), max_length=500, blank=True)
    original_filename = models.CharField(_("nama berkas asli"), max_length=255, blank=True)
    size_bytes = models.BigIntegerField(_("ukuran (byte)"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256 sumber"), max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    progress_percent = models.PositiveSmallIntegerField(_("kemajuan (%)"), default=0)
    failure_reason = models.TextField(_("alasan gagal"), blank=True)
    duration_seconds = models.FloatField(_("durasi (detik)"), null=True, blank=True)
    width = models.PositiveIntegerField(_("lebar"), null=True, blank=True)
    height = models.PositiveIntegerField(_("tinggi"), null=True, blank=True)
    has_audio = models.BooleanField(_("bersuara"), default=True)

    # The ladder now playing: its folder in storage, and the source checksum it came from.
    hls_prefix = models.CharField(_("folder HLS"), max_length=500, blank=True)
    encoded_checksum = models.CharField(max_length=64, blank=True, db_index=True)
    poster = models.CharField(_("poster"), max_length=500, blank=True)
    thumbnails = models.JSONField(_("gambar mini"), default=list, blank=True)

    # The transcode in flight: a re-delivered task carries the same job id and resumes it.
    job_id = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    transcoded_at = models.DateTimeField(_("selesai diproses"), null=True, blank=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("daftar video")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_playable(self) -> bool:
        # A re-transcode in flight (or failed) keeps the previous ladder playing.
        return bool(self.hls_prefix)

    def master_playlist_path(self) -> str:
        return f"{self.hls_prefix}master.m3u8" if self.hls_prefix else ""


class Rendition(models.Model):
    """One rung of the ladder now playing."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="renditions")
    height = models.PositiveIntegerField(_("tinggi"))
    width = models.PositiveIntegerField(_("lebar"))
    bitrate = models.PositiveIntegerField(_("bitrate (bit/s)"))
    playlist_path = models.CharField(max_length=500)

    class Meta:
        verbose_name = _("rendisi")
        verbose_name_plural = _("rendisi")
        ordering = ["video", "height"]
        constraints = [
            models.UniqueConstraint(fields=["video", "height"], name="one_rendition_per_rung")
        ]

    def __str__(self) -> str:
        return f"{self.video} {self.height}p"


class VideoUpload(TimeStampedModel):
    """An upload in progress: chunks appended to a local part file, or the parts of an S3
    multipart upload the browser sends straight to the bucket."""

    class Status(models.TextChoices):
        OPEN = "open", _("Berlangsung")
        COMPLETE = "complete", _("Selesai")
        ABANDONED = "abandoned", _("Dibatalkan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_uploads"
    )
    title = models.CharField(_("judul"), max_length=255)
    filename = models.CharField(_("nama berkas"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField(_("ukuran (byte)"))
    received_bytes = models.BigIntegerField(default=0)
    # Where the bytes go: a part file under MEDIA_ROOT, or the S3 key and its upload id.
    storage_key = models.CharField(max_length=500)
    s3_upload_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    video = models.OneToOneField(
        Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="upload"
    )

    class Meta:
        verbose_name = _("unggahan video")
        verbose_name_plural = _("unggahan video")


class VideoWatch(TimeStampedModel):
    """What one learner has watched of one video: merged [start, end) intervals in seconds."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_watches"
    )
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="watches")
    intervals = models.JSONField(default=list)
    watched_seconds = models.FloatField(default=0)
    last_position = models.FloatField(default=0)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tontonan video")
        verbose_name_plural = _("tontonan video")
        constraints = [
            models.UniqueConstraint(fields=["employee", "video"], name="one_watch_per_video")
        ]
