"""What a person does on Yumroad, clicked through in Chromium, each step asserting what
the page shows. Every page passes axe-core and is saved to screenshots/."""

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from journeys.conftest import PHONE, PROJECT
from scaleout.mailbox import download_link

PASSWORD = "a-Str0ng-passphrase"


def field(page, label):
    """The form field labelled `label` (a required one's label ends with *)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\*?\s*$"))


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "darkorange").save(buffer, format="PNG")
    return buffer.getvalue()


def fill_sign_up(pages, email):
    """On the sign-up page: an email and a password, and no store name."""
    page = pages.page
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    pages.check("signup")
    field(page, "Email address").fill(email)
    field(page, "Password").fill(PASSWORD)
    field(page, "Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("Registered successfully.")
    expect(page.get_by_text("Check your email to confirm your address.")).to_be_visible()


def sign_up(pages, email, store_name):
    """Sign up from the landing page's "Create a store", then name the store on the page
    that follows; lands on the dashboard."""
    page = pages.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The easiest way to set up an online store"
    )
    pages.check("landing")
    page.get_by_role("link", name="Create a store").click()
    fill_sign_up(pages, email)
    expect(page.get_by_role("heading", name="Open your store")).to_be_visible()
    pages.check("registered")
    field(page, "Store name").fill(store_name)
    page.get_by_role("button", name="Open my store").click()
    expect(page.get_by_role("alert")).to_have_text(f"Your store {store_name} is open.")
    expect(page.get_by_text(email)).to_be_visible()
    pages.check("store-opened")
    return page


def sign_up_to_buy(pages, email):
    """Sign up from the navigation's link, without a store; lands on the library."""
    page = pages.goto("/products/")
    pages.check("products")
    page.get_by_role("navigation").get_by_role("link", name="Sign up", exact=True).click()
    fill_sign_up(pages, email)
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    # A buyer sees no seller pages.
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    pages.check("buyer-registered")
    return page


def confirm_email(pages, site, email):
    """Follow the confirmation email's link and press its button."""
    body = site.email_to(email, "Confirm your Yumroad email")
    link = re.search(r"http\S+/accounts/confirm-email/\S+/", body).group(0)
    page = pages.page
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    pages.check("confirm-email")
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"{email} is confirmed.")
    return page


def log_out(pages):
    page = pages.page
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert")).to_have_text("You are logged out.")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    pages.check("logged-out")


def log_in(pages, email, password=PASSWORD):
    page = pages.page
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def add_product(pages, name, price, tmp_path):
    """From the Add product form: a picture and a file to sell; lands on its page."""
    page = pages.page
    picture = tmp_path / "cover.png"
    picture.write_bytes(png_bytes())
    deliverable = tmp_path / "Field Guide.pdf"
    deliverable.write_bytes(b"%PDF-1.4 the field guide\n")
    field(page, "Name").fill(name)
    field(page, "Description").fill("Forty pages on finding mushrooms safely.")
    field(page, "Price (USD)").fill(price)
    field(page, "File to sell").set_input_files(deliverable)
    field(page, "Image").set_input_files(picture)
    pages.check("add-product-filled")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("alert")).to_have_text(f"{name} is ready to sell.")
    pages.check("product-created")
    return page


