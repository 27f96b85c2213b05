"""Files follow their video: deleting a Video removes its source and its ladder (unless
another video shares that ladder), after the commit so a rollback loses nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Video


@receiver(post_delete, sender=Video)
def remove_video_files(sender: type[Video], instance: Video, **kwargs: Any) -> None:
    from .services import video_files_remove

    prefix, source = instance.hls_prefix, instance.source
    transaction.on_commit(lambda: video_files_remove(hls_prefix=prefix, source=source))
