"""Competency map, gaps no course covers, competency profiles (planning namespace)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("akpk/profil/", views.insight_profile_mine, name="insight_profile_mine"),
    path("kelola/peta-kompetensi/", views.insight_map, name="insight_map"),
    path(
        "kelola/peta-kompetensi/unduh.<str:fmt>",
        views.insight_map_download,
        name="insight_map_download",
    ),
    path(
        "kelola/peta-kompetensi/belum-tercakup/",
        views.insight_uncovered,
        name="insight_uncovered",
    ),
    path(
        "kelola/peta-kompetensi/belum-tercakup/unduh.<str:fmt>",
        views.insight_uncovered_download,
        name="insight_uncovered_download",
    ),
    path(
        "kelola/peta-kompetensi/profil.xlsx",
        views.insight_profiles_export,
        name="insight_profiles_export",
    ),
    path(
        "kelola/pegawai/<str:nip>/profil-kompetensi/",
        views.insight_profile,
        name="insight_profile",
    ),
]
