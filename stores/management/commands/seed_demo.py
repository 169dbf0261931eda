from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize

from accounts.models import User
from products.models import Product
from stores.models import Store
from stores.services import store_create

DEMO_PASSWORD = "yumroad-demo-2024"

STORES = [
    "Crumb & Co. Baking",
    "Pixel Forge Studio",
    "Quiet Trail Maps",
    "Night Owl Synths",
    "Loom and Needle",
    "Sprout Garden Plans",
    "Copperleaf Fonts",
    "Harbor Light Photo",
    "Tidy Ledger Templates",
    "Wild Thyme Kitchen",
]
PRODUCTS = [
    ("Sourdough Field Guide", "A 60-page PDF on keeping a starter and baking an open crumb.", 1200),
    ("Weekly Meal Planner", "A printable planner with shopping lists that fill themselves.", 500),
    ("Lo-fi Drum Kit", "120 dusty one-shots and loops, royalty free.", 1900),
    ("Watercolor Brush Pack", "48 textured brushes for Procreate and Photoshop.", 1500),
    ("Trail Map Bundle", "Printable topographic maps of twelve coastal hikes.", 800),
    ("Budget Spreadsheet", "A yearly budget with charts; works in Excel and LibreOffice.", 0),
    ("Knitting Pattern: Harbor Sweater", "A seamless raglan pattern in nine sizes.", 700),
    ("Balcony Garden Layouts", "Six planting plans for small sunny spaces.", 600),
    ("Display Serif Font", "A high-contrast serif with 400 glyphs and a web licence.", 2900),
    ("Street Photography Presets", "Twenty Lightroom presets for gritty city light.", 1400),
    ("Invoice Template Kit", "Clean invoices and quotes in four layouts.", 900),
    (
        "Spice Blend Recipe Cards",
        "Twenty-four printable cards for blends from around the world.",
        300,
    ),
]


def demo_email(number):
    return f"demo{number}@yumroad.test"


def demo_store_name(number):
    """The name of demo store `number`, numbered when it repeats or is taken."""
    base = STORES[(number - 1) % len(STORES)]
    names = [base] if number <= len(STORES) else []
    names += [f"{base} {number}", *(f"{base} {number}-{extra}" for extra in range(2, 1000))]
    return next(name for name in names if not Store.objects.name_taken(name))


def demo_product(number, index):
    name, description, price_cents = PRODUCTS[(number + index) % len(PRODUCTS)]
    if index >= len(PRODUCTS):
        name = f"{name} vol. {index // len(PRODUCTS) + 1}"
    return name, {"description": description, "price_cents": price_cents}


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
                    new_products += Product.objects.get_or_create(
                        store=store, name=name, defaults=defaults
                    )[1]

        self.stdout.write(
            self.style.SUCCESS(
                f"Created {new_stores} store{pluralize(new_stores)} and {new_products} "
                f"product{pluralize(new_products)} ({stores - new_stores} "
                f"store{pluralize(stores - new_stores)} were already there)."
            )
        )
        if stores:
            self.stdout.write(f"Log in as {demo_email(1)} with the password {DEMO_PASSWORD}")

    def demo_store(self, number):
        """Demo creator `number`'s store and whether it is new; None for a taken account."""
        user = User.objects.filter(email=demo_email(number)).first()
        if user is None:
            user = User.objects.create_user(demo_email(number), DEMO_PASSWORD)
        elif not user.check_password(DEMO_PASSWORD):
            # Somebody signed up with this address: their store is not ours to fill.
            self.stderr.write(f"{user.email} is a real account now; skipped it.")
            return None, False
        store = Store.objects.filter(owner=user).first()
        if store:
            return store, False
        return store_create(owner=user, name=demo_store_name(number)), True
