"""The data map: what Tutela may collect, why, under which legal basis, for whom, how long."""

from tutela.datamap.check import check_datamap, datamap_version, load_datamap
from tutela.datamap.masking import MASK_RULES, apply_mask
from tutela.datamap.service import AppliedDataMap, apply_datamap
from tutela.datamap.spec import DataMap, FieldSpec, FieldType, LegalBasis, PurposeSpec

__all__ = [
    "MASK_RULES",
    "AppliedDataMap",
    "DataMap",
    "FieldSpec",
    "FieldType",
    "LegalBasis",
    "PurposeSpec",
    "apply_datamap",
    "apply_mask",
    "check_datamap",
    "datamap_version",
    "load_datamap",
]
