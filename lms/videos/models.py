"""Videos as course content. The video pipeline issue adds upload, transcoding and playback;
until then a video is a titled record whose status says it is not playable yet."""

from __future__ import annotations

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
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    duration_seconds = models.PositiveIntegerField(_("durasi (detik)"), null=True, blank=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("daftar video")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_playable(self) -> bool:
        return self.status == self.Status.READY
