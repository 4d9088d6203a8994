"""Which CRM field each of our fields goes to, and how its value is spelled there.

A field map is a YAML file per team and CRM (format: crm_fill/README.md, "CRM write-back"):

    crm: amocrm
    timezone: Europe/Moscow        # dates become midnight in this zone where the CRM stores a moment
    fields:
      - field: budget              # our field, as in the field schema
        crm_field: price           # the CRM's field id: amoCRM field_id or 'price', Bitrix24 UF_CRM_* or
        type: money                #   a standard field, a HubSpot property's internal name
      - field: deal_stage_suggestion
        crm_field: "583921"
        type: enum
        enum_ids: {qualification: "1204711", proposal: "1204713"}   # our value → the CRM's option id

Each adapter turns a value into its CRM's spelling; the helpers here are the parts they share.
"""

import math
import re
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from crm_fill.adapters.errors import MappingError
from models import FieldSchema, FieldType
from models.errors import BadInput

CRMName = Literal["amocrm", "bitrix24", "hubspot", "webhook"]

_MONEY = re.compile(r"^(?P<amount>-?\d+(?:\.\d+)?)(?: (?P<currency>[A-Z]{3}))?$")


class FieldMapError(BadInput, ValueError):
    """A field map file that cannot be read or does not fit the field schema; the message names the problem."""


class FieldMapping(BaseModel):
    field: str = Field(pattern=r"^[a-z0-9_]+$")
    crm_field: str = Field(min_length=1)
    type: FieldType
    enum_ids: dict[str, str] = Field(default_factory=dict, description="Our enum value → the CRM's option id.")

    @field_validator("crm_field", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("enum_ids", mode="before")
    @classmethod
    def _ids_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(key): str(option) for key, option in value.items()}
        return value

    def option(self, crm: str, value: str) -> str:
        """The CRM option id of one of our enum values; MappingError when the map has none for it."""
        try:
            return self.enum_ids[value]
        except KeyError:
            raise MappingError(
                crm, f"field '{self.field}': value '{value}' has no option id in the field map ({self.crm_field})"
            ) from None


class FieldMap(BaseModel):
    crm: CRMName
    timezone: str = "UTC"
    fields: list[FieldMapping] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @model_validator(mode="after")
    def _unique(self) -> "FieldMap":
        names = [mapping.field for mapping in self.fields]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"fields mapped twice: {twice}")
        targets = [mapping.crm_field for mapping in self.fields]
        shared = sorted({target for target in targets if targets.count(target) > 1})
        if shared:
            raise ValueError(f"CRM fields that two of our fields would overwrite: {shared}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def mapping(self, field: str) -> FieldMapping:
        for mapping in self.fields:
            if mapping.field == field:
                return mapping
        raise MappingError(self.crm, f"field '{field}' is approved but the field map sends it nowhere")

    def check(self, schema: FieldSchema) -> None:
        """FieldMapError when a mapped field is not in the schema, has another type, or maps unknown enum values.
        Options keyed by a value's title are re-keyed by the value itself, the form approved values take."""
        for mapping in self.fields:
            try:
                spec = schema.field(mapping.field)
            except KeyError:
                raise FieldMapError(f"field map: '{mapping.field}' is not in field schema '{schema.id}'") from None
            if spec.type != mapping.type:
                raise FieldMapError(
                    f"field map: '{mapping.field}' is {mapping.type} here but {spec.type} in schema '{schema.id}'"
                )
            # An option may be keyed by the value's title in any language ("директор: '1204711'").
            mapping.enum_ids = {spec.value_of_title(key) or key: option for key, option in mapping.enum_ids.items()}
            unknown = sorted(set(mapping.enum_ids) - set(spec.allowed_values))
            if unknown:
                raise FieldMapError(f"field map: '{mapping.field}' maps values the schema does not allow: {unknown}")


def load_field_map(path: Path) -> FieldMap:
    """Read and validate one field map file; FieldMapError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FieldMapError(f"{path}: cannot read field map: {exc.strerror or exc}") from exc
    return parse_field_map(text, str(path))


def parse_field_map(text: str, source: str) -> FieldMap:
    """A field map from YAML (or JSON) text; `source` names where it came from in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FieldMapError(f"{source}: YAML syntax error: {str(exc).splitlines()[0]}") from exc
    try:
        return FieldMap.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FieldMapError(
            f"{source}: invalid field map: {where}: {first['msg'].removeprefix('Value error, ')}"
        ) from exc


def money_parts(crm: str, mapping: FieldMapping, value: object) -> tuple[float, str | None]:
    """The amount and ISO currency code of a money value in our form ("50000 RUB", "75000")."""
    match = _MONEY.match(str(value))
    if match is None:
        raise MappingError(crm, f"field '{mapping.field}': '{value}' is not a money value")
    return float(match["amount"]), match["currency"]


def number_text(number: float) -> str:
    """25.0 → "25", 12.5 → "12.5": how CRMs that take numbers as text want them."""
    return str(int(number)) if number.is_integer() else repr(number)


def as_date(crm: str, mapping: FieldMapping, value: object) -> date:
    if not isinstance(value, date):
        raise MappingError(crm, f"field '{mapping.field}': '{value}' is not a date")
    return value


def as_number(crm: str, mapping: FieldMapping, value: object) -> float:
    """A number value as a float; numeric text is read as before, a list or a date is refused."""
    if not isinstance(value, str | int | float):
        raise MappingError(crm, f"field '{mapping.field}': '{value}' is not a number")
    return float(value)


def comparable(value: object) -> object:
    """A form in which what was sent and what the CRM gives back compare equal when they mean the same:
    numbers and numeric text as floats, text trimmed, lists as sorted tuples."""
    if isinstance(value, list | tuple):
        return tuple(sorted((comparable(item) for item in value), key=repr))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else value
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        return text
