"""The site's identity: its name and support address from the settings, the legal
pages, every page's footer, the logo, and the palette's contrast."""

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from stores.tasks import welcome_email_send
from tests.factories import StoreFactory, UserFactory
from tests.site.test_pages import settings_with
from yumroad_site.views import bad_request, server_error

LEGAL_PAGES = [
    ("terms", "Terms of service"),
    ("privacy", "Privacy policy"),
    ("refunds", "Refund policy"),
]
SITE_CSS = django_settings.BASE_DIR / "products" / "static" / "products" / "site.css"


@pytest.fixture
def acme(settings):
    """The site as an operator named it."""
    settings.SITE_NAME = "Acme Market"
    settings.SUPPORT_EMAIL = "help@acme.example"
    return settings


def footer(body):
    return body[body.index("<footer") : body.index("</footer>")]


def assert_footer_links_legal_pages_and_support(body, support_email):
    links = footer(body)
    assert f'<a href="{reverse("terms")}">Terms</a>' in links
    assert f'<a href="{reverse("privacy")}">Privacy</a>' in links
    assert f'<a href="{reverse("refunds")}">Refunds</a>' in links
    assert f'href="mailto:{support_email}">{support_email}</a>' in links


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "heading"), LEGAL_PAGES, ids=[page for page, _ in LEGAL_PAGES])
def test_each_legal_page_names_the_site_and_its_support_address(client, acme, name, heading):
    response = client.get(reverse(name))

    body = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{heading} · Acme Market</title>" in body
    assert f'<h1 class="h2 mb-1">{heading}</h1>' in body
    article = body[body.index("<article") : body.index("</article>")]
    assert "Acme Market" in article
    assert 'Write to <a href="mailto:help@acme.example">help@acme.example</a>.' in article
    # Every mention of the site comes from SITE_NAME.
    assert "Yumroad" not in body


@pytest.mark.django_db
def test_the_refund_policy_leaves_refunds_to_the_seller_and_points_to_support(client):
    body = client.get(reverse("refunds")).content.decode()

    assert "refunds are the decision of the seller who made the product" in body
    assert f'<a href="mailto:{django_settings.SUPPORT_EMAIL}">' in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", [page for page, _ in LEGAL_PAGES])
def test_a_second_visitor_gets_a_legal_page_from_the_cache(name, django_assert_num_queries):
    Client().get(reverse(name))

    with django_assert_num_queries(0):
        response = Client().get(reverse(name))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("products:index"),
        reverse("products:stores"),
        reverse("accounts:login"),
        reverse("terms"),
        "/no-such-page/",
    ],
)
def test_every_page_footer_links_the_legal_pages_and_the_support_address(client, acme, url):
    body = client.get(url).content.decode()

    assert_footer_links_legal_pages_and_support(body, "help@acme.example")
    assert '<a class="site-brand" href="/">' in footer(body)


@pytest.mark.django_db
def test_a_members_pages_have_the_footer_too(creator_client, acme):
    body = creator_client.get(reverse("dashboard")).content.decode()

    assert_footer_links_legal_pages_and_support(body, "help@acme.example")


def test_the_error_pages_name_the_site_and_link_support_without_the_database(rf, acme):
    # No database access: the 500 page must render when the database is what failed.
    for response in [server_error(rf.get("/")), bad_request(rf.get("/"), ValueError())]:
        body = response.content.decode()
        assert "· Acme Market</title>" in body
        assert_footer_links_legal_pages_and_support(body, "help@acme.example")
    assert server_error(rf.get("/")).status_code == 500
    assert bad_request(rf.get("/"), ValueError()).status_code == 400


@pytest.mark.django_db
def test_the_brand_shows_the_logo_and_the_site_name(client, acme):
    body = client.get(reverse("products:index")).content.decode()

    assert (
        '<a class="navbar-brand site-brand" href="/"><img src="/static/products/logo.svg" '
        'alt="" width="32" height="32">Acme Market</a>'
    ) in body
    assert "· Acme Market</title>" in body
    assert '<link rel="icon" href="/static/products/favicon.svg" type="image/svg+xml">' in body


def test_the_logo_is_an_svg_image_with_a_title():
    logo = (SITE_CSS.parent / "logo.svg").read_text()

    assert logo.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'role="img"' in logo
    assert re.search(r"<title[^>]*>Yumroad</title>", logo)


def test_no_page_loads_a_font_or_a_stylesheet_from_another_site():
    css = SITE_CSS.read_text()

    assert "@import" not in css
    assert "url(" not in css
    assert "@font-face" not in css


