from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max


class StuckFilter(admin.SimpleListFilter):
    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [
            ("past_lease", f"Running past the lease ({settings.TASK_LEASE_SECONDS} s)"),
            ("stalled", f"Due, waiting over {settings.TASK_STALL_SECONDS} s"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "past_lease":
            cutoff = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
            return queryset.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        if self.value() == "stalled":
            cutoff = now - timedelta(seconds=settings.TASK_STALL_SECONDS)
            due = queryset.model.objects.ready()
            return queryset.filter(
                pk__in=due.filter(run_after=get_date_max(), enqueued_at__lt=cutoff)
                | due.filter(run_after__lt=cutoff)
            )
        return queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's list, with the tasks that are stuck a filter away, and how many
    times each was taken (more than one: a worker died or lost its database)."""

    list_display = [*DBTaskResultAdmin.list_display, "claims"]
    list_filter = [StuckFilter, *DBTaskResultAdmin.list_filter]

    @admin.display(description="taken")
    def claims(self, obj):
        return len(obj.worker_ids)
