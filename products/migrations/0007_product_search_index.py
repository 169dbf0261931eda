from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from products.models import search_vector

INDEX = "product_search"


def _index():
    return GinIndex(search_vector(), name=INDEX)


def create_search_index(apps, schema_editor):
    # PostgreSQL only: SQLite has no GIN index, and searches there without one.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("products", "Product"), _index())


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("products", "Product"), _index())


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_product_files_and_minimum_price"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index),
    ]
