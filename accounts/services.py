from functools import partial

from django.db import transaction

from accounts.models import User
from accounts.tasks import welcome_email_send
from stores.services import store_create


def user_signup(*, email, password, store_name):
    """Create a user and their store together, then welcome them by email.

    Either both rows are saved or neither (IntegrityError when the email or the store
    name was taken meanwhile). The email goes out only once the transaction commits.
    """
    with transaction.atomic():
        user = User.objects.create_user(email, password)
        store = store_create(owner=user, name=store_name)
        transaction.on_commit(partial(welcome_email_send.enqueue, store.pk), robust=True)
    return user
