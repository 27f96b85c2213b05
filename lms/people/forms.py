from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Employee, OrgUnit, Role
from .nip import normalise_nip


class LoginForm(AuthenticationForm):
    # No autofocus: keyboard and screen-reader users start at the skip link and the heading.
    username = forms.CharField(
        label=_("NIP atau email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("NIP/email atau kata sandi salah."),
        "inactive": _("Akun ini tidak aktif. Hubungi admin OPD Anda."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # AuthenticationForm narrows the field to the NIP's 18 characters, which would cut
        # off an email or a NIP typed with the spaces an SK prints.
        username = self.fields["username"]
        username.max_length = 254  # type: ignore[attr-defined]
        username.widget.attrs["maxlength"] = "254"


class EmployeeFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Cari nama, NIP, email atau jabatan"), required=False, max_length=100
    )
    unit = forms.ModelChoiceField(
        label=_("Unit kerja"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Semua unit"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua")), ("active", _("Aktif")), ("inactive", _("Nonaktif"))],
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class EmployeeImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV atau XLSX"),
        help_text=_(
            "Kolom seperti ekspor SIASN: NIP, NAMA, GELAR DEPAN, GELAR BELAKANG, JABATAN, "
            "JENIS JABATAN, UNIT KERJA, GOLONGAN, JENIS PEGAWAI, EMAIL; boleh ditambah NIP "
            "ATASAN (atasan langsung)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Pratinjau dulu (tidak mengubah data)"), required=False, initial=True
    )
    deactivate_missing = forms.BooleanField(
        label=_("Impor penuh: nonaktifkan pegawai dalam lingkup saya yang tidak ada di berkas"),
        required=False,
    )


class EmployeeForm(forms.ModelForm[Employee]):
    # Typed as a NIP, not picked from a list of every employee in the Pemda. The atasan may
    # work in another OPD (a kepala dinas reports to the Sekda), so any active employee goes.
    supervisor = forms.CharField(
        label=_("NIP atasan langsung"), max_length=30, required=False,
        help_text=_(
            "Atasan yang menilai kompetensi pegawai ini dalam AKPK. Kosongkan bila tidak ada."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Alasan perubahan"),
        max_length=500,
        help_text=_("Misalnya nomor SK mutasi atau permintaan pegawai. Dicatat di log audit."),
    )

    class Meta:
        model = Employee
        fields = [
            "full_name", "gelar_depan", "gelar_belakang", "email", "phone", "golongan",
            "jabatan", "jabatan_kind", "org_unit", "supervisor", "is_active",
        ]  # fmt: skip

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["org_unit"].required = True
        if self.instance.supervisor_id and not self.is_bound:
            self.initial["supervisor"] = self.instance.supervisor.nip  # type: ignore[union-attr]

    def clean_supervisor(self) -> Employee | None:
        nip = normalise_nip(self.cleaned_data.get("supervisor") or "")
        if not nip:
            return None
        current = self.instance.supervisor if self.instance.supervisor_id else None
        if current is not None and current.nip == nip:
            return current  # kept as it is, even if the atasan has since left
        supervisor = Employee.objects.filter(nip=nip, is_active=True).first()
        if supervisor is None:
            raise forms.ValidationError(
                _("Tidak ada pegawai aktif dengan NIP %(nip)s.") % {"nip": nip}
            )
        if supervisor.pk == self.instance.pk:
            raise forms.ValidationError(_("Pegawai tidak dapat menjadi atasan sendiri."))
        return supervisor


class RoleGrantForm(forms.Form):
    nip = forms.CharField(label=_("NIP pegawai"), max_length=30)
    role = forms.ChoiceField(label=_("Peran"), choices=Role.choices)
    org_unit = forms.ModelChoiceField(
        label=_("Lingkup unit (untuk admin OPD)"),
        queryset=OrgUnit.objects.filter(depth__lte=3).order_by("path"),
        required=False,
    )
    reason = forms.CharField(label=_("Alasan"), max_length=500, help_text=_("Misalnya nomor SK."))

    def clean_nip(self) -> Employee:
        nip = normalise_nip(self.cleaned_data["nip"])
        employee = Employee.objects.filter(nip=nip, is_active=True).first()
        if employee is None:
            raise forms.ValidationError(
                _("Tidak ada pegawai aktif dengan NIP %(nip)s.") % {"nip": nip}
            )
        return employee

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.OPD_ADMIN and not data.get("org_unit"):
            self.add_error("org_unit", _("Admin OPD harus punya lingkup unit."))
        return data


class RoleRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Alasan pencabutan"), max_length=500)
