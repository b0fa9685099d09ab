"""Errors a supplier can cause. Views turn them into form errors or messages, the API into 400s;
none of them is ever a 500."""

from dataclasses import dataclass


class CatalogError(Exception):
    """A refused catalog change. `errors` maps a field name (or None for the whole change) to
    the messages to show."""

    def __init__(self, message=None, *, field=None, errors=None):
        self.errors = dict(errors or {})
        if message is not None:
            self.errors.setdefault(field, []).append(message)
        super().__init__("; ".join(str(m) for ms in self.errors.values() for m in ms))

    @property
    def messages(self):
        return [str(m) for ms in self.errors.values() for m in ms]


class ProductInvalid(CatalogError):
    """The product's data breaks a catalog rule (tiers out of order, unknown currency...)."""


class ProductNotOwned(CatalogError):
    """Someone other than the product's supplier tried to change it."""


class NotASupplier(CatalogError):
    """Only supplier accounts list products."""


class ImageRejected(CatalogError):
    """The upload is not an image we accept: wrong type by content, too big, or unreadable."""


@dataclass(frozen=True)
class ImportRow:
    """One problem found in a CSV import: its row (the header is row 1), column and message."""

    row: int | None  # None: the whole file
    column: str
    message: str


class ImportRejected(CatalogError):
    """A CSV import with at least one bad row (or a bad file): nothing was saved.
    `row_errors` lists every problem found, not only the first."""

    def __init__(self, row_errors):
        self.row_errors = list(row_errors)
        super().__init__(errors={None: [f"{e.row}/{e.column}: {e.message}" for e in row_errors]})
