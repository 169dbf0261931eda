"""Stored files that follow their rows: deleted once a delete or a replacement commits,
and a new upload removed again when the save that stored it fails."""

import logging
from contextlib import contextmanager

from botocore.exceptions import HTTPClientError
from django.db import transaction

logger = logging.getLogger(__name__)


def delete_file_on_commit(storage, name):
    transaction.on_commit(lambda: storage.delete(name), robust=True)


def file_delete(storage, name):
    storage.delete(name)


@contextmanager
def uploads_removed_on_error(*uploads):
    """For (field file, delete function) pairs: when the block raises, the new uploads
    among them that it stored are deleted, so no file outlives a row that never
    committed. A delete that fails too, or one to a store that has just timed out, is
    left to `manage.py orphan_files`."""
    new = [(file, delete) for file, delete in uploads if file and not file._committed]
    try:
        yield
    except Exception as error:
        # A store that stopped answering would make each delete wait as long again.
        gone_quiet = isinstance(error, HTTPClientError)
        for file, delete in new:
            if file._committed and not gone_quiet:
                try:
                    delete(file.storage, file.name)
                except Exception:
                    logger.exception("Could not remove %s, stored by a failed save", file.name)
        raise
