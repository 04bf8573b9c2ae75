"""The data map: what Tutela may collect, why, under which legal basis, for whom, how long."""

from tutela.datamap.check import check_datamap, datamap_version, load_datamap
from tutela.datamap.masking import MASK_RULES, apply_mask
from tutela.datamap.service import AppliedDataMap, apply_datamap, require
from tutela.datamap.spec import (
    ADMIN_ROLE,
    DATA_SUBJECT_ROLE,
    DataMap,
    FieldSpec,
    FieldType,
    LegalBasis,
    OnWithdrawal,
    Permission,
    PurposeSpec,
    RetentionStart,
)

__all__ = [
    "ADMIN_ROLE",
    "DATA_SUBJECT_ROLE",
    "MASK_RULES",
    "AppliedDataMap",
    "DataMap",
    "FieldSpec",
    "FieldType",
    "LegalBasis",
    "OnWithdrawal",
    "Permission",
    "PurposeSpec",
    "RetentionStart",
    "apply_datamap",
    "apply_mask",
    "check_datamap",
    "datamap_version",
    "load_datamap",
    "require",
]
