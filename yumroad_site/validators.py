import unicodedata

from django.core.exceptions import ValidationError

NAME_MIN_LENGTH = 4
NAME_MAX_LENGTH = 60
NAME_LENGTH_MESSAGE = (
    f"Field must be between {NAME_MIN_LENGTH} and {NAME_MAX_LENGTH} characters long."
)
NAME_CHARACTERS_MESSAGE = "Use one line of letters, numbers, spaces and punctuation."
# Control characters and line or paragraph breaks; format characters such as the
# zero-width joiners that Persian and emoji need are fine.
UNPRINTABLE_CATEGORIES = {"Cc", "Zl", "Zp"}
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they
# reorder the text around a name, so "gpj.exe" can show as "exe.jpg".
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_name_length(value):
    """Store and product names: 4 to 60 characters, not counting outer spaces."""
    if not NAME_MIN_LENGTH <= len(value.strip()) <= NAME_MAX_LENGTH:
        raise ValidationError(NAME_LENGTH_MESSAGE, code="name_length")


def validate_printable(value):
    """Names go into page titles and email subjects: no line breaks or control characters."""
    if any(
        char in BIDI_CONTROLS or unicodedata.category(char) in UNPRINTABLE_CATEGORIES
        for char in value
    ):
        raise ValidationError(NAME_CHARACTERS_MESSAGE, code="unprintable")
