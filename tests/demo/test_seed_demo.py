import csv
import io
import re

import pytest
from django.contrib.auth import get_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import User
from demo.management.commands.seed_demo import CATALOGUE, DEMO_PASSWORD, demo_file
from orders.models import DiscountCode
from products.models import Product
from stores.models import Store
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def seed(*args):
    """Run seed_demo and return what it printed."""
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_users():
    return User.objects.filter(email__endswith="@yumroad.test")


def test_default_run_creates_six_stores_with_four_products_each():
    output = seed()

    assert Store.objects.count() == 6
    assert Product.objects.count() == 24
    assert sorted(demo_users().values_list("email", flat=True)) == [
        f"demo{number}@yumroad.test" for number in range(1, 7)
    ]
    assert "Created 6 stores and 24 products (0 stores were already there)." in output
    assert f"Log in as demo1@yumroad.test with the password {DEMO_PASSWORD}" in output


def test_creates_as_many_stores_and_products_as_asked():
    output = seed("--stores", "3", "--products-per-store", "2")

    assert Store.objects.count() == 3
    assert demo_users().count() == 3
    for store in Store.objects.all():
        assert store.products.count() == 2
    assert "Created 3 stores and 6 products" in output


def test_more_products_than_the_catalogue_get_distinct_names():
    seed("--stores", "1", "--products-per-store", "15")

    names = list(Product.objects.values_list("name", flat=True))
    assert len(names) == 15
    assert len(set(names)) == 15
    assert sum(name.endswith(" vol. 2") for name in names) == 4
    assert sum(name.endswith(" vol. 4") for name in names) == 3


def test_more_stores_than_the_catalogue_get_distinct_names():
    seed("--stores", "12", "--products-per-store", "0")

    names = list(Store.objects.values_list("name", flat=True))
    assert len(names) == 12
    assert len(set(names)) == 12
    assert "Crumb & Co. Baking 11" in names


def test_zero_stores_creates_nothing_and_offers_no_login():
    output = seed("--stores", "0")

    assert not Store.objects.exists()
    assert not User.objects.exists()
    assert "Created 0 stores and 0 products" in output
    assert "Log in as" not in output


def test_running_twice_adds_nothing_the_second_time():
    seed("--stores", "3", "--products-per-store", "2")

    output = seed("--stores", "3", "--products-per-store", "2")

    assert Store.objects.count() == 3
    assert Product.objects.count() == 6
    assert demo_users().count() == 3
    assert "Created 0 stores and 0 products (3 stores were already there)." in output


def test_running_again_with_bigger_numbers_tops_up():
    seed("--stores", "2", "--products-per-store", "1")

    output = seed("--stores", "3", "--products-per-store", "2")

    assert Store.objects.count() == 3
    assert Product.objects.count() == 6
    assert "Created 1 store and 4 products (2 stores were already there)." in output


def test_if_empty_does_nothing_when_a_store_exists(store):
    output = seed("--if-empty")

    assert list(Store.objects.all()) == [store]
    assert not Product.objects.exists()
    assert not demo_users().exists()
    assert "The database already has stores; nothing seeded." in output


def test_if_empty_seeds_an_empty_database():
    output = seed("--if-empty", "--stores", "2")

    assert Store.objects.count() == 2
    assert Product.objects.count() == 8
    assert "Created 2 stores and 8 products" in output


@pytest.mark.parametrize(
    "args",
    [("--stores", "-1"), ("--products-per-store", "-2")],
    ids=["stores", "products-per-store"],
)
def test_negative_numbers_are_refused_with_a_clear_message(args):
    with pytest.raises(CommandError, match=r"--stores and --products-per-store take 0 or more\."):
        seed(*args)

    assert not Store.objects.exists()
    assert not User.objects.exists()


