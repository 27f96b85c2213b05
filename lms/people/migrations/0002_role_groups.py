from django.db import migrations

GROUPS = ("Instruktur", "Admin OPD", "Auditor BKPSDM")


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    for name in GROUPS:
        group, _created = Group.objects.get_or_create(name=name)
        if access_admin is not None:
            group.permissions.add(access_admin)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
