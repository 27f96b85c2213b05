"""Single dictionary entries in the Wagtail admin ("Perencanaan"): BKPSDM adds or corrects a
competency (its five level indicators as five text boxes) or a jabatan standard; a clash
is a form error, never a 500; only those with the model permissions get in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lms.planning.models import Competency, JabatanStandard

COMPETENCY = "kamus_kompetensi"
STANDARD = "standar_kompetensi_jabatan"


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def competency_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": " tek-30 ", "competency_type": "teknis", "name": "Pengawasan internal",
        "description": "Kemampuan mengawasi.", "level_1": "Mengenal SPIP.", "level_2": "",
        "level_3": "Melaksanakan audit.", "level_4": "", "level_5": "", "is_active": "on",
    }  # fmt: skip
    data.update(changes)
    return data


def test_bkpsdm_adds_a_competency_with_five_level_boxes(
    client: Client, pemda: dict[str, Any]
) -> None:
    login(client, pemda["superuser"])
    add = reverse(f"{COMPETENCY}:add")
    form = client.get(add).content.decode()
    for n in range(1, 6):
        assert f'name="level_{n}"' in form
    assert 'name="level_descriptions"' not in form

    response = client.post(add, competency_data())
    assert response.status_code == 302
    created = Competency.objects.get()
    assert created.code == "TEK-30"
    assert created.level_descriptions == {"1": "Mengenal SPIP.", "3": "Melaksanakan audit."}

    edit = reverse(f"{COMPETENCY}:edit", args=[created.pk])
    page = client.get(edit).content.decode()
    assert "Melaksanakan audit." in page  # the stored indicators fill the boxes
    response = client.post(edit, competency_data(code="TEK-30", level_1="", level_5="Ahli."))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.level_descriptions == {"3": "Melaksanakan audit.", "5": "Ahli."}


def test_a_code_already_used_is_a_form_error(
    client: Client, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    login(client, pemda["superuser"])
    response = client.post(reverse(f"{COMPETENCY}:add"), competency_data(code="tek-01"))
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert Competency.objects.count() == len(dictionary)


def test_bkpsdm_adds_a_standard_and_a_second_one_for_the_pair_is_refused(
    client: Client, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    login(client, pemda["superuser"])
    add = reverse(f"{STANDARD}:add")
    data = {"jabatan": "Auditor  Ahli Muda", "competency": dictionary["TEK-01"].pk,
            "required_level": "4"}  # fmt: skip
    assert client.post(add, data).status_code == 302
    standard = JabatanStandard.objects.get(jabatan_key="auditor ahli muda")
    assert (standard.jabatan, standard.required_level) == ("Auditor Ahli Muda", 4)

    again = {**data, "jabatan": "auditor ahli muda.", "required_level": "2"}
    response = client.post(add, again)
    assert response.status_code == 200
    assert response.context["form"].errors["competency"]
    assert JabatanStandard.objects.filter(jabatan_key="auditor ahli muda").count() == 1

    # The standard itself may be edited (its own row is no clash).
    edit = reverse(f"{STANDARD}:edit", args=[standard.pk])
    assert client.post(edit, {**data, "required_level": "5"}).status_code == 302
    standard.refresh_from_db()
    assert standard.required_level == 5

    response = client.post(
        add, {**data, "competency": dictionary["MAN-01"].pk, "required_level": "9"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["required_level"]


def test_listings_render_in_bounded_queries(
    client: Client,
    pemda: dict[str, Any],
    dictionary: dict[str, Competency],
    django_assert_max_num_queries: Any,
) -> None:
    JabatanStandard.objects.bulk_create(
        JabatanStandard(
            jabatan=f"Pranata {n:02d}",
            jabatan_key=f"pranata {n:02d}",
            competency=dictionary["MAN-01"],
            required_level=2,
        )  # fmt: skip
        for n in range(40)
    )
    login(client, pemda["superuser"])
    client.get(reverse("wagtailadmin_home"))  # warm the admin's per-process caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse(f"{STANDARD}:index"))
    assert response.status_code == 200
    assert "Pranata 07" in response.content.decode()
    found = client.get(reverse(f"{STANDARD}:index"), {"q": "kepala"})
    assert "Kepala Seksi" in found.content.decode()
    assert "Pranata 07" not in found.content.decode()
    with django_assert_max_num_queries(12):
        assert client.get(reverse(f"{COMPETENCY}:index")).status_code == 200
    text = client.get(reverse(f"{COMPETENCY}:index"), {"q": "integritas"}).content.decode()
    assert "MAN-01" in text
    assert "TEK-01" not in text


def test_the_perencanaan_menu_groups_both_entries(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["superuser"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Perencanaan" in page
    assert reverse(f"{COMPETENCY}:index") in page
    assert reverse(f"{STANDARD}:index") in page


@pytest.mark.parametrize("who", ["auditor", "admin_a"])
def test_without_the_model_permissions_the_entries_stay_closed(
    client: Client, pemda: dict[str, Any], dictionary: dict[str, Competency], who: str
) -> None:
    login(client, pemda[who])
    for name in (f"{COMPETENCY}:index", f"{COMPETENCY}:add", f"{STANDARD}:add"):
        response = client.get(reverse(name))
        assert response.status_code in (302, 403), name
    response = client.post(reverse(f"{COMPETENCY}:add"), competency_data())
    assert response.status_code in (302, 403)
    assert not Competency.objects.filter(code="TEK-30").exists()
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(f"{COMPETENCY}:index") not in page
