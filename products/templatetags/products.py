from django import template
from django.conf import settings

from yumroad_site.money import format_money

register = template.Library()


@register.filter
def money(cents):
    """Integer cents as a price: 499 is "$4.99"."""
    return format_money(cents)


@register.filter
def absolute(url):
    """A link of this site made absolute with SITE_URL (one already absolute is kept),
    for what is read off the page: canonical links, Open Graph pictures."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + ("" if url.startswith("/") else "/") + url


@register.simple_tag
def currency_code():
    """The site's currency as Open Graph wants it: "USD"."""
    return settings.CURRENCY.upper()


@register.filter
def file_url(file):
    """A file field's URL, or "" when it holds no file (where `.url` would raise)."""
    return file.url if file else ""
