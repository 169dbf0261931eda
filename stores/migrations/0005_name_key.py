import unicodedata

from django.db import migrations, models

import yumroad_site.validators


def fill_name_keys(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    for store in Store.objects.only("name"):
        # As stores.models.name_key does it, frozen here.
        store.name_key = unicodedata.normalize("NFKC", store.name.strip()).casefold()
        store.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    """Store names are unique by a case-folded key column, the same rule on SQLite
    (whose LOWER folds only ASCII) as on PostgreSQL."""

    dependencies = [
        ("stores", "0004_reserved_slugs"),
    ]

    operations = [
        migrations.AddField(
            model_name="store",
            name="name_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="store",
            name="name_key",
            field=models.TextField(
                editable=False,
                error_messages={"unique": "That store name is taken"},
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="store",
            name="name",
            field=models.CharField(
                max_length=60,
                validators=[
                    yumroad_site.validators.validate_name_length,
                    yumroad_site.validators.validate_printable,
                ],
            ),
        ),
        migrations.RemoveConstraint(
            model_name="store",
            name="store_name_ci_unique",
        ),
    ]
