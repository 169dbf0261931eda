import io
import textwrap
import tomllib
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from products.models import Product
from stores.models import Store
from stores.services import store_create

DEMO_PASSWORD = "yumroad-demo-2024"

# The demo stores, their cover colours and what each sells: data, kept as a table.
CATALOGUE = tomllib.loads((Path(__file__).parents[2] / "catalogue.toml").read_text())["stores"]
COVER_SIZE = (800, 600)
COVER_FONT_SIZE = 64


def demo_email(number):
    return f"demo{number}@yumroad.test"


def demo_line(number):
    """What demo store `number` sells and looks like: the catalogue's stores in turn."""
    return CATALOGUE[(number - 1) % len(CATALOGUE)]


def demo_store_name(number):
    """The name of demo store `number`, numbered when it repeats or is taken."""
    base = demo_line(number)["name"]
    names = [base] if number <= len(CATALOGUE) else []
    names += [f"{base} {number}", *(f"{base} {number}-{extra}" for extra in range(2, 1000))]
    return next(name for name in names if not Store.objects.name_taken(name))


def demo_product(number, index):
    """Product `index` of demo store `number`, from that store's own line."""
    products = demo_line(number)["products"]
    name, description, price_cents = products[index % len(products)]
    if index >= len(products):
        name = f"{name} vol. {index // len(products) + 1}"
    return name, {
        "description": description,
        "price_cents": price_cents,
        "file": demo_file(name, description),
        "image": demo_cover(number, name),
    }


def demo_cover(number, name):
    """A cover picture for a demo product: demo store `number`'s colour, the product's
    name set in type and the store's line under it, as a PNG."""
    store_line = demo_line(number)
    background, ink = store_line["cover"]
    image = Image.new("RGB", COVER_SIZE, background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=COVER_FONT_SIZE)
    lines = textwrap.wrap(name, width=18) or [name]
    line_height = COVER_FONT_SIZE * 1.25
    top = (COVER_SIZE[1] - line_height * len(lines)) / 2
    for index, line in enumerate(lines):
        y = top + index * line_height + line_height / 2
        draw.text((COVER_SIZE[0] / 2, y), line, fill=ink, font=font, anchor="mm")
    small = ImageFont.load_default(size=COVER_FONT_SIZE // 2)
    draw.text(
        (COVER_SIZE[0] / 2, COVER_SIZE[1] - 60),
        store_line["name"],
        fill=ink,
        font=small,
        anchor="mm",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=f"{slugify(name) or 'cover'}.png")


def demo_file(name, description):
    """The small file a demo product delivers, so that it can be bought and downloaded."""
    text = f"{name}\n\n{description}\n\nA Yumroad demo file: thank you for trying the shop.\n"
    return ContentFile(text.encode(), name=f"{slugify(name)}.txt")


class Command(BaseCommand):
    help = "Fill the database with demo creators, stores and products. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--stores", type=int, default=6, help="how many stores (default 6)")
        parser.add_argument(
            "--products-per-store", type=int, default=4, help="products in each (default 4)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any store exists already"
        )

    def handle(self, *args, stores, products_per_store, if_empty, **options):
        if stores < 0 or products_per_store < 0:
            raise CommandError("--stores and --products-per-store take 0 or more.")
        if if_empty and Store.objects.exists():
            self.stdout.write("The database already has stores; nothing seeded.")
            return

        new_stores = new_products = 0
        with transaction.atomic():
            for number in range(1, stores + 1):
                store, created = self.demo_store(number)
                if store is None:
                    continue
                new_stores += created
                for index in range(products_per_store):
                    name, defaults = demo_product(number, index)
                    product, created = Product.objects.get_or_create(
                        store=store, name=name, defaults=defaults
                    )
                    new_products += created
                    if not product.image and not product.picture_url:
                        # Seeded before demo products had covers: add the missing one.
                        product.image = defaults["image"]
                        product.save()

        self.stdout.write(
            self.style.SUCCESS(
                f"Created {new_stores} store{pluralize(new_stores)} and {new_products} "
                f"product{pluralize(new_products)} ({stores - new_stores} "
                f"store{pluralize(stores - new_stores)} "
                f"{pluralize(stores - new_stores, 'was,were')} already there)."
            )
        )
        if stores:
            self.stdout.write(f"Log in as {demo_email(1)} with the password {DEMO_PASSWORD}")

    def demo_store(self, number):
        """Demo creator `number`'s store and whether it is new; None for a taken account."""
        email = demo_email(number)
        user = User.objects.filter(email=email).first()
        if user is None:
            # Demo accounts are ours, at a domain nobody receives mail for: confirmed.
            user = User.objects.create_user(email, DEMO_PASSWORD, confirmed_email=email)
        elif not user.check_password(DEMO_PASSWORD):
            # Somebody signed up with this address: their store is not ours to fill.
            self.stderr.write(f"{user.email} is a real account now; skipped it.")
            return None, False
        elif not user.email_confirmed:
            # Seeded before emails were confirmed.
            User.objects.filter(pk=user.pk).update(confirmed_email=email)
        store = Store.objects.of(user)
        if store:
            return store, False
        return store_create(owner=user, name=demo_store_name(number)), True
