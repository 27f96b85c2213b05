"""SIASN's jenis diklat as reference data, and on PostgreSQL a trigger that refuses UPDATE and
DELETE on the JP ledger (corrections are reversing entries)."""

from typing import Any

from django.db import migrations

JENIS_DIKLAT = [
    (1, "Diklat struktural", True), (2, "Diklat fungsional", True), (3, "Diklat teknis", True),
    (4, "Workshop", True), (5, "Pelatihan manajerial", True),
    (6, "Pelatihan sosial kultural", True), (7, "Sosialisasi", True),
    (8, "Bimbingan teknis", True), (9, "Seminar", True), (10, "Magang", False),
    (11, "Kursus", True), (12, "Penataran", True), (13, "Pelatihan klasikal lainnya", True),
    (14, "Coaching", False), (15, "Mentoring", False), (16, "E-learning", False),
    (17, "Pelatihan jarak jauh", False), (18, "Detasering", False), (19, "Outbound", False),
    (20, "Patok banding", False), (21, "Pertukaran PNS dengan pegawai swasta/BUMN", False),
    (22, "Belajar mandiri", False), (23, "Komunitas belajar", False),
    (24, "Bimbingan di tempat kerja", False), (25, "Pelatihan non-klasikal lainnya", False),
]  # fmt: skip

TRIGGER = """
CREATE OR REPLACE FUNCTION learning_jpentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the JP ledger is append-only: % refused (write a reversing entry)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER learning_jpentry_append_only BEFORE UPDATE OR DELETE ON learning_jpentry
    FOR EACH ROW EXECUTE FUNCTION learning_jpentry_append_only();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS learning_jpentry_append_only ON learning_jpentry;
DROP FUNCTION IF EXISTS learning_jpentry_append_only();
"""


def load_jenis(apps: Any, schema_editor: Any) -> None:
    JenisDiklat = apps.get_model("learning", "JenisDiklat")
    for code, name, klasikal in JENIS_DIKLAT:
        JenisDiklat.objects.update_or_create(
            code=code, defaults={"name": name, "klasikal": klasikal}
        )


def add_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def drop_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_jp_ledger")]

    operations = [
        migrations.RunPython(load_jenis, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
