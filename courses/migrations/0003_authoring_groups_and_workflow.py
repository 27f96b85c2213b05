from django.db import migrations


def authoring_setup(apps, schema_editor):
    # One implementation for the migration and seed_demo: it takes the model registry, so
    # here it works on this migration's historical models.
    from courses.authoring import authoring_setup as setup

    setup(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_course_details_and_modules"),
        ("people", "0002_role_groups"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
        # Instructors get image and document permissions per collection: after Wagtail's own
        # migrations that create and copy those permissions.
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
        ("videos", "0001_initial"),
        ("assessments", "0001_initial"),
    ]

    # Rolling back keeps the groups and the workflow: reviewers' memberships and the
    # workflow history recorded against them must not vanish with a schema rollback.
    operations = [migrations.RunPython(authoring_setup, migrations.RunPython.noop)]
