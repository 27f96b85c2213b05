"""The audit log of administrative actions.

It is Wagtail's own log (``ModelLogEntry``), so that entries show in the admin's
"Riwayat log" report beside page edits. Every Sinau action is registered in
``lms/core/wagtail_hooks.py`` and carries who (``actor``), what (``action`` and the
object), when (the entry's timestamp) and why (``reason``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

# action code -> (label, message); labels are shown in the admin's log filters.
SINAU_ACTIONS: dict[str, tuple[str, str]] = {
    "sinau.people.import": ("Impor pegawai", "Impor pegawai dijalankan"),
    "sinau.people.role_grant": ("Peran diberikan", "Peran diberikan"),
    "sinau.people.role_revoke": ("Peran dicabut", "Peran dicabut"),
    "sinau.people.update": ("Data pegawai diubah", "Data pegawai diubah"),
    "sinau.people.export": ("Ekspor pegawai", "Data pegawai diekspor"),
    "sinau.jp.credit": ("JP dikreditkan", "JP dikreditkan ke buku JP"),
    "sinau.jp.reverse": ("JP dibatalkan", "JP dibatalkan dengan entri pembalik"),
    "sinau.jp.target": ("Target JP diubah", "Target JP tahunan diubah"),
    "sinau.external.submit": ("Pelatihan eksternal diajukan", "Pelatihan eksternal diajukan"),
    "sinau.external.verify": ("Pelatihan eksternal diverifikasi", "Pelatihan eksternal sah"),
    "sinau.external.reject": ("Pelatihan eksternal ditolak", "Pelatihan eksternal ditolak"),
    "sinau.mentoring.assign": ("Pembimbingan ditugaskan", "Pembimbingan ditugaskan"),
    "sinau.mentoring.session": ("Sesi pembimbingan dicatat", "Sesi pembimbingan dicatat"),
    "sinau.mentoring.sign_off": ("Pembimbingan ditandatangani", "Mentor menandatangani"),
    "sinau.mentoring.approve": ("Pembimbingan disetujui", "Pembimbingan disetujui, JP dikreditkan"),
    "sinau.mentoring.send_back": ("Pembimbingan dikembalikan", "Dikembalikan ke mentor"),
    "sinau.mentoring.cancel": ("Pembimbingan dibatalkan", "Pembimbingan dibatalkan"),
    "sinau.certificate.issue": ("Sertifikat diterbitkan", "Sertifikat diterbitkan"),
    "sinau.certificate.revoke": ("Sertifikat dicabut", "Sertifikat dicabut, JP dibatalkan"),
    "sinau.certificate.reissue": ("Sertifikat diterbitkan ulang", "Diganti sertifikat baru"),
    "sinau.certificate.bundle": ("Zip sertifikat diminta", "Unduhan zip sertifikat diminta"),
    "sinau.planning.dictionary_import": ("Kamus kompetensi diimpor", "Kamus diimpor"),
    "sinau.akpk.self_submit": ("AKPK diajukan pegawai", "Penilaian diri diajukan"),
    "sinau.akpk.assess": ("AKPK dinilai atasan", "Atasan menilai kompetensi"),
    "sinau.akpk.reopen": ("AKPK dibuka kembali", "AKPK dikembalikan ke pegawai"),
    "sinau.akpk.centre_import": ("Hasil assessment center diimpor", "Hasil AC diimpor"),
    "sinau.akpk.opd_submit": ("AKPK OPD dikirim", "AKPK OPD dikirim ke BKPSDM"),
    "sinau.akpk.opd_return": ("AKPK OPD dikembalikan", "AKPK OPD dikembalikan"),
    "sinau.proposal.submit": ("Usulan pelatihan diajukan", "Usulan diajukan ke BKPSDM"),
    "sinau.proposal.approve": ("Usulan pelatihan disetujui", "Usulan disetujui"),
    "sinau.proposal.return": ("Usulan pelatihan dikembalikan", "Usulan perlu revisi"),
    "sinau.proposal.reject": ("Usulan pelatihan ditolak", "Usulan ditolak"),
    "sinau.proposal.merge": ("Usulan digabung", "Usulan duplikat digabung"),
    "sinau.proposal.not_duplicate": ("Bukan duplikat", "Ditandai bukan duplikat"),
    "sinau.outbox.requeue": ("Pesan keluar dikirim ulang", "Pesan gagal diantrekan ulang"),
    "sinau.api.token_issue": ("Token API dibuat", "Token API dibuat"),
    "sinau.api.token_revoke": ("Token API dicabut", "Token API dicabut"),
    "sinau.attendance.mark": ("Kehadiran dicatat", "Kehadiran dicatat instruktur"),
    "sinau.session.sign_off": ("Daftar hadir ditandatangani", "Daftar hadir sesi ditutup"),
    "sinau.session.schedule": ("Jadwal program dibuat", "Sesi program berulang dijadwalkan"),
}


def audit_record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> ModelLogEntry:
    """Write one audit entry; an unknown action is a programming error, not a silent no-op."""
    if not log_registry.action_exists(action):
        raise ValueError(f"Unregistered audit action: {action}")
    user = actor if getattr(actor, "is_authenticated", False) else None
    payload = dict(data or {})
    payload["reason"] = reason
    entry = log(instance=instance, action=action, user=user, data=payload)
    return entry