def relative_luminance(hex_colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(hex_colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(first, second):
    lighter, darker = sorted([relative_luminance(first), relative_luminance(second)])[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def palette():
    """The palette's colours, by name, as site.css sets them."""
    return dict(re.findall(r"--yr-([a-z-]+): (#[0-9a-f]{6});", SITE_CSS.read_text()))


@pytest.mark.parametrize(
    ("text", "background"),
    [
        ("#ffffff", "berry"),  # a primary button
        ("berry", "#ffffff"),  # a link, an outline button
        ("berry", "cream"),  # a link on the landing page's soft sections
        ("#ffffff", "berry-dark"),  # a hovered button
        ("#ffffff", "ink"),  # the navbar and the footer
        ("honey", "ink"),  # a hovered footer link
        ("muted", "#ffffff"),  # secondary text
        ("muted", "cream"),
        ("muted", "#fbeff3"),  # secondary text on the primary's subtle background
    ],
)
def test_the_palettes_text_colours_pass_wcag_aa_contrast(text, background):
    colours = palette()

    ratio = contrast(colours.get(text, text), colours.get(background, background))

    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}"


def test_the_palette_sets_bootstraps_primary_and_link_colours():
    css = SITE_CSS.read_text()

    for variable in [
        "--bs-primary",
        "--bs-primary-rgb",
        "--bs-link-color",
        "--bs-link-color-rgb",
        "--bs-link-hover-color",
        "--bs-body-font-family",
    ]:
        assert re.search(rf"^\s*{variable}:", css, flags=re.MULTILINE), variable


@pytest.mark.django_db
def test_emails_name_the_site_as_set(acme):
    store = StoreFactory(name="Crumb Club")

    welcome_email_send.call(store.pk)

    [email] = mail.outbox
    assert email.subject == "Welcome to Acme Market"
    assert "Welcome to Acme Market, Crumb Club!" in email.body
    assert "The Acme Market team" in email.body
    assert "The Acme Market team" in email.alternatives[0].content


def test_the_site_name_and_support_address_have_defaults():
    _, output, stderr = settings_with({}, "(settings.SITE_NAME, settings.SUPPORT_EMAIL)")

    assert output == "('Yumroad', 'hello@yumroad.localhost')", stderr


def test_the_support_address_defaults_to_the_address_of_default_from_email():
    _, output, stderr = settings_with(
        {"DEFAULT_FROM_EMAIL": "Acme Market <shop@acme.example>"}, "settings.SUPPORT_EMAIL"
    )

    assert output == "'shop@acme.example'", stderr


def test_the_site_name_and_support_address_come_from_the_environment():
    _, output, stderr = settings_with(
        {"SITE_NAME": "  Acme   Market ", "SUPPORT_EMAIL": " help@acme.example "},
        "(settings.SITE_NAME, settings.SUPPORT_EMAIL)",
    )

    assert output == "('Acme Market', 'help@acme.example')", stderr


@pytest.mark.parametrize(
    "value", ["help", "help@", "@acme.example", "Help <help@acme.example>", "a@b@acme.example"]
)
def test_a_support_address_that_is_not_an_email_stops_the_start(value):
    returncode, _, stderr = settings_with({"SUPPORT_EMAIL": value}, "settings.SUPPORT_EMAIL")

    assert returncode != 0
    assert "SUPPORT_EMAIL must be an email address" in stderr


def test_a_default_from_email_without_an_address_stops_the_start_naming_support_email():
    returncode, _, stderr = settings_with({"DEFAULT_FROM_EMAIL": "Acme"}, "settings.SUPPORT_EMAIL")

    assert returncode != 0
    assert "SUPPORT_EMAIL must be an email address" in stderr


@pytest.mark.parametrize("value", ["Acme\x07Market", "Acme\u202eMarket", "A" * 61])
def test_a_site_name_that_is_not_one_line_of_text_stops_the_start(value):
    returncode, _, stderr = settings_with({"SITE_NAME": value}, "settings.SITE_NAME")

    assert returncode != 0
    assert "SITE_NAME must be up to 60 characters of text" in stderr


def test_template_overrides_dir_comes_before_the_projects_templates(tmp_path):
    _, output, stderr = settings_with(
        {"TEMPLATE_OVERRIDES_DIR": str(tmp_path)},
        "[str(folder) for folder in settings.TEMPLATES[0]['DIRS']]",
    )

    assert output == repr([str(tmp_path), str(django_settings.BASE_DIR / "templates")]), stderr


def test_a_template_overrides_dir_that_is_no_folder_stops_the_start(tmp_path):
    returncode, _, stderr = settings_with(
        {"TEMPLATE_OVERRIDES_DIR": str(tmp_path / "missing")}, "settings.TEMPLATES"
    )

    assert returncode != 0
    assert "TEMPLATE_OVERRIDES_DIR must be a folder" in stderr


@pytest.mark.django_db
def test_an_operators_template_replaces_a_legal_pages_text(client, settings, tmp_path):
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "terms.html").write_text(
        '{% extends "legal/_page.html" %}{% block title %}Our terms{% endblock %}'
        "{% block heading %}Our terms{% endblock %}{% block updated %}2 January 2027"
        "{% endblock %}{% block text %}<p>Be kind on {{ site_name }}.</p>{% endblock %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    body = client.get(reverse("terms")).content.decode()

    assert "<p>Be kind on Yumroad.</p>" in body
    assert "Last updated: 2 January 2027" in body
    assert "Terms of service" not in body
    assert_footer_links_legal_pages_and_support(body, django_settings.SUPPORT_EMAIL)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["accounts:login", "accounts:logout"])
def test_log_in_and_log_out_name_the_site_not_the_host(client, acme, url_name):
    # Django's own views put the request's host in `site_name` (no django.contrib.sites).
    if url_name == "accounts:logout":
        client.force_login(UserFactory())
    body = client.get(reverse(url_name)).content.decode()

    assert "· Acme Market</title>" in body
    assert "testserver" not in body
