import secrets

from django.db import migrations, models

import orders.models


# One statement for every order made before (the table is locked while it runs): 32
# random hex digits, of the shape a receipt key has (orders.views.receipt).
FILL_SQL = {
    "postgresql": "UPDATE orders_order SET receipt_key = replace(gen_random_uuid()::text, '-', '')",
    "sqlite": "UPDATE orders_order SET receipt_key = lower(hex(randomblob(16)))",
}


def fill_receipt_keys(apps, schema_editor):
    if schema_editor.connection.vendor in FILL_SQL:
        schema_editor.execute(FILL_SQL[schema_editor.connection.vendor])
        return
    Order = apps.get_model("orders", "Order")
    for pk in list(Order.objects.filter(receipt_key=None).values_list("pk", flat=True)):
        # As orders.models.receipt_key_new makes them, frozen here.
        Order.objects.filter(pk=pk).update(receipt_key=secrets.token_urlsafe(24))


class Migration(migrations.Migration):
    """Each order gets the random key of its receipt page, /orders/<key>/: new orders
    when they are made, the orders made before here."""

    dependencies = [
        ("orders", "0004_sent_emails"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="receipt_key",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_receipt_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="receipt_key",
            field=models.CharField(
                default=orders.models.receipt_key_new,
                editable=False,
                help_text="The receipt page's address: /orders/<key>/, for whoever holds it.",
                max_length=32,
                unique=True,
            ),
        ),
    ]
