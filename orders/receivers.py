from django.dispatch import receiver

from accounts.signals import email_confirmed
from orders.services import guest_orders_attach


@receiver(email_confirmed)
def guest_orders_join_the_confirmed_account(user, **kwargs):
    guest_orders_attach(user=user)