def test_the_demo_user_logs_in_with_the_printed_password(client):
    output = seed("--stores", "1")
    assert f"with the password {DEMO_PASSWORD}" in output

    response = client.post(
        reverse("accounts:login"), {"email": "demo1@yumroad.test", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    user = get_user(client)
    assert user.is_authenticated
    assert user.email == "demo1@yumroad.test"


def test_demo_users_are_not_staff():
    seed("--stores", "2")

    assert not demo_users().filter(is_staff=True).exists()
    assert not demo_users().filter(is_superuser=True).exists()


def test_every_product_belongs_to_a_store_of_a_demo_user():
    seed()

    owners = set(Product.objects.values_list("store__owner__email", flat=True))
    assert owners == {f"demo{number}@yumroad.test" for number in range(1, 7)}
    assert not Product.objects.exclude(store__owner__email__endswith="@yumroad.test").exists()


def test_a_demo_store_name_taken_by_a_real_store_gets_a_number():
    real = StoreFactory(name="Crumb & Co. Baking")

    output = seed("--stores", "2", "--products-per-store", "1")

    assert "Created 2 stores and 2 products" in output
    demo_store = Store.objects.get(owner__email="demo1@yumroad.test")
    assert demo_store.name == "Crumb & Co. Baking 1"
    real.refresh_from_db()
    assert real.name == "Crumb & Co. Baking"
    assert not real.products.exists()


def test_a_name_taken_in_another_letter_case_counts_as_taken():
    StoreFactory(name="PIXEL FORGE STUDIO")

    seed("--stores", "2", "--products-per-store", "0")

    assert Store.objects.get(owner__email="demo2@yumroad.test").name == "Pixel Forge Studio 2"


def test_a_demo_user_left_without_a_store_gets_one_again():
    seed("--stores", "1", "--products-per-store", "1")
    Store.objects.get().delete()

    output = seed("--stores", "1", "--products-per-store", "1")

    assert User.objects.filter(email="demo1@yumroad.test").count() == 1
    assert Store.objects.get().owner.email == "demo1@yumroad.test"
    assert "Created 1 store and 1 product (0 stores were already there)." in output


def test_demo_accounts_are_confirmed_those_seeded_before_too():
    seed("--stores", "2", "--products-per-store", "0")
    User.objects.filter(email="demo2@yumroad.test").update(confirmed_email="")

    seed("--stores", "2", "--products-per-store", "0")

    assert all(user.email_confirmed for user in demo_users())


def test_a_real_account_on_a_demo_email_stays_unconfirmed():
    StoreFactory(owner__email="demo1@yumroad.test")

    seed("--stores", "1", "--products-per-store", "0")

    assert not User.objects.get(email="demo1@yumroad.test").email_confirmed


def test_a_numbered_fallback_name_taken_too_does_not_crash_the_command():
    StoreFactory(name="Crumb & Co. Baking")
    StoreFactory(name="Crumb & Co. Baking 1")

    seed("--stores", "1", "--products-per-store", "0")

    assert Store.objects.filter(owner__email="demo1@yumroad.test").exists()


def test_a_real_account_on_a_demo_email_is_left_alone():
    real_store = StoreFactory(owner__email="demo1@yumroad.test")

    output = seed("--stores", "2", "--products-per-store", "1")

    assert not real_store.products.exists()
    assert Store.objects.get(owner__email="demo2@yumroad.test").products.count() == 1
    assert "Created 1 store and 1 product" in output


def test_a_taken_numbered_demo_name_for_later_stores_gets_another():
    StoreFactory(name="Crumb & Co. Baking 11")

    seed("--stores", "11", "--products-per-store", "0")

    assert Store.objects.get(owner__email="demo11@yumroad.test").name == "Crumb & Co. Baking 11-2"


def test_each_store_sells_its_own_line_and_the_output_reads_well():
    seed("--stores", "1", "--products-per-store", "2")

    output = seed("--stores", "1", "--products-per-store", "2")

    store = Store.objects.get()
    assert store.name == "Crumb & Co. Baking"
    assert set(store.products.values_list("name", flat=True)) == {
        "Sourdough Field Guide",
        "Weekend Croissant Plan",
    }
    assert "Created 0 stores and 0 products (1 store was already there)." in output


def pdf_page_count(content):
    """The pages of a PDF, as its page objects count them (fpdf2 writes them plain)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content))


def test_every_demo_product_delivers_the_file_its_description_names(settings):
    # Every line of the catalogue, and a product past its end (the same description).
    seed("--stores", str(len(CATALOGUE)), "--products-per-store", "5")

    products = list(Product.objects.all())
    assert len(products) == 5 * len(CATALOGUE)
    kinds = set()
    for product in products:
        with product.file.open("rb") as file:
            content = file.read()
        assert (settings.PRIVATE_MEDIA_ROOT / product.file.name).is_file()
        pages = re.search(r"\b(\d+)-page PDF\b", product.description)
        if "PDF" in product.description:
            assert pages, f"{product.name}: a PDF of how many pages?"
            assert content.startswith(b"%PDF-"), product.name
            assert content.rstrip().endswith(b"%%EOF"), product.name
            assert pdf_page_count(content) == int(pages.group(1)), product.name
            assert (product.file_name, product.file_type, product.file_kind) == (
                f"{slugify(product.name)}.pdf",
                "application/pdf",
                "PDF",
            )
            kinds.add("PDF")
        else:
            assert "spreadsheet (CSV)" in product.description, product.name
            rows = list(csv.reader(io.StringIO(content.decode())))
            assert rows[0] == ["Date", "Item", "Category", "Amount", "Notes"]
            assert product.file_name.endswith(".csv")
            assert product.file_type == "text/csv"
            kinds.add("CSV")
    assert kinds == {"PDF", "CSV"}


def test_the_sixty_page_guide_is_a_sixty_page_pdf_with_its_name():
    seed("--stores", "1", "--products-per-store", "1")

    product = Product.objects.get()
    with product.file.open("rb") as file:
        content = file.read()
    assert product.description.startswith("A 60-page PDF")
    assert pdf_page_count(content) == 60
    assert b"/Title (Sourdough Field Guide)" in content


def test_a_catalogue_description_that_names_no_file_is_refused():
    with pytest.raises(CommandError, match=r"says no file: write 'an N-page PDF'"):
        demo_file(1, "Mystery Box", "Something nice.")


def test_every_demo_product_has_a_cover_in_its_store_colour_with_its_name(settings):
    from PIL import Image

    seed("--stores", "2", "--products-per-store", "2")

    colours = set()
    for product in Product.objects.select_related("store"):
        assert product.image.name.endswith(".png")
        with Image.open(settings.MEDIA_ROOT / product.image.name) as cover:
            assert cover.size == (800, 600)
            colours.add((product.store_id, cover.getpixel((5, 5))))
            # The name is set in another colour than the background.
            assert len(cover.convert("RGB").getcolors(maxcolors=100_000)) > 2
    assert len({colour for _, colour in colours}) == 2
    assert len(colours) == 2


def test_demo_products_seeded_before_covers_get_one_on_the_next_run():
    seed("--stores", "1", "--products-per-store", "1")
    Product.objects.update(image="")

    seed("--stores", "1", "--products-per-store", "1")

    assert Product.objects.get().image


def test_the_catalogue_shows_the_covers(client):
    seed("--stores", "1", "--products-per-store", "1")
    product = Product.objects.get()

    body = client.get(reverse("products:index")).content.decode()

    card_size_url = product.picture_sizes[0][0]
    assert f'src="{card_size_url}"' in body
    assert f'alt="{product.name}"' in body


def test_the_first_demo_store_shows_the_creator_tools():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # a second run adds no second code

    store = Store.objects.get(owner__email="demo1@yumroad.test")
    calculator = Product.objects.get(store=store, name="Bread Flour Calculator")
    assert calculator.pay_what_you_want
    assert (calculator.price_cents, calculator.suggested_price_cents) == (300, 500)
    assert calculator.generates_license_keys
    assert [(code.code, code.percent_off) for code in DiscountCode.objects.filter(store=store)] == [
        ("BAKE-20", 20)
    ]
    guide = Product.objects.get(store=store, name="Sourdough Field Guide")
    assert not guide.pay_what_you_want
    assert not guide.generates_license_keys
