"""License keys: one for each paid order of a product that generates them, made in the
payment's transaction (orders.services) and disabled in the transaction of a full
refund or a lost dispute; and what the API's license endpoints call.

A key is looked up upper-case, without the spaces around it. Whatever is not a key of
the product, and enabled, raises LicenseNotFound: the caller can't tell an unknown key
from another product's or a disabled one.
"""

import hashlib
import pickle
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from orders import tasks
from orders.models import LICENSE_KEY, License, Order, license_key_new
from yumroad_site.cache import product_version
from yumroad_site.cache_backend import ScriptsUnavailable
from yumroad_site.forms import MAX_ID
from yumroad_site.retirement import products_changed

# 128 random bits collide next to never; a collision makes another key, a few times.
KEY_ATTEMPTS = 3
# A product's id, as the API may send it: digits, within a database's bigint.
PRODUCT_ID = re.compile(r"[0-9]{1,19}", re.ASCII)

# Counting uses in Redis, where the cache is Redis: a hash per key holds its uses
# (`total`), those the database has (`written`) and, kept under its product's version
# (yumroad_site.cache.product_version: what retires it), what a verification answers
# of it and its order. A verification of a key read once then
# asks nothing of the database: one script of Redis counts and answers it. The keys
# counted since they were last written are in USES_TO_WRITE, and the first use after
# each LICENSE_USES_WRITE_SECONDS schedules uses_write.
USES_TO_WRITE = "license-uses:to-write"
WRITE_SCHEDULED = "license-uses:write-scheduled"
WRITE_BATCH = 500
# A key whose uses are written, unused this long, leaves Redis (the next use reads the
# database again).
IDLE_SECONDS = 86_400
LICENSE_FIELDS = [field.attname for field in License._meta.concrete_fields]
ORDER_FIELDS = [field.attname for field in Order._meta.concrete_fields]
# What is kept is the fields' values in their order: a release with other fields keeps
# its own (the kept version names the layout).
LAYOUT = hashlib.blake2b(
    " ".join(LICENSE_FIELDS + ORDER_FIELDS).encode(), digest_size=4
).hexdigest()
# Batches of WRITE_BATCH keys a run of uses_write takes at most (so that it ends under
# any load): the keys left are written by the run a later use schedules.
WRITE_BATCHES = 20

# A verification of a key kept under the current version of its product. KEYS: the
# key's hash, its product's version, USES_TO_WRITE, WRITE_SCHEDULED. ARGV: the seconds
# between writes, "<product id> <key>", LAYOUT. Answers {uses, whether to schedule a
# write, what is kept}, or false when nothing current is kept.
USE_KEPT = """
local kept = redis.call('HMGET', KEYS[1], 'version', 'pk', 'answer')
local version = redis.call('GET', KEYS[2])
if not kept[1] or not version or kept[1] ~= version .. ' ' .. ARGV[3] then return false end
redis.call('PERSIST', KEYS[1])
local uses = redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('SADD', KEYS[3], kept[2] .. ' ' .. ARGV[2])
local due = 0
if redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[1]) then due = 1 end
return {uses, due, kept[3]}
"""
# The version of a product, made if it has none (for IDLE_SECONDS: one gone is one
# retired). KEYS: the version. ARGV: a new one, IDLE_SECONDS.
VERSION = """
local version = redis.call('GET', KEYS[1])
if version then return version end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
"""
# A verification of a key read from the database under its row's lock: its count
# starts from the database's uses where Redis has none, and what it answers is kept
# if `version` (read before the database was) is still its product's. KEYS as USE_KEPT.
# ARGV: the seconds between writes, "<product id> <key>", the version, the license's
# pk, its uses in the database, what to keep, LAYOUT. Answers {uses, whether to
# schedule a write}.
USE_READ = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'total', ARGV[5], 'written', ARGV[5])
end
if redis.call('GET', KEYS[2]) == ARGV[3] then
  local kept_as = ARGV[3] .. ' ' .. ARGV[7]
  redis.call('HSET', KEYS[1], 'version', kept_as, 'pk', ARGV[4], 'answer', ARGV[6])
