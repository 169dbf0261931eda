import factory

from accounts.models import User
from products.models import Product
from stores.models import Store

PASSWORD = "a-Str0ng-passphrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"creator{n}@example.com")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store number {n}")
    slug = factory.Sequence(lambda n: f"store-number-{n}")
    owner = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Digital product {n}")
    description = factory.Faker("paragraph")
    price_cents = 500
    store = factory.SubFactory(StoreFactory)
