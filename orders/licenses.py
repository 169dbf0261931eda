"""License keys: one for each paid order of a product that generates them, made in the
payment's transaction (orders.services) and disabled in the transaction of a full
refund or a lost dispute; and what the API's license endpoints call.

A key is looked up upper-case, without the spaces around it. Whatever is not a key of
the product, and enabled, raises LicenseNotFound: the caller can't tell an unknown key
from another product's or a disabled one.
"""

import re

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from orders.models import LICENSE_KEY, License, Order, license_key_new
from yumroad_site.forms import MAX_ID

# 128 random bits collide next to never; a collision makes another key, a few times.
KEY_ATTEMPTS = 3
# A product's id, as the API may send it: digits, within a database's bigint.
PRODUCT_ID = re.compile(r"[0-9]{1,19}", re.ASCII)


class LicenseNotFound(Exception):
    """No license matches: an unknown key, another product's (or another store's), a
    malformed one, or (verifying) a disabled one."""

    message = "That license does not exist for the provided product."

    def __str__(self):
        return self.message


def license_issue(*, order):
    """A new key for paid `order` when its product generates them, else None. Called in
    the transaction that pays the order, which moves once: so one key per order."""
    product = order.product
    if product is None or not product.generates_license_keys:
        return None
    for _ in range(KEY_ATTEMPTS - 1):
        try:
            with transaction.atomic():
                return License.objects.create(order=order, key=license_key_new())
        except IntegrityError:
            continue  # the key is another order's
    return License.objects.create(order=order, key=license_key_new())


def order_license_disable(*, order_id):
    """Disable the key of order `order_id`, if it has one, in the transaction of the move
    that ends the purchase (a full refund, a lost dispute). A key disabled already keeps
    the time it was."""
    License.objects.filter(order_id=order_id, disabled_at=None).update(disabled_at=timezone.now())


def license_verify(*, product_id, license_key, increment_uses_count=True):
    """The enabled license `license_key` of product `product_id`, with its order, its
    uses counted one more unless `increment_uses_count` is false: `uses` then includes
    this verification, and each of several at once counts and answers its own count.
    Raises LicenseNotFound."""
    if not increment_uses_count:
        license = _matching(product_id, license_key).filter(disabled_at=None)
        license = license.select_related("order").first()
    else:
        counted = _use_counted(*_wanted(product_id, license_key))
        if counted is None:
            raise LicenseNotFound
        pk, uses = counted
        license = License.objects.select_related("order").filter(pk=pk).first()
        if license is not None:
            license.uses = uses  # this verification's, whatever came after
    if license is None:
        raise LicenseNotFound
    return license


def _use_counted(product_id, key):
    """One use more on the enabled license `key` of product `product_id`: its (pk,
    uses), or None. One statement (UPDATE ... RETURNING), a transaction of its own: the
    row is locked no longer than the update and its commit, for verifications of one
    key at once wait on each other."""
    licenses, orders = License._meta.db_table, Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {licenses} SET uses = uses + 1 WHERE key = %s AND disabled_at IS NULL "
            f"AND order_id IN (SELECT id FROM {orders} WHERE product_id = %s) "
            "RETURNING id, uses",
            [key, product_id],
        )
        return cursor.fetchone()


def license_enable(*, store, product_id, license_key):
    """The seller of `store` enables their key `license_key` of product `product_id`.
    Returns the license. Raises LicenseNotFound."""
    return _seller_change(store, product_id, license_key, disabled_at=None)


def license_disable(*, store, product_id, license_key):
    """The seller of `store` disables their key: it verifies no more. A key disabled
    already keeps the time it was. Returns the license. Raises LicenseNotFound."""
    return _seller_change(
        store, product_id, license_key, only_if={"disabled_at": None}, disabled_at=timezone.now()
    )


def license_decrement_uses(*, store, product_id, license_key):
    """The seller of `store` takes one use off their key, never below 0. Returns the
    license. Raises LicenseNotFound."""
    return _seller_change(
        store, product_id, license_key, only_if={"uses__gt": 0}, uses=F("uses") - 1
    )


def _seller_change(store, product_id, license_key, *, only_if=None, **changes):
    """Change `store`'s license `license_key` of product `product_id` (a conditional
    update: `only_if`) and return it as it is then."""
    licenses = _matching(product_id, license_key).filter(order__store=store)
    with transaction.atomic():
        license = licenses.select_related("order").first()
        if license is None:
            raise LicenseNotFound
        License.objects.filter(pk=license.pk, **(only_if or {})).update(**changes)
        license.refresh_from_db(fields=["uses", "disabled_at"])
    return license


def _matching(product_id, license_key):
    """The licenses (one at most) of key `license_key` for product `product_id`, as a
    caller may send them. Raises LicenseNotFound, asking nothing of the database, for a
    value that is no key or no product's id."""
    product_id, key = _wanted(product_id, license_key)
    return License.objects.filter(key=key, order__product_id=product_id)


def _wanted(product_id, license_key):
    """(product id, key) as stored, from what a caller sent; LicenseNotFound for a value
    that is no key or no product's id."""
    if isinstance(product_id, str) and PRODUCT_ID.fullmatch(product_id):
        product_id = int(product_id)
    key = license_key.strip() if isinstance(license_key, str) else ""
    if type(product_id) is not int or not 1 <= product_id <= MAX_ID:
        raise LicenseNotFound
    if not LICENSE_KEY.fullmatch(key):
        raise LicenseNotFound
    return product_id, key.upper()
