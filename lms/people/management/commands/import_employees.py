from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from lms.people.importing import ImportFileError
from lms.people.models import Employee, EmployeeImport
from lms.people.services import employee_import_run


class Command(BaseCommand):
    help = (
        "Import employees and org units from a SIASN-shaped CSV or XLSX file (idempotent by NIP)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report what would change.")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Full import: deactivate (never delete) employees missing from the file.",
        )
        parser.add_argument("--as", dest="actor_nip", help="Run with this employee's scope.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"File not found: {path}")
        actor = None
        if options["actor_nip"]:
            actor = Employee.objects.filter(nip=options["actor_nip"]).first()
            if actor is None:
                raise CommandError(f"No employee with NIP {options['actor_nip']}")
        job = EmployeeImport(
            original_name=path.name, dry_run=options["dry_run"],
            deactivate_missing=options["deactivate_missing"], requested_by=actor,
        )  # fmt: skip
        with path.open("rb") as fh:
            job.file.save(path.name, File(fh), save=True)
        try:
            done = employee_import_run(job_id=job.pk)
        except ImportFileError as exc:  # pragma: no cover - the service records it
            raise CommandError(str(exc)) from exc
        assert done is not None
        if done.status == EmployeeImport.Status.FAILED:
            raise CommandError(done.failure)
        verb = "would be " if done.dry_run else ""
        self.stdout.write(
            f"{done.rows_total} rows: {done.created_count} {verb}created, "
            f"{done.updated_count} {verb}updated, {done.unchanged_count} unchanged, "
            f"{done.deactivated_count} {verb}deactivated, {done.org_units_created} org units "
            f"{verb}created, {done.error_count} rows with errors"
        )
        for error in done.row_errors[:50]:
            self.stdout.write(
                f"  row {error['row']} ({error['nip'] or '-'}): {' '.join(error['errors'])}"
            )
        if done.error_count > 50:
            self.stdout.write(f"  ... and {done.error_count - 50} more")
