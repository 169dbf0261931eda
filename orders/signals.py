from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from orders.models import Order
from yumroad_site.cache import member_changed


@receiver([post_save, post_delete], sender=Order)
def retire_buyers_pages(instance, **kwargs):
    """A product's page tells its buyer they own it: retire the buyer's cached copies."""
    member_changed(instance.buyer_id)
