"""CRM write-back: approved field values and call logs into amoCRM/Kommo, Bitrix24, HubSpot or a signed webhook."""

from crm_fill.adapters.amocrm import AmoCRMAdapter, AmoCRMConnection
from crm_fill.adapters.base import CallLog, CRMAdapter, FieldMismatch, WriteResult
from crm_fill.adapters.bitrix24 import Bitrix24Adapter, Bitrix24Connection
from crm_fill.adapters.errors import (
    CRMAuthError,
    CRMError,
    DealNotFound,
    MappingError,
    PermanentCRMError,
    RetryableCRMError,
)
from crm_fill.adapters.hubspot import HubSpotAdapter, HubSpotConnection
from crm_fill.adapters.mapping import FieldMap, FieldMapError, FieldMapping, load_field_map, parse_field_map
from crm_fill.adapters.secrets import SecretBox, SecretKeyError, generate_key
from crm_fill.adapters.webhook import Signer, WebhookAdapter, WebhookConnection

__all__ = [
    "AmoCRMAdapter",
    "AmoCRMConnection",
    "Bitrix24Adapter",
    "Bitrix24Connection",
    "CRMAdapter",
    "CRMAuthError",
    "CRMError",
    "CallLog",
    "DealNotFound",
    "FieldMap",
    "FieldMapError",
    "FieldMapping",
    "FieldMismatch",
    "HubSpotAdapter",
    "HubSpotConnection",
    "MappingError",
    "PermanentCRMError",
    "RetryableCRMError",
    "SecretBox",
    "SecretKeyError",
    "Signer",
    "WebhookAdapter",
    "WebhookConnection",
    "WriteResult",
    "generate_key",
    "load_field_map",
    "parse_field_map",
]
