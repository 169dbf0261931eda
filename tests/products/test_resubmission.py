"""A product form sent twice (a retry after a dropped connection) makes one product, and
a save that fails removes the files it stored."""

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from PIL import Image

from products.models import Product
from stores.services import store_update
from tests.factories import ProductFactory, StoreFactory
from tests.products.test_files import pdf_upload, product_data, stored_files
from tests.utils import messages_of

CREATE_URL = reverse("products:create")
TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')


def png_upload(name="cover.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_token(client):
    return TOKEN.search(client.get(CREATE_URL).content.decode())[1]


@pytest.mark.django_db
class TestTheSameFormSentTwice:
    def test_each_new_form_carries_its_own_token(self, creator_client):
        assert form_token(creator_client) != form_token(creator_client)

    def test_makes_one_product_and_the_retry_lands_on_it(self, creator_client, settings):
        token = form_token(creator_client)
        first = creator_client.post(CREATE_URL, product_data(submission=token, file=pdf_upload()))
        files_after_first = stored_files(settings)

        again = creator_client.post(
            CREATE_URL, product_data(submission=token, file=pdf_upload()), follow=True
        )

        product = Product.objects.get()
        assert first["Location"] == product.get_absolute_url()
        assert again.redirect_chain == [(product.get_absolute_url(), 302)]
        assert "Field Guide is ready to sell." in messages_of(again)
        assert stored_files(settings) == files_after_first

    def test_two_forms_make_two_products(self, creator_client):
        creator_client.post(CREATE_URL, product_data(submission=form_token(creator_client)))
        creator_client.post(CREATE_URL, product_data(submission=form_token(creator_client)))

        assert Product.objects.count() == 2

    def test_another_store_s_token_is_refused_and_saves_nothing(self, creator_client):
        theirs = ProductFactory(store=StoreFactory(), submission=uuid.uuid4())

        response = creator_client.post(CREATE_URL, product_data(submission=str(theirs.submission)))

        assert response.status_code == 200
        assert "This form was sent already. Reload the page" in response.content.decode()
        assert list(Product.objects.all()) == [theirs]

    def test_a_token_that_is_not_one_is_a_form_error(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(submission="not-a-token"))

        assert response.status_code == 200
        assert "This form is out of date. Reload the page" in response.content.decode()
        assert not Product.objects.exists()

    def test_the_edit_form_has_no_token(self, creator_client, store):
        product = ProductFactory(store=store)

        body = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        assert 'name="submission"' not in body


@pytest.mark.django_db
class TestAFailedSave:
    def test_a_product_that_cannot_be_saved_leaves_no_file_behind(self, store, settings):
        taken = ProductFactory(store=store, submission=uuid.uuid4())
        product = Product(
            store=store,
            name="Second Guide",
            description="Never saved.",
            price_cents=500,
            image=png_upload(),
            file=pdf_upload(),
            submission=taken.submission,
        )

        with pytest.raises(IntegrityError):
            product.save()

        assert stored_files(settings) == []
        assert list(Product.objects.all()) == [taken]

    def test_a_store_that_cannot_be_saved_leaves_no_avatar_behind(self, store, settings):
        other = StoreFactory(name="Taken Name Here")
        store.name = other.name
        store.avatar = png_upload()

        with pytest.raises(IntegrityError):
            store_update(store=store)

        assert stored_files(settings) == []
