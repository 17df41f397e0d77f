"""Audit trail: who signed in (or failed to), who was refused an object, which staff
member downloaded which pièce — with when, from which address and which browser.

Read by the administrateur in the admin, never changed there. Entries are written by
:func:`d3.audit.record.record` (and the signal receivers of :mod:`d3.audit.signals`);
views look objects up through :func:`d3.audit.record.get_visible_or_404` so that a
refused access to an object that exists is recorded.
"""
