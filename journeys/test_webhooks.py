"""A creator subscribes a URL to their sales in the settings page, under the site's
CSP, and sees it listed with its secret shown once."""

import re

from playwright.sync_api import expect

from journeys.test_journeys import field, sign_up


def test_a_creator_subscribes_a_url_to_their_sales(visitor, site):
    creator = visitor("creator")
    sign_up(creator, "hooks@example.com", "Hook Shop")
    page = creator.goto("/accounts/settings/")
    section = page.get_by_role("region", name="Webhooks")
    expect(section.get_by_text("No webhooks yet.")).to_be_visible()
    expect(section.get_by_text("Nothing sent yet.")).to_be_visible()
    creator.check("settings-webhooks")

    field(page, "Event").select_option("sale")
    field(page, "URL").fill("http://hooks.example.com/yumroad")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("The URL must start with https://.")).to_be_visible()
    creator.check("webhook-refused")

    field(page, "URL").fill("https://hooks.example.com/yumroad")
    page.get_by_role("button", name="Add webhook").click()
    secret = page.locator("#webhook-secret")
    expect(secret).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    table = page.get_by_role("region", name="Your webhooks")
    expect(
        table.get_by_role("cell", name="https://hooks.example.com/yumroad", exact=True)
    ).to_be_visible()
    expect(table.get_by_role("cell", name="Sale", exact=True)).to_be_visible()
    creator.check("webhook-added")

    shown = secret.inner_text()
    page.goto(site.url + "/accounts/settings/")
    expect(page.get_by_role("region", name="Your webhooks")).to_be_visible()
    expect(page.get_by_text(shown)).to_have_count(0)
    creator.check("settings-with-webhook")
    page.get_by_role("button", name=re.compile("Delete the sale webhook")).click()
    expect(page.get_by_role("alert")).to_have_text(
        "The webhook to https://hooks.example.com/yumroad is deleted."
    )
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    creator.check("webhook-deleted")
