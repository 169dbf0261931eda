"""Pricing in the browser: a creator offers pay what you want and a discount code; a
guest buys with each through the test checkout, and the creator sees the code's sale."""

import re

from playwright.sync_api import expect

from journeys.test_journeys import add_product, field, sign_up


def test_a_guest_buys_with_a_discount_code_and_at_a_price_they_choose(visitor, site, tmp_path):
    creator = visitor("creator")
    page = sign_up(creator, "baker@example.com", "Crumb Studio")
    page.get_by_role("link", name="Add product").first.click()
    add_product(creator, "Sourdough Field Guide", "12", tmp_path)
    guide_url = page.url
    page.get_by_role("link", name="Add product").first.click()
    add_product(creator, "Holiday Cookie Cards", "3", tmp_path)
    cards_url = page.url

    # The cards: pay what you want, at least $3.00, $6.00 suggested.
    page.get_by_role("link", name="Edit").click()
    field(page, "Pay what you want").check()
    field(page, "Suggested price (USD)").fill("6")
    creator.check("pay-what-you-want-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Saved your changes to Holiday Cookie Cards.")
    expect(page.get_by_text("$3.00+")).to_be_visible()
    creator.check("pay-what-you-want-saved")

    # A code for the guide: 25% off, twice at most.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("link", name="Discount codes").click()
    expect(page.get_by_role("heading", name="Discount codes")).to_be_visible()
    creator.check("discounts-empty")
    page.get_by_role("link", name="New code").click()
    expect(
        page.get_by_text("Holiday Cookie Cards (pay what you want: codes do not apply)")
    ).to_be_visible()
    creator.check("discount-form")
    field(page, "Code").fill("LAUNCH-25")
    field(page, "Percent off").fill("25")
    page.get_by_label("Sourdough Field Guide").check()
    field(page, "Maximum uses").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Saved the code LAUNCH-25.")
    row = page.get_by_role("row").filter(has_text="LAUNCH-25")
    expect(row).to_contain_text("25% off")
    expect(row).to_contain_text("Sourdough Field Guide")
    expect(row).to_contain_text("0 of 2")
    creator.check("discounts")

    # A guest opens the guide's address with the code, in any case.
    buyer = visitor("buyer")
    shop = buyer.goto(guide_url.removeprefix(site.url) + "?code=launch-25")
    expect(shop.locator("[data-code-price]")).to_have_text("With the code LAUNCH-25: $12.00 $9.00")
    buyer.check("product-with-code")
    shop.get_by_role("button", name="Buy for $9.00").click()
    expect(shop.get_by_text("Test checkout: no money moves.")).to_be_visible()
    buyer.check("test-checkout-with-code")
    field(shop, "Your email").fill("guest@example.com")
    shop.get_by_role("button", name="Pay $9.00").click()
    expect(shop.get_by_role("heading", level=1)).to_have_text("Thanks for your purchase!")
    expect(shop.get_by_text("LAUNCH-25 ($3.00 off)")).to_be_visible()
    buyer.check("receipt-with-code")
    assert "LAUNCH-25 ($3.00 off)" in site.email_to(
        "guest@example.com", "Your purchase of Sourdough Field Guide"
    )

    # The cards ask for an amount: too little is refused, then what they type is paid.
    buyer.goto(cards_url.removeprefix(site.url))
    expect(field(shop, "Name a fair price (USD)")).to_have_value("6.00")
    buyer.check("pay-what-you-want")
    field(shop, "Name a fair price (USD)").fill("2.50")
    shop.get_by_role("button", name="Buy", exact=True).click()
    expect(shop.get_by_text("Pay at least $3.00.")).to_be_visible()
    buyer.check("pay-what-you-want-too-little")
    field(shop, "Name a fair price (USD)").fill("7.25")
    shop.get_by_role("button", name="Buy", exact=True).click()
    expect(shop.get_by_role("button", name="Pay $7.25")).to_be_visible()
    buyer.check("test-checkout-chosen-price")
    field(shop, "Your email").fill("guest@example.com")
    shop.get_by_role("button", name="Pay $7.25").click()
    expect(shop).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]+/$"))
    buyer.check("receipt-chosen-price")

    # The creator sees both sales, the code's with its discount, and one use of two.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    creator.check("dashboard")
    page.get_by_role("link", name="Sales", exact=True).click()
    coded = page.get_by_role("row").filter(has_text="Sourdough Field Guide")
    expect(coded).to_contain_text("$9.00")
    expect(coded).to_contain_text("LAUNCH-25 ($3.00 off)")
    expect(page.get_by_role("row").filter(has_text="Holiday Cookie Cards")).to_contain_text("$7.25")
    creator.check("sales-with-code")
    page.goto(site.url + "/discounts/")
    expect(page.get_by_role("row").filter(has_text="LAUNCH-25")).to_contain_text("1 of 2")
    creator.check("discounts-used")
