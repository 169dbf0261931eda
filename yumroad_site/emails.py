from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_send(*, template, subject, to, context, reply_to=None):
    """One email from a pair of templates, emails/<template>.txt and .html, and a context
    (with the site's name and support address, as pages have them)."""
    context = {"site_name": settings.SITE_NAME, "support_email": settings.SUPPORT_EMAIL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()
