import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lms.videos.uploads import STALE_AFTER, uploads_cleanup


class Command(BaseCommand):
    help = (
        "Abandon video uploads left unfinished (no chunk, no part URL asked for) for 24 hours: "
        "delete their part files or abort their S3 multipart uploads. Run it from cron hourly."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--hours", type=float, default=STALE_AFTER.total_seconds() / 3600,
            help="idle time after which an open upload is abandoned (default 24)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] <= 0:
            raise CommandError("--hours must be greater than 0")
        abandoned = uploads_cleanup(older_than=dt.timedelta(hours=options["hours"]))
        for upload in abandoned:
            self.stdout.write(f"abandoned {upload.pk} {upload.filename} ({upload.owner_id})")
        self.stdout.write(f"{len(abandoned)} unfinished upload(s) removed")
