from botocore.config import Config
from botocore.exceptions import HTTPClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from yumroad_site.middleware import FileStoreUnavailable


class PrivateStorage(FileSystemStorage):
    """The files products deliver, under PRIVATE_MEDIA_ROOT.

    Outside MEDIA_ROOT and never at a URL (`url()` raises): only the download view
    reads them, for a paid order, and streams them.
    """

    base_url = None

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def download_url(self, name, *, file_name, content_type):
        """None: files on disk have no address; the download view streams them."""
        return None


class PublicS3Storage(S3Storage):
    """django-storages' S3 storage, with every request bounded: AWS_S3_CONNECT_TIMEOUT
    and AWS_S3_READ_TIMEOUT per try, AWS_S3_MAX_ATTEMPTS tries, so a frozen S3 fails
    the request (FileStoreUnavailableMiddleware's page) well before gunicorn's timeout."""

    def __init__(self, **options):
        super().__init__(**options)
        self.client_config = self.client_config.merge(
            Config(
                connect_timeout=settings.AWS_S3_CONNECT_TIMEOUT,
                read_timeout=settings.AWS_S3_READ_TIMEOUT,
                retries={"mode": "standard", "total_max_attempts": settings.AWS_S3_MAX_ATTEMPTS},
            )
        )


class PrivateS3Storage(PublicS3Storage):
    """The files products deliver, in a private bucket (AWS_PRIVATE_BUCKET_NAME).

    Nothing in it can be read without a signature: the download view, once it has
    checked the order, sends the buyer to an address signed for DOWNLOAD_URL_MAX_AGE
    seconds, so that the file never passes through an app server.
    """

    querystring_auth = True

    def download_url(self, name, *, file_name, content_type):
        """A short-lived signed address of the file, saved as `file_name`.

        Raises FileNotFoundError when the bucket no longer has it, FileStoreUnavailable
        when the bucket does not answer.
        """
        try:
            found = self.exists(name)
        except HTTPClientError as error:
            raise FileStoreUnavailable(str(error)) from error
        if not found:
            raise FileNotFoundError(name)
        parameters = {
            "ResponseContentDisposition": content_disposition_header(True, file_name),
            "ResponseContentType": content_type,
        }
        return self.url(name, parameters=parameters)


def private_storage():
    return storages["private"]
