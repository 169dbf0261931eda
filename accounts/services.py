from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from stores.services import store_create


def user_signup(*, email, password, store_name):
    """Create a user and their store together, then welcome them by email.

    Either both rows are saved or neither (IntegrityError when the email or the store
    name was taken meanwhile). The email goes out only once the transaction commits.
    """
    with transaction.atomic():
        user = User.objects.create_user(email, password)
        store = store_create(owner=user, name=store_name)
        transaction.on_commit(lambda: welcome_email_send(store=store), robust=True)
    return user


def welcome_email_send(*, store):
    """The welcome email: plain text and HTML, with a link to add a first product."""
    context = {
        "store": store,
        "add_product_url": settings.SITE_URL + reverse("products:create"),
    }
    message = EmailMultiAlternatives(
        subject=f"Welcome to Yumroad, {store.name}",
        body=render_to_string("emails/welcome.txt", context),
        to=[store.owner.email],
    )
    message.attach_alternative(render_to_string("emails/welcome.html", context), "text/html")
    message.send()
