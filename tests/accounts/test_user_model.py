import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User


@pytest.mark.django_db
class TestCreateUser:
    def test_stores_a_normalized_email_and_a_hashed_password(self):
        user = User.objects.create_user("  Ann@Example.COM ", "s3cret-words")

        user.refresh_from_db()
        assert user.email == "ann@example.com"
        assert user.password != "s3cret-words"
        assert user.password.startswith("md5$")
        assert user.check_password("s3cret-words")
        assert not user.is_staff
        assert not user.is_superuser

    @pytest.mark.parametrize("email", [None, "", "   "])
    def test_refuses_a_blank_email(self, email):
        with pytest.raises(ValueError, match="email"):
            User.objects.create_user(email, "s3cret-words")
        assert not User.objects.exists()

    @pytest.mark.parametrize("password", [None, "", "   "])
    def test_refuses_a_blank_password(self, password):
        with pytest.raises(ValueError, match="password"):
            User.objects.create_user("ann@example.com", password)
        assert not User.objects.exists()

    def test_email_is_unique_in_any_letter_case(self):
        User.objects.create_user("ann@example.com", "s3cret-words")
        with pytest.raises(IntegrityError):
            User.objects.create_user("ANN@example.com", "other-words")

    def test_the_database_refuses_a_case_variant_written_around_the_manager(self):
        User.objects.create_user("ann@example.com", "s3cret-words")
        with pytest.raises(IntegrityError):
            User.objects.bulk_create([User(email="Ann@Example.com")])

    def test_model_validation_reports_a_taken_email(self):
        User.objects.create_user("ann@example.com", "s3cret-words")
        with pytest.raises(ValidationError, match=r"That email already has an account\."):
            User(email="ANN@EXAMPLE.COM", password="x").full_clean()

    def test_natural_key_lookup_ignores_letter_case(self):
        user = User.objects.create_user("ann@example.com", "s3cret-words")
        assert User.objects.get_by_natural_key(" Ann@Example.com") == user

    def test_str_is_the_email(self):
        assert str(User(email="ann@example.com")) == "ann@example.com"


@pytest.mark.django_db
class TestCreateSuperuser:
    def test_sets_staff_and_superuser(self):
        user = User.objects.create_superuser("boss@example.com", "s3cret-words")
        assert user.is_staff
        assert user.is_superuser

    @pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
    def test_refuses_either_flag_set_to_false(self, flag):
        with pytest.raises(ValueError, match=flag):
            User.objects.create_superuser("boss@example.com", "s3cret-words", **{flag: False})
        assert not User.objects.exists()

    def test_createsuperuser_command_asks_for_an_email(self, monkeypatch):
        from django.core.management import call_command

        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "s3cret-words")
        call_command("createsuperuser", "--noinput", "--email", "Boss@Example.com")

        boss = User.objects.get()
        assert boss.email == "boss@example.com"
        assert boss.is_superuser
        assert boss.check_password("s3cret-words")
