from django import template

from apps.core.money import format_money

register = template.Library()


@register.filter
def money(amount_minor, currency):
    """{{ product.price_min|money:product.currency }}"""
    if amount_minor is None or not currency:
        return ""
    return format_money(amount_minor, currency)


@register.filter
def percent(ratio):
    """0.953 -> '95%'; None -> '' (no data)."""
    if ratio is None:
        return ""
    return f"{round(ratio * 100)}%"
