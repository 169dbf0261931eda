import csv
import io
import re
import textwrap
import tomllib
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from fpdf import FPDF
from PIL import Image, ImageColor, ImageDraw, ImageFont

from accounts.models import User
from orders.models import DiscountCode
from orders.services import discount_code_create
from products.models import Product
from stores.models import Store
from stores.services import store_create

DEMO_PASSWORD = "yumroad-demo-2024"

# The demo stores, their cover colours and what each sells: data, kept as a table.
CATALOGUE = tomllib.loads((Path(__file__).parents[2] / "catalogue.toml").read_text())["stores"]
COVER_SIZE = (800, 600)
COVER_FONT_SIZE = 64
# What a demo product's description says its file is: "a 60-page PDF", "a spreadsheet
# (CSV)". seed_demo makes that file.
PDF_PAGES = re.compile(r"\b([1-9][0-9]*)-page PDF\b")
CSV_MENTION = "(CSV)"
CSV_COLUMNS = ["Date", "Item", "Category", "Amount", "Notes"]
CSV_EMPTY_ROWS = 24


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
    line = demo_line(number)
    suggested = dict(line.get("pay_what_you_want", [])).get(name)
    return name, {
        "description": description,
        "price_cents": price_cents,
        "pay_what_you_want": suggested is not None,
        "suggested_price_cents": suggested,
        "generates_license_keys": name in line.get("license_keys", []),
        "file": demo_file(number, name, description),
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


def demo_file(number, name, description):
    """The file a demo product delivers, as its description says: a PDF of the pages
    it states, made with fpdf2, or a CSV spreadsheet to fill in."""
    pages = PDF_PAGES.search(description)
    if pages:
        content = demo_pdf(number, name, description, int(pages.group(1)))
        return ContentFile(content, name=f"{slugify(name)}.pdf")
    if CSV_MENTION in description:
        return ContentFile(demo_csv(), name=f"{slugify(name)}.csv")
    raise CommandError(
        f"The demo catalogue's description of {name!r} says no file: write 'an N-page "
        f"PDF' or 'a spreadsheet {CSV_MENTION}' in it."
    )


def _latin1(text):
    # The PDF's built-in fonts know Latin-1 only.
    return text.encode("latin-1", "replace").decode("latin-1")


def demo_pdf(number, name, description, pages):
    """An A4 PDF of `pages` pages: each with the product's name on a band of its store's
    colours, the first with its description, each numbered."""
    store_line = demo_line(number)
    background, ink = (ImageColor.getrgb(colour) for colour in store_line["cover"])
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(name))
    pdf.set_author(_latin1(store_line["name"]))
    pdf.set_auto_page_break(False)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_fill_color(*background)
        pdf.rect(0, 0, pdf.w, 32, style="F")
        pdf.set_text_color(*ink)
        pdf.set_font("Helvetica", style="B", size=20)
        pdf.set_xy(15, 11)
        pdf.cell(text=_latin1(name))
        pdf.set_text_color(33, 37, 41)
        pdf.set_font("Helvetica", size=12)
        pdf.set_xy(15, 45)
        text = description if page == 1 else f"{name}, page {page}."
        pdf.multi_cell(w=pdf.w - 30, text=_latin1(text))
        pdf.set_xy(15, pdf.h - 20)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(text=_latin1(f"{store_line['name']} - page {page} of {pages} - a demo file"))
    return bytes(pdf.output())


def demo_csv():
    """A spreadsheet to fill in, as CSV: its columns and empty rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[""] * len(CSV_COLUMNS)] * CSV_EMPTY_ROWS)
    return out.getvalue().encode()


def demo_discount_codes(store, number):
    """Demo store `number`'s discount codes, for each of its products: those it lacks."""
    for code, percent_off in demo_line(number).get("discount_codes", []):
        if not DiscountCode.objects.filter(store=store).named(code).exists():
            discount_code_create(store=store, code=code, percent_off=percent_off)


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
                store, store_created = self.demo_store(number)
                if store is None:
                    continue
                new_stores += store_created
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
                demo_discount_codes(store, number)

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
