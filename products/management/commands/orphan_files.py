from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize
from django.utils import timezone

from products.models import Product
from products.storage import private_storage
from stores.models import Store
from yumroad_site import pictures


class Command(BaseCommand):
    help = (
        "List the stored files that no product or store refers to (pictures, avatars, "
        "files sold), older than an hour (--older-than) so that uploads under way are "
        "safe; with --delete, delete them. Works on local disk and S3 alike."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete what is listed")
        parser.add_argument(
            "--older-than",
            type=int,
            default=60,
            metavar="MINUTES",
            help="only files stored this long ago (default 60): a younger one may belong "
            "to an upload whose row is about to commit",
        )

    def handle(self, *, delete, older_than, **options):
        storages = {
            "public": (default_storage, [_folder(Product, "image"), _folder(Store, "avatar")]),
            "private": (private_storage(), [_folder(Product, "file")]),
        }
        stored_before = timezone.now() - timedelta(minutes=older_than)
        # Listed before the rows are read: a row that commits meanwhile is seen.
        stored = {
            label: [
                name
                for folder in folders
                for name in _stored_names(storage, folder)
                if storage.get_modified_time(name) <= stored_before
            ]
            for label, (storage, folders) in storages.items()
        }
        kept = {"public": _pictures_kept(), "private": _files_kept()}
        found = 0
        for label, names in stored.items():
            storage = storages[label][0]
            for name in names:
                if name in kept[label]:
                    continue
                found += 1
                self.stdout.write(f"{label} {name}")
                if delete:
                    storage.delete(name)
        verb = "Deleted" if delete else "Found"
        self.stdout.write(f"{verb} {found} orphan file{pluralize(found)}.")


def _folder(model, field):
    """The top folder a file field's uploads go to ("products", "files")."""
    return model._meta.get_field(field).generate_filename(None, "upload").split("/")[0]


def _stored_names(storage, folder):
    """Every file under `folder` of `storage`, at any depth."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(storage, f"{folder}/{sub}")


def _pictures_kept():
    kept = set()
    for name in Store.objects.exclude(avatar="").values_list("avatar", flat=True).iterator():
        kept.add(name)
        kept.update(pictures.size_name(name, size) for size in pictures.AVATAR_SIZES)
    for name in Product.objects.exclude(image="").values_list("image", flat=True).iterator():
        kept.add(name)
        kept.update(pictures.size_name(name, size) for size in pictures.SIZES)
    return kept


def _files_kept():
    return set(Product.objects.exclude(file="").values_list("file", flat=True))
