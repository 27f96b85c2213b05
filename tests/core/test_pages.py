"""The home page, the catalogue, the admin and the API schema answer; bad input never 500s."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def test_home_page_in_bahasa_indonesia_by_default(client: Client, home: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Masuk dengan NIP" in html
    assert home.title in html  # the published sample course is listed
    assert 'name="viewport"' in html


def test_english_on_request(client: Client, home: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Masuk dengan NIP" not in html


def test_catalogue_and_course_pages(client: Client, home: Any) -> None:
    assert client.get("/katalog/").status_code == 200
    course = client.get(home.url)
    assert course.status_code == 200
    assert "4 JP" in course.content.decode()


def test_wagtail_admin_for_the_superuser(client: Client, pemda: dict[str, Any], home: Any) -> None:
    assert client.get("/admin/").status_code == 302
    client.force_login(pemda["superuser"])
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Impor pegawai" in response.content.decode()  # our menu item


def test_learner_has_no_wagtail_admin(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["learner"])
    assert client.get("/admin/").status_code in (302, 403)


def test_api_schema_describes_only_our_api(client: Client, db: None) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/employees/" in paths
    assert all(p.startswith("/api/") for p in paths)
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/kelola/pegawai/?page=abc",
        "/kelola/pegawai/?page=99999",
        "/kelola/pegawai/?unit=not-a-number",
        "/kelola/pegawai/?status=%00",
        "/kelola/pegawai/" + "9" * 300 + "/",
        "/kelola/impor/999999/",
        "/kelola/impor/1/?page=-1",
        "/api/v1/employees/?page=zz",
        "/api/v1/employees/?q=" + "x" * 5000,
        "/media/imports/employees/x.csv",
        "/nope/",
    ],
)
def test_bad_input_never_makes_a_500(
    client: Client, pemda: dict[str, Any], home: Any, path: str
) -> None:
    client.force_login(pemda["superuser"])
    assert client.get(path).status_code < 500


def test_private_import_files_are_not_served(
    client: Client, pemda: dict[str, Any], home: Any
) -> None:
    job_file = "imports/employees/2026/11/rahasia.csv"
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save(job_file, ContentFile(b"NIP,NAMA\n"))
    assert client.get(f"/media/{job_file}").status_code == 404
