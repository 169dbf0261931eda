from django.conf import settings
from django.urls import reverse
from django_tasks import task

from stores.models import Store
from yumroad_site.emails import email_send
from yumroad_site.tasks import retried_on_failure


@task()
def welcome_email_send(store_id, attempt=1):
    """The welcome email: plain text and HTML, with a link to add a first product. The
    address is nobody's confirmed one yet: the subject carries no store name."""
    store = Store.objects.select_related("owner").filter(pk=store_id).first()
    if store is None:
        return
    with retried_on_failure(welcome_email_send, store_id, attempt=attempt):
        email_send(
            template="welcome",
            subject=f"Welcome to {settings.SITE_NAME}",
            to=[store.owner.email],
            context={
                "store": store,
                "add_product_url": settings.SITE_URL + reverse("products:create"),
            },
        )
