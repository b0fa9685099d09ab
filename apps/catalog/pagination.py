"""Pages of products whose count stops at PACTLINE_CATALOG_COUNT_LIMIT.

An exact count of a large catalog reads every matching row, which costs more than the page
itself (the page of a newest-first listing is read from an index and stops after 24 rows).
Counting at most limit + 1 rows keeps a listing's cost flat as the catalog grows; beyond the
limit the total reads "more than N" and the pages stop there.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count_limit=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_limit = (
            settings.PACTLINE_CATALOG_COUNT_LIMIT if count_limit is None else count_limit
        )

    @cached_property
    def _counted(self):
        # COUNT(*) over a subquery with LIMIT limit + 1: one query, bounded work. Neither the
        # order nor the card columns (thumbnail, badges, rank) matter to a count.
        matches = self.object_list.order_by().values("pk")
        return matches[: self.count_limit + 1].count()

    @cached_property
    def count(self):
        return min(self._counted, self.count_limit)

    @property
    def count_is_capped(self):
        """True when there are more matches than `count` says."""
        return self._counted > self.count_limit
