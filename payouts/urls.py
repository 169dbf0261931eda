from django.urls import path

from payouts import views

app_name = "payouts"

urlpatterns = [
    path("payouts/", views.PayoutsView.as_view(), name="index"),
    path("payouts/connect/", views.ConnectView.as_view(), name="connect"),
    path("payouts/connect/return/", views.ConnectReturnView.as_view(), name="connect_return"),
    path("payouts/connect/refresh/", views.ConnectRefreshView.as_view(), name="connect_refresh"),
    path("payouts/connect/test/", views.TestOnboardingView.as_view(), name="test_onboarding"),
    path("payouts/dashboard/", views.DashboardLinkView.as_view(), name="dashboard"),
    path("payouts/dashboard/test/", views.TestDashboardView.as_view(), name="test_dashboard"),
]
