"""The one way domain code sends a courriel. (Interface fixed; body by the outbox work.)"""


def queue_courriel(*, to, template, context, recipient_user=None, dossier_reference="",
                   attachments=()):
    raise NotImplementedError
