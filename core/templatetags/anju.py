from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

from core.masking import mask_bank_account, mask_id_number, mask_phone

register = template.Library()


@register.filter
def bs(field: BoundField) -> Any:
    """Render a form field with the Bootstrap class its widget needs."""
    kind = field.widget_type
    css = {
        "checkbox": "form-check-input",
        "select": "form-select",
        "nullbooleanselect": "form-select",
        "checkboxselectmultiple": "",
        "radioselect": "",
    }.get(kind, "form-control")
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css.strip()}) if css.strip() else field


@register.filter
def masked_id(value: str) -> str:
    return mask_id_number(value)


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value)


@register.filter
def masked_bank(value: str) -> str:
    return mask_bank_account(value)


@register.simple_tag(takes_context=True)
def query_without(context: dict[str, Any], *keys: str) -> str:
    params = context["request"].GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key) if mapping else key


@register.filter
def verb_label(verb: str) -> str:
    from audit.labels import VERBS

    return str(VERBS.get(verb, verb))


@register.filter
def source_label(source: str) -> str:
    from audit.labels import SOURCES

    return str(SOURCES.get(source, source))


@register.filter
def field_label(name: str) -> str:
    from audit.labels import FIELDS

    return str(FIELDS.get(name, name))


@register.filter
def value_label(value: Any, field: str) -> str:
    """A recorded value by name: {{ old|value_label:"state" }} (codes, 是/否, lists; see audit.labels)."""
    from audit.labels import value_label as label

    return label(field, value)


@register.filter
def region_name(code: str) -> str:
    """The name of the region a (possibly zero-padded) code stands for."""
    from regions.selectors import name_of, short_code

    return name_of(short_code(code or "")) or code


@register.simple_tag
def pick(form: Any, names: str) -> list[BoundField]:
    """Some of a form's fields, by name, for pages that lay a form out in sections."""
    return [form[name] for name in names.split(",")]


@register.filter
def sub(value: int, other: int) -> int:
    return int(value or 0) - int(other or 0)


@register.filter
def findings(appraisal: Any) -> str:
    """An appraisal's component grades in one line (the rule lives in inspections.sampling)."""
    from inspections.sampling import findings as describe

    return describe(appraisal) if appraisal else ""


@register.filter
def yuan(value: Any) -> str:
    """Money as officials write it: 4,684,500.00 (empty for no value)."""
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(value):,.2f}" if value not in (None, "") else ""
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
