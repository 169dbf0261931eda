from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = "product_search"


def search_vector():
    """A frozen copy of products.models.search_vector() as this index was built: a
    migration must not change with app code. A new expression needs a new migration."""
    return SearchVector("name", "description", config="english")


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