def test_a_creator_sells_and_a_buyer_buys_downloads_and_finds_it(visitor, site, tmp_path):
    creator = visitor("creator")
    page = sign_up(creator, "maker@example.com", "Forest Finds")
    # To an address nobody has confirmed, the subject carries no text the user chose.
    welcome = site.email_to("maker@example.com", "Welcome to Yumroad")
    assert "Forest Finds" in welcome
    add_product_link = re.search(r"http\S+/products/create/", welcome).group(0)

    # Logged out, the welcome email's Add product link goes through the login page and
    # back (`next`).
    log_out(creator)
    page.goto(add_product_link)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/products/create/$"))
    expect(page.get_by_text("Log in to continue to that page.")).to_be_visible()
    creator.check("login-for-add-product")
    log_in(creator, "maker@example.com")
    expect(page).to_have_url(re.compile(r"/products/create/$"))
    expect(page.get_by_role("alert")).to_have_text("Logged in successfully.")
    expect(page.get_by_role("heading", name="Add product")).to_be_visible()
    creator.check("add-product")

    add_product(creator, "Mushroom Field Guide", "4.99", tmp_path)
    expect(page.get_by_text("$4.99").first).to_be_visible()
    expect(page.get_by_text("Field Guide.pdf")).to_be_visible()
    expect(page.get_by_text("This is your product.")).to_be_visible()
    picture = page.get_by_role("img", name="Mushroom Field Guide")
    expect(picture).to_have_attribute("src", re.compile(r"/media/products/"))
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 640
    product_url = page.url

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Mushroom Field Guide")
    creator.check("edit-product")
    field(page, "Name").fill("Mushroom Field Guide, 2nd edition")
    field(page, "Price (USD)").fill("6")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Saved your changes to Mushroom Field Guide, 2nd edition."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Mushroom Field Guide, 2nd edition")
    expect(page.get_by_text("$6.00").first).to_be_visible()
    creator.check("product-edited")

    # Another visitor signs up, with no store, confirms the email and buys it through
    # the test checkout, landing on the receipt.
    buyer = visitor("buyer")
    shop = sign_up_to_buy(buyer, "reader@example.com")
    confirm_email(buyer, site, "reader@example.com")
    expect(shop.get_by_role("heading", name="Your library")).to_be_visible()
    buyer.check("email-confirmed")
    shop.goto(product_url)
    expect(shop.get_by_role("heading", level=1)).to_have_text("Mushroom Field Guide, 2nd edition")
    buyer.check("product")
    shop.get_by_role("button", name="Buy for $6.00").click()
    expect(shop.get_by_text("Test checkout: no money moves.")).to_be_visible()
    expect(field(shop, "Your email")).to_have_value("reader@example.com")
    buyer.check("test-checkout")
    shop.get_by_role("button", name="Pay $6.00").click()
    expect(shop).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]+/$"))
    expect(shop.get_by_role("heading", level=1)).to_have_text("Thanks for your purchase!")
    expect(shop.get_by_text("$6.00")).to_be_visible()
    buyer.check("receipt")
    with shop.expect_download() as from_receipt:
        shop.get_by_role("link", name="Download", exact=True).click()
    assert from_receipt.value.suggested_filename == "Field Guide.pdf"

    receipt = site.email_to(
        "reader@example.com", "Your purchase of Mushroom Field Guide, 2nd edition"
    )
    assert "$6.00" in receipt
    sale = site.email_to("maker@example.com", "You sold Mushroom Field Guide, 2nd edition")
    assert "reader@example.com" in sale
    link = download_link(receipt)
    assert link.startswith(site.url)

    with shop.expect_download() as emailed:
        shop.evaluate("url => { window.location.href = url }", link)
    assert emailed.value.suggested_filename == "Field Guide.pdf"
    assert Path(emailed.value.path()).read_bytes() == b"%PDF-1.4 the field guide\n"

    # Owned: the product page says so in place of Buy.
    shop.goto(product_url)
    expect(shop.get_by_text("You own this")).to_be_visible()
    expect(shop.get_by_role("button", name="Buy for $6.00")).to_have_count(0)
    buyer.check("owned")

    shop.get_by_role("link", name="Library", exact=True).click()
    expect(shop.get_by_role("heading", name="Your library")).to_be_visible()
    expect(shop.get_by_text("Mushroom Field Guide, 2nd edition")).to_be_visible()
    expect(shop.get_by_text("from Forest Finds")).to_be_visible()
    buyer.check("library")
    with shop.expect_download() as from_library:
        shop.get_by_role("link", name="Download", exact=True).click()
    assert from_library.value.suggested_filename == "Field Guide.pdf"

    # The seller sees the sale.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_text("reader@example.com").first).to_be_visible()
    creator.check("dashboard")
    page.get_by_role("link", name="Sales", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sales")
    sales_row = page.get_by_role("row").filter(has_text="reader@example.com")
    expect(sales_row).to_contain_text("Mushroom Field Guide, 2nd edition")
    expect(sales_row).to_contain_text("$6.00")
    expect(sales_row).to_contain_text("paid", ignore_case=True)
    creator.check("sales")

    # The creator deletes it: sold, it is archived, and the buyer keeps the download.
    page.goto(product_url + "delete/")
    expect(page.get_by_text("People who bought it keep their downloads.")).to_be_visible()
    creator.check("archive-product")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("alert")).to_contain_text("Archived Mushroom Field Guide")
    archived = page.locator("section", has=page.get_by_role("heading", name="Archived"))
    expect(archived.get_by_text("Mushroom Field Guide, 2nd edition")).to_be_visible()
    expect(archived.get_by_role("button", name="Restore")).to_be_visible()
    creator.check("dashboard-archived")
    buyer.goto("/products/")
    expect(shop.get_by_text("Mushroom Field Guide, 2nd edition")).to_have_count(0)
    buyer.check("catalogue-without-archived")
    shop.get_by_role("link", name="Library", exact=True).click()
    with shop.expect_download() as kept:
        shop.get_by_role("link", name="Download", exact=True).click()
    assert kept.value.suggested_filename == "Field Guide.pdf"
    buyer.check("library-after-archive")

    # The seller sets up the test payouts account and sees the sale's net pending:
    # $6.00 less the fee (10%, and $0.50).
    page.get_by_role("link", name="Payouts", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payouts of Forest Finds")
    expect(page.get_by_text("Stripe account: Not set up")).to_be_visible()
    creator.check("payouts-not-set-up")
    page.get_by_role("button", name="Set up payouts").click()
    expect(page.get_by_text("Test payouts account: no money moves.")).to_be_visible()
    creator.check("test-payouts-account")
    page.get_by_role("button", name="Finish setup").click()
    expect(page.get_by_role("alert")).to_have_text("Your payouts account is set up.")
    expect(page.get_by_text("Stripe account: Payouts are on")).to_be_visible()
    expect(page.locator("[data-total=pending]")).to_have_text("$4.90")
    expect(page.locator("[data-total=available]")).to_have_text("$0.00")
    expect(page.get_by_text("Pending money next becomes available on")).to_be_visible()
    creator.check("payouts")


def wait_for_origin(pages, origin):
    """Wait until the browser shows a page of `origin`; fail at once on a browser error
    (the CSP blocking the way leaves the browser where it was, and logs one)."""
    page = pages.page
    deadline = time.monotonic() + 15
    while not page.url.startswith(f"{origin}/"):
        assert not pages.errors, f"browser errors on the way to {origin}: {pages.errors}"
        assert time.monotonic() < deadline, f"the browser stayed on {page.url}"
        page.wait_for_timeout(100)


def test_a_guest_pays_on_stripes_own_origin_and_downloads_from_object_storage(
    visitor, production_site, tmp_path
):
    """As production runs: gunicorn, DEBUG off, the CSP; Stripe Checkout and the files'
    bucket each on an origin of their own, which the browser must be let through to."""
    site = production_site
    creator = visitor("creator", site=site)
    sign_up(creator, "spores@example.com", "Spore Press")
    creator.goto("/products/create/")
    page = add_product(creator, "Spore Print Guide", "7", tmp_path)
    picture = page.get_by_role("img", name="Spore Print Guide")
    expect(picture).to_have_attribute("src", re.compile(rf"^{re.escape(site.s3_url)}/"))
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 640
    product_url = page.url

    guest = visitor("guest", site=site)
    shop = guest.page
    shop.goto(product_url)
    guest.check("product")
    shop.get_by_role("button", name="Buy for $7.00").click()
    wait_for_origin(guest, site.stripe_url)
    expect(shop.get_by_role("heading", level=1)).to_have_text("Fake Stripe Checkout")
    expect(shop.get_by_text("Spore Print Guide: $7.00")).to_be_visible()
    guest.check("stripe-checkout")
    field(shop, "Email").fill("guest@example.com")
    shop.get_by_role("button", name="Pay $7.00").click()
    # Back on the site's receipt page, which asks Stripe until the payment shows.
    expect(shop).to_have_url(re.compile(rf"^{re.escape(site.url)}/orders/[A-Za-z0-9_-]+/$"))
    expect(shop.get_by_role("heading", level=1)).to_have_text(
        "Thanks for your purchase!", timeout=20_000
    )
    guest.check("receipt")
    with shop.expect_download() as from_receipt:
        shop.get_by_role("link", name="Download", exact=True).click()
    # The site sent the browser on to the private bucket, signed.
    assert from_receipt.value.url.startswith(f"{site.s3_url}/journey-files/")
    assert from_receipt.value.suggested_filename == "Field Guide.pdf"
    assert Path(from_receipt.value.path()).read_bytes() == b"%PDF-1.4 the field guide\n"

    receipt = site.email_to("guest@example.com", "Your purchase of Spore Print Guide")
    assert "$7.00" in receipt
    link = download_link(receipt)
    assert link.startswith(site.url)
    with shop.expect_download() as emailed:
        shop.evaluate("url => { window.location.href = url }", link)
    assert emailed.value.url.startswith(f"{site.s3_url}/journey-files/")

    # The guest signs up with that email; once it is confirmed, the purchase is theirs.
    sign_up_to_buy(guest, "guest@example.com")
    expect(shop.get_by_text("Spore Print Guide")).to_have_count(0)
    confirm_email(guest, site, "guest@example.com")
    expect(shop.get_by_role("heading", name="Your library")).to_be_visible()
    expect(shop.get_by_text("Spore Print Guide")).to_be_visible()
    guest.check("library-with-guest-order")
    assert not guest.errors, guest.errors


def test_a_second_creator_gets_the_403_page_on_someone_elses_product(visitor, site, tmp_path):
    first = visitor("first")
    sign_up(first, "first@example.com", "First Shop")
    first.goto("/products/create/")
    page = add_product(first, "First Shop Poster", "3", tmp_path)
    edit_url = page.url + "edit/"

    second = visitor("second")
    sign_up(second, "second@example.com", "Second Shop")
    response = second.page.goto(edit_url)
    assert response.status == 403
    expect(second.page.get_by_role("heading", level=1)).to_have_text("You can't do that")
    expect(
        second.page.get_by_text("Only the creator of this product can change it.")
    ).to_be_visible()
    second.check("forbidden")


def test_five_wrong_passwords_give_the_lockout_page(visitor, site):
    owner = visitor("owner")
    sign_up(owner, "guarded@example.com", "Guarded Goods")
    log_out(owner)

    intruder = visitor("intruder")
    page = intruder.goto("/accounts/login/")
    intruder.check("login")
    for attempt in range(1, 5):
        log_in(intruder, "guarded@example.com", f"wrong-password-{attempt}")
        expect(page.get_by_text("Invalid email or password")).to_be_visible()
    intruder.check("wrong-password")
    log_in(intruder, "guarded@example.com", "wrong-password-5")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed logins")
    expect(page.get_by_text("paused for 15 minutes")).to_be_visible()
    intruder.check("locked-out")

    # Even the right password waits now.
    page.goto(site.url + "/accounts/login/")
    log_in(intruder, "guarded@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed logins")
    intruder.check("still-locked-out")


def test_the_catalogue_fits_a_phone(visitor, site, tmp_path):
    creator = visitor("creator")
    sign_up(creator, "tiny@example.com", "Pocket Prints")
    creator.goto("/products/create/")
    add_product(creator, "Pocket Sized Print With A Rather Long Name", "2.50", tmp_path)
    product_path = creator.page.url.removeprefix(site.url)

    phone = visitor("phone", viewport=PHONE)
    for path, label, heading in [
        ("/", "landing", "The easiest way to set up an online store"),
        ("/stores/", "stores", None),
        ("/stores/pocket-prints/", "store", "Pocket Prints"),
        ("/products/", "products", None),
        (product_path, "product", "Pocket Sized Print With A Rather Long Name"),
    ]:
        page = phone.goto(path)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
        phone.no_horizontal_scroll()
        phone.check(label)

    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    phone.no_horizontal_scroll()
    phone.check("menu-open")


def test_the_checks_catch_what_axe_and_the_browser_report(visitor, site):
    """The audit every journey relies on fails when it should."""
    pages = visitor("self-test")
    pages.goto("/")
    pages.page.evaluate(
        "() => { document.querySelector('h1').insertAdjacentHTML('afterend', "
        '\'<img src="/static/products/placeholder.svg"><a href="/"></a>\'); }'
    )
    with pytest.raises(
        AssertionError, match=r"(?s)(?=.*image-alt \(critical\))(?=.*link-name \(serious\))"
    ):
        pages.check("broken-on-purpose")

    pages.goto("/")
    pages.page.evaluate("() => setTimeout(() => { throw new Error('boom'); })")
    pages.page.wait_for_timeout(100)
    with pytest.raises(AssertionError, match=r"page error: .*boom"):
        pages.check("script-error-on-purpose")

    # A form whose answer goes to an origin the CSP doesn't allow: the browser stays.
    pages.goto("/")
    pages.page.evaluate(
        "() => { const form = document.createElement('form'); form.method = 'post'; "
        "form.action = 'http://127.0.0.1:9/'; document.body.append(form); form.submit(); }"
    )
    pages.page.wait_for_timeout(300)
    with pytest.raises(
        AssertionError, match=r"Content Security Policy violation: form-action blocked"
    ):
        pages.check("csp-block-on-purpose")
    pages.unchecked.clear()


def test_staff_change_pages_fit_a_phone(visitor, site, tmp_path):
    creator = visitor("creator")
    sign_up(creator, "staffed@example.com", "Staffed Shop")
    creator.goto("/products/create/")
    add_product(creator, "Staffed Poster", "3", tmp_path)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--email",
            "root@example.com",
        ],
        cwd=PROJECT,
        env={**site.env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        check=True,
    )

    staff = visitor("staff", viewport=PHONE)
    page = staff.goto("/admin/login/")
    staff.check("admin-login")
    page.get_by_label("Email address").fill("root@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    staff.check("admin-index")
    for model, name in [
        ("accounts/user", "staffed@example.com"),
        ("stores/store", "Staffed Shop"),
        ("products/product", "Staffed Poster"),
    ]:
        page.goto(f"{site.url}/admin/{model}/")
        staff.check(f"admin-{model.replace('/', '-')}-list")
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Change")
        staff.check(f"admin-{model.replace('/', '-')}-change")


def test_a_creator_makes_a_token_and_reads_the_api_docs(visitor, site):
    creator = visitor("creator")
    page = sign_up(creator, "api-maker@example.com", "Token Tools")
    page = creator.goto("/accounts/settings/")
    creator.check("settings-tokens")
    field(page, "Token name").fill("My script")
    page.get_by_label("Read and write: change them too").check()
    page.get_by_role("button", name="Make a token").click()
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    token = page.get_by_label("Your new token").input_value()
    assert token.startswith("yr_")
    expect(page.get_by_role("cell", name="My script", exact=True)).to_be_visible()
    creator.check("api-token-made")
    answer = requests.get(
        f"{site.url}/api/v2/user", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.json()["user"]["store"]["name"] == "Token Tools"

    # The docs: Swagger UI from this site's static files, under the page's CSP (inline
    # styles allowed here alone). The browser must log no error, CSP violations included.
    response = page.goto(f"{site.url}/api/v2/docs/")
    assert "style-src 'self' 'unsafe-inline'" in response.headers["content-security-policy"]
    expect(page.get_by_text("/api/v2/licenses/verify").first).to_be_visible()
    scripts = page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.src)")
    assert scripts
    assert all(src.startswith(f"{site.url}/static/") for src in scripts)
    page.screenshot(path=creator.screenshots / "api-docs.png", full_page=True)
    errors, creator.errors = creator.errors, []
    assert not errors, errors
    # Swagger UI's own markup is not ours to audit with axe: checked above instead.
    creator.unchecked = [url for url in creator.unchecked if "/api/v2/docs/" not in url]
