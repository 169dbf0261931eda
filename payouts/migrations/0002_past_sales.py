from django.db import migrations


def book_past_sales(apps, schema_editor):
    """Orders paid before the ledger existed: their sale's net, and a refunded order's
    refund of all of it, dated by their payment (available PAYOUT_HOLD_DAYS after it), as
    the ledger's receivers (payouts.receivers) book later ones. An order paid more than
    PAYOUT_HOLD_DAYS ago is available at once: the first pay_out run pays it. Inserted under the unique keys, so
    what is booked already stays as it is."""
    Order = apps.get_model("orders", "Order")
    LedgerEntry = apps.get_model("payouts", "LedgerEntry")
    paid = Order.objects.filter(
        status__in=["paid", "refunded"],
        net_cents__gt=0,
        store__isnull=False,
        paid_at__isnull=False,
    ).only("pk", "store_id", "paid_at", "net_cents", "refunded_cents", "refunded_net_cents")
    for order in paid.iterator(chunk_size=500):
        entries = [
            LedgerEntry(
                store_id=order.store_id,
                kind="sale",
                amount_cents=order.net_cents,
                order_id=order.pk,
                key="",
                earned_at=order.paid_at,
            )
        ]
        if order.refunded_net_cents:
            entries.append(
                LedgerEntry(
                    store_id=order.store_id,
                    kind="refund",
                    amount_cents=-order.refunded_net_cents,
                    order_id=order.pk,
                    key=str(order.refunded_cents),
                    earned_at=order.paid_at,
                )
            )
        LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0001_ledger_accounts_payouts"),
        ("orders", "0007_money_of_an_order"),
    ]

    operations = [migrations.RunPython(book_past_sales, migrations.RunPython.noop)]
