"""What settings.py makes of the variables for several app servers: Redis, S3."""

import ast

from tests.site.test_pages import settings_with

S3 = {
    "AWS_STORAGE_BUCKET_NAME": "pictures",
    "AWS_PRIVATE_BUCKET_NAME": "files",
    "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
    "AWS_S3_REGION_NAME": "eu-west-1",
}


def storages_with(environment):
    returncode, output, stderr = settings_with(environment, "settings.STORAGES")
    assert returncode == 0, stderr
    return ast.literal_eval(output)


def test_without_a_bucket_files_stay_on_local_disk():
    storages = storages_with({})

    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storages["private"] == {"BACKEND": "products.storage.PrivateStorage"}


def test_a_bucket_puts_pictures_in_public_and_files_in_private_object_storage():
    storages = storages_with(S3)

    common = {
        "endpoint_url": "http://127.0.0.1:8333",
        "region_name": "eu-west-1",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": False,
    }
    assert storages["default"] == {
        "BACKEND": "products.storage.PublicS3Storage",
        "OPTIONS": {
            **common,
            "bucket_name": "pictures",
            "querystring_auth": False,
            "custom_domain": None,
        },
    }
    assert storages["private"] == {
        "BACKEND": "products.storage.PrivateS3Storage",
        "OPTIONS": {**common, "bucket_name": "files", "querystring_expire": 60},
    }


def test_amazon_s3_itself_needs_no_endpoint_and_takes_a_custom_domain():
    storages = storages_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "pictures",
            "AWS_PRIVATE_BUCKET_NAME": "files",
            "AWS_S3_CUSTOM_DOMAIN": "cdn.example.com",
            "DOWNLOAD_URL_MAX_AGE": "30",
        }
    )

    assert storages["default"]["OPTIONS"]["endpoint_url"] is None
    assert storages["default"]["OPTIONS"]["addressing_style"] is None
    assert storages["default"]["OPTIONS"]["custom_domain"] == "cdn.example.com"
    assert storages["private"]["OPTIONS"]["querystring_expire"] == 30


def test_a_public_bucket_without_a_second_private_one_stops_the_start():
    for private in ({}, {"AWS_PRIVATE_BUCKET_NAME": "pictures"}):
        returncode, _, stderr = settings_with(
            {"AWS_STORAGE_BUCKET_NAME": "pictures", **private}, "settings.STORAGES"
        )

        assert returncode != 0
        assert "AWS_PRIVATE_BUCKET_NAME must name a second, private bucket" in stderr


def test_redis_keeps_sessions_in_the_cache_and_the_database():
    _, output, stderr = settings_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/6"},
        "(settings.SESSION_ENGINE, settings.AXES_HANDLER)",
    )

    assert output == (
        "('django.contrib.sessions.backends.cached_db', "
        "'axes.handlers.database.AxesDatabaseHandler')"
    ), stderr


def test_without_redis_sessions_are_in_the_database():
    _, output, stderr = settings_with({}, "settings.SESSION_ENGINE")

    assert output == "'django.contrib.sessions.backends.db'", stderr