else
  redis.call('HDEL', KEYS[1], 'version', 'answer')
end
redis.call('PERSIST', KEYS[1])
local uses = redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('SADD', KEYS[3], ARGV[4] .. ' ' .. ARGV[2])
local due = 0
if redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[1]) then due = 1 end
return {uses, due}
"""
# KEYS: the key's hash. Its uses, or false.
PEEK = """
local total = redis.call('HGET', KEYS[1], 'total')
if total then return tonumber(total) end
return false
"""
# The uses counted since the last write, marked written. KEYS: the key's hash. ARGV: 1
# to stop counting in Redis (the hash goes), IDLE_SECONDS.
TAKE = """
local total = redis.call('HGET', KEYS[1], 'total')
if not total then return 0 end
local pending = tonumber(total) - tonumber(redis.call('HGET', KEYS[1], 'written'))
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'written', total)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return pending
"""
# TAKE undone, when the database refused what it took. KEYS: the key's hash,
# USES_TO_WRITE. ARGV: the uses, the member of USES_TO_WRITE.
GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'written', -tonumber(ARGV[1]))
  redis.call('PERSIST', KEYS[1])
  redis.call('SADD', KEYS[2], ARGV[2])
end
"""
# KEYS: USES_TO_WRITE. ARGV: how many. Takes that many of its members out.
POP = "return redis.call('SPOP', KEYS[1], ARGV[1])"
# KEYS: USES_TO_WRITE. ARGV: members taken out and not written.
PUT_BACK = "return redis.call('SADD', KEYS[1], unpack(ARGV))"


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
    product_id, key = _wanted(product_id, license_key)
    if not increment_uses_count:
        license = _enabled(product_id, key).select_related("order").first()
        if license is not None:
            license.uses = _uses_now(license)
    else:
        license = _kept_use_counted(product_id, key) or _use_counted(product_id, key)
    if license is None:
        raise LicenseNotFound
    return license


def _kept_use_counted(product_id, key):
    """The license as kept in Redis for verifying it, its use counted there; or None
    when nothing current is kept of it (a change retired it, or it was never read), or
    Redis can't be used now."""
    try:
        counted = cache.run_script(
            USE_KEPT,
            _script_keys(product_id, key),
            [_write_seconds(), f"{product_id} {key}", LAYOUT],
        )
    except ScriptsUnavailable:
        return None
    if counted is None:
        return None
    uses, write_due, kept = counted
    license_values, order_values = pickle.loads(kept)
    license = License.from_db(connection.alias, LICENSE_FIELDS, license_values)
    license.order = Order.from_db(connection.alias, ORDER_FIELDS, order_values)
    license.uses = uses
    if write_due:
        _write_schedule()
    return license


def _use_counted(product_id, key):
    """The enabled license `key` of product `product_id` with one use more, and its
    order; or None. Read under its row's lock, which a seller's change and uses_write
    take too (on PostgreSQL): with Redis, its count then goes on there, from the
    database's, and what it answers is kept there for the next verifications
    (_kept_use_counted) under its product's version read before, unless a change
    retired that meanwhile. Without, the database counts it in this transaction."""
    write_due = False
    with transaction.atomic():
        try:
            # Read before the license is: a change made meanwhile retires it.
            version = cache.run_script(
                VERSION, [product_version(product_id)], [secrets.token_hex(8), IDLE_SECONDS]
            )
        except ScriptsUnavailable:
            version = None
        license = (
            _enabled(product_id, key)
            .select_related("order")
            .select_for_update(of=("self",))
            .first()
        )
        if license is None:
            return None
        kept = (_values(license, LICENSE_FIELDS), _values(license.order, ORDER_FIELDS))
        try:
            if version is None:
                raise ScriptsUnavailable
            license.uses, write_due = cache.run_script(
                USE_READ,
                _script_keys(product_id, key),
                [
                    _write_seconds(),
                    f"{product_id} {key}",
                    version,
                    license.pk,
                    license.uses,
                    pickle.dumps(kept, pickle.HIGHEST_PROTOCOL),
                    LAYOUT,
                ],
            )
        except ScriptsUnavailable:
            License.objects.filter(pk=license.pk).update(uses=F("uses") + 1)
            license.uses += 1
    if write_due:
        _write_schedule()
    return license


