import io
import textwrap

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

# Each demo store with what it sells: (name, description, price in cents).
CATALOGUE = {
    "Crumb & Co. Baking": [
        ("Sourdough Field Guide", "A 60-page PDF on keeping a starter and an open crumb.", 1200),
        ("Weekend Croissant Plan", "A two-day lamination schedule with printable timers.", 700),
        ("Bread Flour Calculator", "A spreadsheet that scales any loaf to your tin.", 300),
        ("Holiday Cookie Cards", "Twenty-four printable recipe cards for the season.", 0),
    ],
    "Pixel Forge Studio": [
        ("Watercolor Brush Pack", "48 textured brushes for Procreate and Photoshop.", 1500),
        ("Isometric Icon Set", "300 icons in SVG and PNG, in four colour themes.", 2400),
        ("Mockup Scenes Bundle", "Twelve desk and device scenes with smart layers.", 1900),
        ("Color Palette Cards", "Sixty tested palettes with hex and RGB values.", 500),
    ],
    "Quiet Trail Maps": [
        ("Coastal Trail Map Bundle", "Printable topographic maps of twelve coastal hikes.", 800),
        ("Alpine Hut Route Guide", "Eight hut-to-hut routes with GPX tracks.", 1400),
        ("Trail Journal Template", "A printable journal for routes, weather and notes.", 0),
        ("Night Sky Hiking Atlas", "Star charts for dark-sky trails, month by month.", 1100),
    ],
    "Night Owl Synths": [
        ("Lo-fi Drum Kit", "120 dusty one-shots and loops, royalty free.", 1900),
        ("Analog Pad Presets", "64 warm pads for Vital and Serum.", 1500),
        ("Tape Noise Textures", "Forty loops of hiss, wow and flutter.", 900),
        ("Synth Patch Notebook", "A printable notebook to write down patches.", 300),
    ],
    "Loom and Needle": [
        ("Harbor Sweater Pattern", "A seamless raglan knitting pattern in nine sizes.", 700),
        ("Granny Square Blanket", "A crochet pattern with a colour planner.", 600),
        ("Embroidery Alphabet", "Two stitched alphabets as iron-on PDF transfers.", 450),
        ("Yarn Stash Tracker", "A spreadsheet for yarn, needles and projects.", 0),
    ],
    "Sprout Garden Plans": [
        ("Balcony Garden Layouts", "Six planting plans for small sunny spaces.", 600),
        ("Seed Starting Calendar", "Sowing dates for forty vegetables by climate zone.", 400),
        ("Pollinator Border Plan", "A year-round flower border for bees.", 800),
        ("Compost Cheat Sheet", "What goes in, what stays out, printable.", 0),
    ],
    "Copperleaf Fonts": [
        ("Display Serif Font", "A high-contrast serif with 400 glyphs and a web licence.", 2900),
        ("Handwritten Script Font", "A bouncy script with alternates and ligatures.", 1900),
        ("Geometric Sans Family", "Eight weights with italics, desktop and web.", 4900),
    ],
    "Harbor Light Photo": [
        ("Street Photography Presets", "Twenty Lightroom presets for city light.", 1400),
        ("Film Emulation Pack", "Twelve presets modelled on classic film stocks.", 1600),
        ("Portrait Posing Guide", "A 40-page PDF with lighting diagrams.", 900),
    ],
    "Tidy Ledger Templates": [
        ("Budget Spreadsheet", "A yearly budget with charts, for Excel and LibreOffice.", 0),
        ("Invoice Template Kit", "Clean invoices and quotes in four layouts.", 900),
        ("Freelance Tax Tracker", "Track income, expenses and quarterly estimates.", 1200),
    ],
    "Wild Thyme Kitchen": [
        ("Spice Blend Recipe Cards", "Twenty-four printable cards for blends.", 300),
        ("Weekly Meal Planner", "A printable planner with shopping lists.", 500),
        ("One-Pot Dinners eBook", "Thirty dinners, one pot each, under 40 minutes.", 1200),
    ],
}
STORES = list(CATALOGUE)
# Each demo store's cover colour: (background, text).
COVER_COLOURS = [
    ("#c8553d", "#fff8f0"),
    ("#2a9d8f", "#ffffff"),
    ("#264653", "#e9c46a"),
    ("#e9c46a", "#264653"),
    ("#6d597a", "#ffffff"),
    ("#457b9d", "#f1faee"),
    ("#8ab17d", "#1d3557"),
    ("#b56576", "#ffffff"),
    ("#3d405b", "#f2cc8f"),
    ("#f4a261", "#3d405b"),
]
COVER_SIZE = (800, 600)
COVER_FONT_SIZE = 64


def demo_email(number):
    return f"demo{number}@yumroad.test"


def demo_store_name(number):
    """The name of demo store `number`, numbered when it repeats or is taken."""
    base = STORES[(number - 1) % len(STORES)]
    names = [base] if number <= len(STORES) else []
    names += [f"{base} {number}", *(f"{base} {number}-{extra}" for extra in range(2, 1000))]
    return next(name for name in names if not Store.objects.name_taken(name))


def demo_product(number, index):
    """Product `index` of demo store `number`, from that store's own line."""
    products = CATALOGUE[STORES[(number - 1) % len(STORES)]]
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
    background, ink = COVER_COLOURS[(number - 1) % len(COVER_COLOURS)]
    image = Image.new("RGB", COVER_SIZE, background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=COVER_FONT_SIZE)
    lines = textwrap.wrap(name, width=18) or [name]
    line_height = COVER_FONT_SIZE * 1.25
    top = (COVER_SIZE[1] - line_height * len(lines)) / 2
    for index, line in enumerate(lines):
        y = top + index * line_height + line_height / 2
        draw.text((COVER_SIZE[0] / 2, y), line, fill=ink, font=font, anchor="mm")
    store_line = STORES[(number - 1) % len(STORES)]
    small = ImageFont.load_default(size=COVER_FONT_SIZE // 2)
    draw.text(
        (COVER_SIZE[0] / 2, COVER_SIZE[1] - 60), store_line, fill=ink, font=small, anchor="mm"
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
        user = User.objects.filter(email=demo_email(number)).first()
        if user is None:
            user = User.objects.create_user(demo_email(number), DEMO_PASSWORD)
        elif not user.check_password(DEMO_PASSWORD):
            # Somebody signed up with this address: their store is not ours to fill.
            self.stderr.write(f"{user.email} is a real account now; skipped it.")
            return None, False
        store = Store.objects.of(user)
        if store:
            return store, False
        return store_create(owner=user, name=demo_store_name(number)), True
