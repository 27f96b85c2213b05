from django.db import migrations


def authoring_setup(apps, schema_editor):
    # Instructors now hold "add video" (upload, and re-transcode their own videos): the same
    # idempotent setup as 0003 adds it to the existing "Instruktur" group.
    from courses.authoring import authoring_setup as setup

    setup(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_coursepage_video_watch_percent"),
        ("videos", "0002_pipeline"),
    ]

    operations = [migrations.RunPython(authoring_setup, migrations.RunPython.noop)]
