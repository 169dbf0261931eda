import logging

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from orders import payments, services

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """Stripe's events about checkouts and refunds. 400 for anything Stripe did not sign,
    a checkout that is not ours or does not match its order, or a malformed event
    (nothing written); 200 for the rest."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            event = payments.webhook_event(request.body, request.headers.get("Stripe-Signature"))
        except payments.InvalidWebhook as error:
            logger.warning("Refused a Stripe webhook: %s", error)
            return HttpResponseBadRequest("Invalid webhook.")
        try:
            outcome = services.stripe_event_handle(event=event)
        except services.RefusedEvent as error:
            logger.warning("Refused Stripe event %r: %s", event["id"], error)
            return HttpResponseBadRequest(error.answer, content_type="text/plain")
        return JsonResponse({"status": outcome})
