"""The ledger's credits go to the HR outbox in the transaction that writes them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from lms.learning.models import JPEntry


@receiver(post_save, sender=JPEntry, dispatch_uid="interop_jp_entry_outbox")
def jp_entry_to_outbox(
    sender: type[JPEntry], instance: JPEntry, created: bool, **kwargs: Any
) -> None:
    if created and not kwargs.get("raw"):
        from .services import hr_credit_put

        hr_credit_put(entry=instance)
