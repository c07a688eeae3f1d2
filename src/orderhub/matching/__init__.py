"""SKU matching: every channel line resolved to the seller's catalog SKUs.

Resolution order (recorded on each line as ``method``): an explicit mapping (account, then
channel, then global scope) -> the exact catalog SKU -> the normalised SKU (case, spaces and
separators ignored, configured prefixes/suffixes removed) -> the line's channel ids (ASIN,
eBay item/variation, the shop's product/variation id, GTIN) -> unresolved, which flags the
order ``awaiting_mapping`` without holding anything up.

What the rest of orderhub calls:

- :func:`resolve_orders` in the sync engine's page transaction, after ``ingest_page``;
- :func:`sync_catalog` on a schedule for accounts whose connector declares
  ``Capability.CATALOG`` (the seller's own shop);
- the catalog, mapping and report functions behind ``orderhub catalog`` and
  ``orderhub skus``.
"""

from orderhub.matching.catalog import (
    CATALOG_COLUMNS,
    CatalogCounts,
    CatalogEntry,
    CatalogRecord,
    CatalogSyncResult,
    apply_catalog,
    import_catalog_csv,
    list_catalog,
    parse_catalog_csv,
    records_from_products,
    sync_catalog,
)
from orderhub.matching.errors import InputRejected, MatchingError, RowProblem
from orderhub.matching.index import (
    Component,
    MappingSpec,
    MatchingIndex,
    Method,
    Resolution,
    describe_scope,
    index_for,
    scope_of,
)
from orderhub.matching.mapping_files import (
    MAPPING_COLUMNS,
    HistoryEntry,
    MappingView,
    import_mappings_csv,
    list_mappings,
    mapping_history,
    parse_mapping_csv,
)
from orderhub.matching.mappings import (
    MappingChange,
    MappingRequest,
    MappingResult,
    delete_mapping,
    describe_components,
    set_mappings,
)
from orderhub.matching.normalise import SkuRules, normalise_gtin, normalise_sku
from orderhub.matching.report import (
    LineExplanation,
    OrderExplanation,
    UnmappedGroup,
    explain,
    load_suggester,
    unmapped,
)
from orderhub.matching.resolve import (
    FROZEN_STATUSES,
    ResolveCounts,
    awaiting_flags,
    page_index,
    reresolve_keys,
    reresolve_waiting,
    resolve_all,
    resolve_external_orders,
    resolve_order_ids,
    resolve_orders,
    resolve_written,
)
from orderhub.matching.settings import MatchingConfig
from orderhub.matching.suggest import Suggester, Suggestion

__all__ = [
    "CATALOG_COLUMNS",
    "FROZEN_STATUSES",
    "MAPPING_COLUMNS",
    "CatalogCounts",
    "CatalogEntry",
    "CatalogRecord",
    "CatalogSyncResult",
    "Component",
    "HistoryEntry",
    "InputRejected",
    "LineExplanation",
    "MappingChange",
    "MappingRequest",
    "MappingResult",
    "MappingSpec",
    "MappingView",
    "MatchingConfig",
    "MatchingError",
    "MatchingIndex",
    "Method",
    "OrderExplanation",
    "Resolution",
    "ResolveCounts",
    "RowProblem",
    "SkuRules",
    "Suggester",
    "Suggestion",
    "UnmappedGroup",
    "apply_catalog",
    "awaiting_flags",
    "delete_mapping",
    "describe_components",
    "describe_scope",
    "explain",
    "import_catalog_csv",
    "import_mappings_csv",
    "index_for",
    "list_catalog",
    "list_mappings",
    "load_suggester",
    "mapping_history",
    "normalise_gtin",
    "normalise_sku",
    "page_index",
    "parse_catalog_csv",
    "parse_mapping_csv",
    "records_from_products",
    "reresolve_keys",
    "reresolve_waiting",
    "resolve_all",
    "resolve_external_orders",
    "resolve_order_ids",
    "resolve_orders",
    "resolve_written",
    "scope_of",
    "set_mappings",
    "sync_catalog",
    "unmapped",
]
