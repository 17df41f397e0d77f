"""Pages of long lists: the page's keys are chosen first, then its rows are joined.

A list page of D3 joins each dossier with its auditeur, profile, diploma… With a plain
``Paginator``, PostgreSQL joins the whole list, sorts it to keep 50 rows, and at page 50
joins and skips 2,450 rows first: at the Cnam's scale (thousands of dossiers per
centre; benchmarks/load.py) that was most of the page's time. :class:`KeyedPaginator`
sorts and skips the primary keys alone, in a subquery read from the indexes, and joins
the page's rows only — in the same single query, so a page costs the same number of
queries as with ``Paginator``.
"""

from django.core.paginator import Paginator


class KeyedPaginator(Paginator):
    """``Paginator`` for an ordered queryset whose rows carry joins (select_related).

    The rows keep the queryset's ``select_related``, ``prefetch_related``, ``only()`` or
    ``defer()`` and ordering; an annotation would be lost: such a queryset is refused.
    """

    def __init__(self, object_list, *args, count=None, **kwargs):
        """``count``: the list's length when the page has already counted it (the
        counts per state of a list's tabs): the paginator's own ``COUNT`` query, as
        costly as the list's filters, is then not run."""
        if object_list.query.annotations:
            raise ValueError("KeyedPaginator : les annotations ne sont pas reprises.")
        super().__init__(object_list, *args, **kwargs)
        if count is not None:
            self.count = count  # Paginator.count is a cached_property: this is its value

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if top <= bottom:  # an empty list: no query, as Paginator
            return self._get_page(self.object_list.none(), number, self)
        listed = self.object_list
        keys = listed.values("pk")[bottom:top]
        # The page's rows by their keys alone: the list's filters (already applied to
        # the keys) would make PostgreSQL join the whole list again.
        rows = listed.model._default_manager.filter(pk__in=keys).order_by(
            *listed.query.order_by
        ).prefetch_related(*listed._prefetch_related_lookups)
        rows.query.select_related = listed.query.select_related
        rows.query.deferred_loading = listed.query.deferred_loading  # only() / defer()
        return self._get_page(rows, number, self)
