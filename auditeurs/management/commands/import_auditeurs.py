from auditeurs.imports import import_auditeurs
from auditeurs.management.commands.import_ues import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Importe les auditeurs du système d'information du Cnam (CSV UTF-8, séparateur « ; », "
        "en-tête numero_auditeur;nom;prenom;civilite;email;centre[;identifiant]). "
        "Tout ou rien : si une ligne est erronée, rien n'est enregistré."
    )
    import_function = staticmethod(import_auditeurs)
