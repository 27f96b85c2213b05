from django.db import migrations

INSTRUCTOR_GROUP = "Instruktur"
# Instructors author question banks, their categories, questions and quizzes in the admin
# ("Kuis" menu). Deleting stays with BKPSDM: a bank or quiz takes its questions, attempts
# and results with it.
PERMISSIONS = [
    (model, f"{action}_{model}", f"Can {action} {label}")
    for model, label in (
        ("questionbank", "bank soal"),
        ("questioncategory", "kategori soal"),
        ("question", "soal"),
        ("quiz", "kuis"),
    )
    for action in ("add", "change", "view")
]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
    for model, codename, name in PERMISSIONS:
        # On a fresh database the permissions are made after the migrations
        # (post_migrate); making them here first is what Django would do anyway.
        content_type, _created = ContentType.objects.get_or_create(
            app_label="assessments", model=model
        )
        permission, _created = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=INSTRUCTOR_GROUP).first()
    if group is None:
        return
    # "view quiz" came with the courses' authoring setup (choosing quizzes in modules): kept.
    codenames = [codename for _model, codename, _name in PERMISSIONS if codename != "view_quiz"]
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label="assessments", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_banks_attempts"),
        ("people", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
