from django.db import IntegrityError, migrations, transaction


def normalize_order_emails(apps, schema_editor):
    """Orders keep their buyer's email in the one spelling accounts use (trimmed, lower
    case: yumroad_site.validators.normalize_email, frozen here), so that an account
    finds its guest orders by an exact match (Order.objects.of_email)."""
    Order = apps.get_model("orders", "Order")
    for pk, email in Order.objects.exclude(email="").values_list("pk", "email").iterator():
        normalized = email.strip().lower()
        if normalized == email:
            continue
        try:
            with transaction.atomic():
                Order.objects.filter(pk=pk).update(email=normalized)
        except IntegrityError:
            # A second free claim of the product by the same address in another case:
            # the first claim keeps the spelling, this one keeps its own.
            pass


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_order_receipt_key"),
    ]

    operations = [
        migrations.RunPython(normalize_order_emails, migrations.RunPython.noop),
    ]
