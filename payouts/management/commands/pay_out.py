from django.core.management.base import BaseCommand, CommandError

from payouts import services
from payouts.models import PayoutAccount

SAID = {
    services.Outcome.PAID: "Paid",
    services.Outcome.SKIPPED: "Skipped",
    services.Outcome.FAILED: "Failed",
    services.Outcome.UNANSWERED: "Unanswered",
}


class Command(BaseCommand):
    help = (
        "Pay each store its available balance (at least PAYOUT_MINIMUM_CENTS) by a Stripe "
        "transfer to its payouts account; retry first any payout whose transfer got no "
        "answer, with its same key. Run it daily (cron or a systemd timer). A second run "
        "while one runs does nothing. Exits 1 when a transfer failed or got no answer."
    )

    def handle(self, **options):
        holder = services.run_holder_new()
        if not services.run_lease_take(holder=holder):
            self.stdout.write(
                "Another pay_out run is in progress, or one stopped less than 10 minutes "
                "ago; nothing done."
            )
            return
        counts = dict.fromkeys(services.Outcome, 0)
        try:
            accounts = PayoutAccount.objects.select_related("store").order_by("pk")
            for account in accounts:
                if not services.run_lease_renew(holder=holder):
                    raise CommandError("The run's lease was lost; stopped. Run it again.")
                outcome, payout, said = services.store_pay_out(account=account)
                counts[outcome] += 1
                if payout is None:
                    line = f"{SAID[outcome]} {account.store.name}: {said}"
                else:
                    amount = f"{payout.display_amount} (payout {payout.pk})"
                    line = f"{SAID[outcome]} {amount} to {account.store.name}: {said}"
                self.stdout.write(line)
        finally:
            services.run_lease_release(holder=holder)
        self.stdout.write(
            ", ".join(f"{count} {outcome}" for outcome, count in counts.items()) + "."
        )
        troubled = counts[services.Outcome.FAILED] + counts[services.Outcome.UNANSWERED]
        if troubled:
            raise CommandError(f"{troubled} transfer(s) failed or got no answer.")
