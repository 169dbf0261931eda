from django.core.management.base import BaseCommand

from api.webhooks import webhook_deliveries_send_due


class Command(BaseCommand):
    help = (
        "Queue a try of each sellers' webhook due for a minute already: those whose task "
        "was lost, and, with TASK_BACKEND=immediate (which can't wait), every retry. "
        "Run it every few minutes from cron; a delivery queued twice is tried once."
    )

    def handle(self, *args, **options):
        count = webhook_deliveries_send_due()
        self.stdout.write(f"{count} webhook deliveries queued.")
