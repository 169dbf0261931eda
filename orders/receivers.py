from django.db.models.signals import pre_delete
from django.dispatch import receiver

from accounts.signals import email_confirmed
from orders.services import discount_codes_of_product_delete, guest_orders_attach
from products.models import Product


@receiver(email_confirmed)
def guest_orders_join_the_confirmed_account(user, **kwargs):
    guest_orders_attach(user=user)


@receiver(pre_delete, sender=Product)
def discount_codes_for_it_alone_go_with_it(instance, **kwargs):
    discount_codes_of_product_delete(product=instance)
