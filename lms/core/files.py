"""Saving an uploaded file into a FileField's storage without leaving debris."""

from __future__ import annotations

import errno
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _


def file_save(field_file: FieldFile, filename: str, content: Any) -> None:
    """``field_file.save(filename, content, save=False)``, except that a full disk is a
    ``ValidationError`` saying so (not a 500) and the part written before the disk filled is
    removed: Django's FileSystemStorage leaves it behind."""
    field = field_file.field
    storage = field_file.storage
    name = storage.get_available_name(
        field.generate_filename(field_file.instance, filename), max_length=field.max_length
    )
    try:
        field_file.name = storage.save(name, content, max_length=field.max_length)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # The name was free a moment ago: what is there now is this upload's partial file.
        storage.delete(name)
        raise ValidationError(
            _("Ruang penyimpanan server penuh; berkas tidak disimpan. Coba lagi nanti.")
        ) from exc
    field_file._committed = True  # type: ignore[attr-defined]  # as FieldFile.save does