def _values(instance, fields):
    return tuple(getattr(instance, name) for name in fields)


def _uses_now(license):
    """The uses of `license` counted so far: in Redis while it counts them there."""
    try:
        counted = cache.run_script(
            PEEK, _script_keys(license.order.product_id, license.key)[:1], []
        )
    except ScriptsUnavailable:
        return license.uses
    return license.uses if counted is None else counted


def _script_keys(product_id, key):
    return [
        f"license-uses:{product_id}:{key}",
        product_version(product_id),
        USES_TO_WRITE,
        WRITE_SCHEDULED,
    ]


def _write_seconds():
    return settings.LICENSE_USES_WRITE_SECONDS


def _write_schedule():
    """Have uses_write run once LICENSE_USES_WRITE_SECONDS are over, in the worker: it
    writes every use counted until then, and a use after it schedules it again. (Where
    tasks run at once, with DEBUG on, it runs now, and a use less than that time after
    waits for the next use to be written.)"""
    task = tasks.license_uses_write
    if task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=_write_seconds()))
    transaction.on_commit(task.enqueue, robust=True)


def uses_write():
    """Write the uses Redis counted into the database, each license's in a transaction
    under its row's lock, WRITE_BATCH licenses at a time. Returns how many licenses had
    uses to write. A license the database refused goes back to be written next time."""
    written = 0
    for _ in range(WRITE_BATCHES):
        try:
            members = cache.run_script(POP, [USES_TO_WRITE], [WRITE_BATCH])
        except ScriptsUnavailable:
            break
        if not members:
            break
        members = [member.decode() for member in members]
        for done, member in enumerate(members):
            pk, product_id, key = member.split(" ")
            try:
                written += bool(_uses_settle(int(pk), int(product_id), key))
            except DatabaseError:
                cache.run_script(PUT_BACK, [USES_TO_WRITE], members[done:])
                raise
    return written


def _uses_settle(pk, product_id, key, *, end=False):
    """Add to license `pk` (key `key` of product `product_id`) in the database the uses
    Redis counted since the last time, under the row's lock; with `end`, stop counting
    in Redis (the next verification reads the license again). Returns them."""
    keys = _script_keys(product_id, key)
    with transaction.atomic():
        if not License.objects.select_for_update().filter(pk=pk).values_list("pk").first():
            end = True  # deleted with its order
        try:
            pending = cache.run_script(TAKE, keys[:1], [int(end), IDLE_SECONDS])
        except ScriptsUnavailable:
            return 0
        if pending:
            try:
                with transaction.atomic():
                    License.objects.filter(pk=pk).update(uses=F("uses") + pending)
            except DatabaseError:
                if not end:
                    member = f"{pk} {product_id} {key}"
                    cache.run_script(GIVE_BACK, [keys[0], USES_TO_WRITE], [pending, member])
                raise
    return pending


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
    update: `only_if`) and return it as it is then. The uses Redis counted are written
    first, and it counts no more there: what was kept for verifying it is retired."""
    licenses = _matching(product_id, license_key).filter(order__store=store)
    with transaction.atomic():
        license = licenses.select_related("order").select_for_update(of=("self",)).first()
        if license is None:
            raise LicenseNotFound
        _uses_settle(license.pk, license.order.product_id, license.key, end=True)
        License.objects.filter(pk=license.pk, **(only_if or {})).update(**changes)
        license.refresh_from_db(fields=["uses", "disabled_at"])
        products_changed([license.order.product_id])
    return license


def _enabled(product_id, key):
    return License.objects.filter(key=key, order__product_id=product_id, disabled_at=None)


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
