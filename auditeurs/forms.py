"""Forms of the accounts space: log-in, profile, account creation by a gestionnaire."""

import datetime
import re
import unicodedata

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.models import EmailAddress
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from auditeurs.identifiers import MAX_LENGTH, slug_part, validate_enf_identifier
from auditeurs.models import AuditeurProfile, Centre, Civilite

MINIMUM_AGE = 16
EARLIEST_BIRTH_YEAR = 1900
FRENCH_POSTAL_CODE_RE = re.compile(r"^\d{5}$")
# Digits with the usual separators, an optional leading "+" (international form).
PHONE_RE = re.compile(r"^\+?[0-9 .()\-/]+$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 8, 15  # 15: the longest number E.164 allows
AUDITEUR_NUMBER_RE = re.compile(r"^[A-Z0-9]{1,20}$")


def _is_france(country):
    folded = unicodedata.normalize("NFKD", country or "").encode("ascii", "ignore")
    return folded.decode("ascii").strip().lower() in {"france", "fr"}


def years_between(start, end):
    """Whole years from ``start`` to ``end`` (a birthday counts on its day)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


class LoginForm(AllauthLoginForm):
    """allauth's log-in form, speaking of ENF identifiers.

    A malformed identifier is reported as such, before any password check: the
    auditeur learns that the expected form is ``prenom.nom.auditeur`` instead of a
    vague "incorrect credentials".
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Identifiant ENF"
        login.max_length = MAX_LENGTH
        login.error_messages["required"] = "Saisissez votre identifiant ENF."
        login.widget.attrs.update(
            {
                "placeholder": "prenom.nom.auditeur",
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )
        password = self.fields["password"]
        password.label = "Mot de passe"
        # The page shows its own "Mot de passe oublié ?" link.
        password.help_text = ""
        password.error_messages["required"] = "Saisissez votre mot de passe."
        password.widget.attrs.pop("placeholder", None)

    def clean_login(self):
        # Identifiers are stored in lower case; people often type a capital.
        login = super().clean_login().lower()
        validate_enf_identifier(login)
        return login


class ProfileForm(forms.ModelForm):
    """The profile asked at first log-in; the courrier is posted to this address.

    ``email`` lives on the account (allauth resets passwords with it), the rest on
    the profile. The numéro d'auditeur and the centre come from the Cnam
    information system and are shown, not edited.
    """

    email = forms.EmailField(
        label="Courriel",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Les courriels de D3 (accusés de réception, demandes de correction) "
        "sont envoyés à cette adresse.",
    )

    class Meta:
        model = AuditeurProfile
        fields = [
            "civilite",
            "birth_name",
            "usage_name",
            "first_names",
            "birth_date",
            "birth_place",
            "nationality",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "phone",
        ]
        labels = {"address_line1": "Adresse"}
        help_texts = {
            "usage_name": "Par exemple le nom d'époux ou d'épouse, s'il diffère du nom "
            "de naissance.",
            "first_names": "Tous vos prénoms, dans l'ordre de l'état civil.",
            "birth_place": "Commune, et pays si vous êtes né ou née à l'étranger.",
            "address_line1": "Numéro et voie. Le courrier du jury est envoyé à cette "
            "adresse.",
            "address_line2": "Bâtiment, appartement, lieu-dit…",
            "phone": "Par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.",
        }
        widgets = {
            "civilite": forms.Select(attrs={"autocomplete": "honorific-prefix"}),
            "birth_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "usage_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "first_names": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "birth_date": forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
            "birth_place": forms.TextInput(attrs={"autocomplete": "off"}),
            "nationality": forms.TextInput(attrs={"autocomplete": "off"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "country": forms.TextInput(attrs={"autocomplete": "country-name"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    # Blank is allowed in the table (accounts are created before the auditeur
    # completes them), never in this form.
    optional_fields = ("usage_name", "address_line2")

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name not in self.optional_fields
        self.fields["civilite"].choices = [("", "Choisissez")] + list(Civilite.choices)
        self.fields["email"].initial = user.email
        if not self.instance.is_complete:
            # First visit: start from what the information system knows.
            self.initial.setdefault("birth_name", self.instance.birth_name or user.last_name)
            self.initial.setdefault("first_names", self.instance.first_names or user.first_name)
            self.initial.setdefault("country", self.instance.country or "France")
        # Browsers use these bounds for the date picker; clean_birth_date decides.
        today = timezone.localdate()
        self.fields["birth_date"].widget.attrs.update(
            {"min": f"{EARLIEST_BIRTH_YEAR}-01-01", "max": today.isoformat()}
        )

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if birth_date >= today:
            raise ValidationError("La date de naissance doit être dans le passé.",
                                  code="future")
        if birth_date < datetime.date(EARLIEST_BIRTH_YEAR, 1, 1):
            raise ValidationError("Vérifiez l'année de naissance.", code="too_old")
        if years_between(birth_date, today) < MINIMUM_AGE:
            raise ValidationError(
                f"Vous devez avoir au moins {MINIMUM_AGE} ans pour déposer une demande.",
                code="too_young",
            )
        return birth_date

    def clean_postal_code(self):
        return re.sub(r"\s+", "", self.cleaned_data["postal_code"]).upper()

    def clean_phone(self):
        phone = " ".join(self.cleaned_data["phone"].split())
        digits = re.sub(r"\D", "", phone)
        if not PHONE_RE.match(phone) or not (
            PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS
        ):
            raise ValidationError(
                "Numéro de téléphone invalide : saisissez de 8 à 15 chiffres, "
                "éventuellement précédés de « + » et séparés par des espaces.",
                code="invalid_phone",
            )
        return phone

    def clean(self):
        cleaned_data = super().clean()
        postal_code = cleaned_data.get("postal_code")
        if postal_code and _is_france(cleaned_data.get("country")):
            if not FRENCH_POSTAL_CODE_RE.match(postal_code):
                self.add_error(
                    "postal_code",
                    ValidationError(
                        "Un code postal français comporte 5 chiffres.",
                        code="invalid_postal_code",
                    ),
                )
        return cleaned_data

    @transaction.atomic
    def save(self):
        """Save profile and e-mail; return True when this completes the profile."""
        profile = super().save(commit=False)
        first_completion = not profile.is_complete
        if first_completion:
            profile.completed_at = timezone.now()
        profile.save()

        email = self.cleaned_data["email"]
        if email != self.user.email:
            self.user.email = email
            self.user.save(update_fields=["email"])
            # allauth also finds accounts through its EmailAddress rows (password
            # reset): a stale address must not keep opening this account.
            EmailAddress.objects.filter(user=self.user).exclude(email__iexact=email).delete()
        return first_completion


class CreateAccountForm(forms.Form):
    """What a gestionnaire types to create the ENF account of an auditeur of the centre."""

    civilite = forms.ChoiceField(
        label="Civilité",
        choices=[("", "Choisissez")] + list(Civilite.choices),
    )
    first_name = forms.CharField(
        label="Prénom",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label="Nom",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Courriel",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Le lien pour choisir le mot de passe est envoyé à cette adresse.",
    )
    auditeur_number = forms.CharField(
        label="Numéro d'auditeur",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Tel qu'il figure dans le système d'information du Cnam.",
    )
    centre = forms.ModelChoiceField(
        label="Centre d'inscription",
        queryset=Centre.objects.none(),
        empty_label="Choisissez",
        error_messages={
            "invalid_choice": "Vous ne pouvez créer un compte que pour un auditeur "
            "de l'un de vos centres."
        },
    )

    def __init__(self, *args, created_by, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are the guard: a centre outside them is refused on POST.
        centres = created_by.centres.order_by("name")
        self.fields["centre"].queryset = centres
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk

    @staticmethod
    def _clean_name(value, message):
        value = " ".join(value.split())
        # The identifier is built from the name: it needs at least one letter.
        if not slug_part(value):
            raise ValidationError(message, code="no_letter")
        return value

    def clean_first_name(self):
        return self._clean_name(
            self.cleaned_data["first_name"], "Le prénom doit contenir au moins une lettre."
        )

    def clean_last_name(self):
        return self._clean_name(
            self.cleaned_data["last_name"], "Le nom doit contenir au moins une lettre."
        )

    def clean_auditeur_number(self):
        number = "".join(self.cleaned_data["auditeur_number"].split()).upper()
        if not AUDITEUR_NUMBER_RE.match(number):
            raise ValidationError(
                "Le numéro d'auditeur ne comporte que des chiffres et des lettres.",
                code="invalid_number",
            )
        # Checked again, under the transaction, by the service.
        if AuditeurProfile.objects.filter(auditeur_number=number).exists():
            raise ValidationError(
                AuditeurProfile._meta.get_field("auditeur_number").error_messages["unique"],
                code="unique",
            )
        return number
