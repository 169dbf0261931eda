from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo`: demo stores, products and buyers for `make run`. The top
    floor: it may use every app."""

    name = "demo"
