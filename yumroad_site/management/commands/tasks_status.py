from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from yumroad_site.tasks import tasks_overview, tasks_stalled


def _age(since, now):
    seconds = max(0, int((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"


class Command(BaseCommand):
    help = "What the task queue holds: tasks by state, and how long the oldest have waited"

    def handle(self, **options):
        now = timezone.now()
        overview = tasks_overview(now=now)
        oldest = {
            "READY": overview["oldest_due_at"]
            and f"due {_age(overview['oldest_due_at'], now)} ago",
            "RUNNING": overview["oldest_running_at"]
            and f"started {_age(overview['oldest_running_at'], now)} ago",
        }
        self.stdout.write(f"{'State':<12}{'Tasks':>8}  Oldest")
        for status, count in overview["counts"].items():
            self.stdout.write(f"{status:<12}{count:>8}  {oldest.get(status) or ''}".rstrip())
        self.stdout.write(
            f"RUNNING past their lease ({settings.TASK_LEASE_SECONDS} s): {overview['past_lease']}"
        )
        if overview["past_lease"]:
            self.stdout.write("  Their worker died: a running db_worker takes them again.")
        if tasks_stalled(now=now):
            self.stdout.write(
                self.style.WARNING(
                    f"Stalled: a due task has waited over {settings.TASK_STALL_SECONDS} s "
                    "for a worker. Is `manage.py db_worker` running?"
                )
            )
