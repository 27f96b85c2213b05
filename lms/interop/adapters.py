"""Publishing JP credits to HR systems, behind one small interface: a file drop now, a
SIASN synchronisation later (SINAU_HR_PUBLISHER names the class by import path)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import OutboxMessage


class PublishError(Exception):
    """Transient: the receiver (folder, service) is not available now; retried later."""


class HRCreditPublisher(Protocol):
    def publish(self, message: OutboxMessage) -> None:
        """Deliver one ledger entry; doing it twice must leave one record downstream."""


class FileDropPublisher:
    """One JSON file per ledger entry, ``jp-<entry id>.json`` in SINAU_HR_DROP_DIR, written
    under a temporary name and renamed into place (``os.replace``): a reader never sees
    half a file, and a retry overwrites the same file rather than adding a second one."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or settings.SINAU_HR_DROP_DIR)

    def path_for(self, message: OutboxMessage) -> Path:
        return self.directory / f"jp-{int(message.payload['entry_id'])}.json"

    def publish(self, message: OutboxMessage) -> None:
        target = self.path_for(message)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(message.payload, out, ensure_ascii=False, indent=2, sort_keys=True)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise PublishError(f"cannot write {target}: {exc}") from exc


def hr_publisher() -> HRCreditPublisher:
    publisher: HRCreditPublisher = import_string(settings.SINAU_HR_PUBLISHER)()
    return publisher
