from django.conf import settings


def site(request):
    """What every page shows of the operator's site: its name and support address."""
    return {"site_name": settings.SITE_NAME, "support_email": settings.SUPPORT_EMAIL}
