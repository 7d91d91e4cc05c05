"""debitor-core: customer registration for invoicing software.

Register customers from raw form input, validated and normalised; review a form before
saving; find customers by free text and filters; organise them in categories and custom
fields; keep them in memory or in a store of your own.

>>> from debitor_core import CustomerBook
>>> book = CustomerBook()
>>> customer = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
>>> customer.number
1
"""

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import (
    AlreadyExists,
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    CorruptStore,
    CustomerInUse,
    DebitorError,
    DuplicateCustomer,
    InUse,
    MissingSnapshot,
    NotFound,
    Problem,
    Severity,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
)
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._form import CustomerDraft, RequiredFields, customer_to_form
from debitor_core._history import (
    DefinitionAction,
    DefinitionChange,
    DefinitionSubject,
    Erasure,
    FieldChange,
    Forward,
    HistoryAction,
    HistoryEntry,
)
from debitor_core._i18n import available_locales, render_message
from debitor_core._invoice import (
    RECORD_KINDS,
    BillTo,
    Branding,
    Delivery,
    DeliveryState,
    Invoice,
    InvoiceLine,
    InvoiceState,
    InvoiceStatus,
    Payment,
    Record,
    ReminderLog,
)
from debitor_core._model import (
    Address,
    AttachmentRef,
    Consent,
    ConsentChannel,
    Customer,
    CustomerKind,
    Note,
    Phone,
    PhoneType,
    TaxId,
)
from debitor_core._terms import PaymentTerms, TermsKind
from debitor_core._welcome import PLACEHOLDERS, LineTemplate, WelcomeInvoicePolicy
from debitor_core.book import (
    AccountLine,
    AccountSummary,
    BookView,
    CategoryCount,
    CustomerBook,
    DueReminder,
    DuplicateMatch,
    Review,
    SearchResult,
    Totals,
    WelcomeSender,
)

__all__ = [
    "PLACEHOLDERS",
    "RECORD_KINDS",
    "AccountLine",
    "AccountSummary",
    "Address",
    "AlreadyExists",
    "AttachmentRef",
    "BillTo",
    "BookView",
    "Branding",
    "Category",
    "CategoryCount",
    "CommitOutcomeUnknown",
    "ConcurrencyConflict",
    "Consent",
    "ConsentChannel",
    "CorruptStore",
    "CustomFieldDefinition",
    "Customer",
    "CustomerBook",
    "CustomerDraft",
    "CustomerInUse",
    "CustomerKind",
    "DebitorError",
    "DefinitionAction",
    "DefinitionChange",
    "DefinitionSubject",
    "Delivery",
    "DeliveryState",
    "DueReminder",
    "DuplicateCustomer",
    "DuplicateMatch",
    "Erasure",
    "FieldChange",
    "FieldType",
    "Forward",
    "HistoryAction",
    "HistoryEntry",
    "InUse",
    "Invoice",
    "InvoiceLine",
    "InvoiceState",
    "InvoiceStatus",
    "LineTemplate",
    "MissingSnapshot",
    "NotFound",
    "Note",
    "Payment",
    "PaymentTerms",
    "Phone",
    "PhoneType",
    "Problem",
    "Record",
    "ReminderLog",
    "RequiredFields",
    "Review",
    "SearchResult",
    "Severity",
    "StorageError",
    "StoreLocked",
    "TaxId",
    "TermsKind",
    "Totals",
    "UnsupportedFormatVersion",
    "ValidationError",
    "WelcomeInvoicePolicy",
    "WelcomeSender",
    "available_locales",
    "customer_to_form",
    "make_converter",
    "render_message",
]
