import re
import unicodedata

import icu
from django.core.exceptions import ValidationError

NAME_MIN_LENGTH = 4
NAME_MAX_LENGTH = 60
NAME_LENGTH_MESSAGE = (
    f"Field must be between {NAME_MIN_LENGTH} and {NAME_MAX_LENGTH} characters long."
)
# RFC 5321: a path is at most 256 characters with its brackets.
EMAIL_MAX_LENGTH = 254
NAME_CHARACTERS_MESSAGE = "Use one line of letters, numbers, spaces and punctuation."
NAME_INVISIBLE_MESSAGE = (
    "Remove the invisible characters (such as zero-width spaces or text direction marks) "
    "from the name."
)
BIDI_MESSAGE = "Remove the invisible text direction characters from the description."
# Control characters and line or paragraph breaks.
LINE_BREAK_CATEGORIES = {"Cc", "Zl", "Zp"}
# Characters that show nothing or change how the text around them shows: format
# characters (zero-width spaces, direction marks and overrides), private use and
# surrogates; with the other default-ignorable code points (Hangul fillers) and
# noncharacters below.
INVISIBLE_CATEGORIES = {"Cf", "Co", "Cs"}
# Zero-width non-joiner and joiner: Persian words and emoji sequences need them, so
# names keep them (and variation selectors); the name key drops them all.
JOINERS = {"\u200c", "\u200d"}
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they
# reorder the text around them, so "gpj.exe" can show as "exe.jpg".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SPACES = re.compile(r"[^\S\n\r\t\v\f\x1c-\x1f\x85\u2028\u2029]+")
# ICU's implementation of Unicode's confusable detection (UTS #39); thread-safe once made.
SPOOF_CHECKER = icu.SpoofChecker()


def validate_name_length(value):
    """Store and product names: 4 to 60 characters, not counting outer spaces."""
    if not NAME_MIN_LENGTH <= len(value.strip()) <= NAME_MAX_LENGTH:
        raise ValidationError(NAME_LENGTH_MESSAGE, code="name_length")


def is_invisible(char):
    if char in JOINERS or icu.Char.hasBinaryProperty(char, icu.UProperty.VARIATION_SELECTOR):
        return False
    return (
        unicodedata.category(char) in INVISIBLE_CATEGORIES
        or icu.Char.hasBinaryProperty(char, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT)
        or icu.Char.hasBinaryProperty(char, icu.UProperty.NONCHARACTER_CODE_POINT)
    )


def validate_printable(value):
    """Names go into page titles and email subjects: one line, and nothing invisible
    that would make a name pass for another ("Alpha\u200b X" for "Alpha X")."""
    if any(unicodedata.category(char) in LINE_BREAK_CATEGORIES for char in value):
        raise ValidationError(NAME_CHARACTERS_MESSAGE, code="unprintable")
    if any(is_invisible(char) for char in value):
        raise ValidationError(NAME_INVISIBLE_MESSAGE, code="invisible")
    # Joiners, variation selectors and combining marks are allowed beside letters, but
    # a name of nothing else shows nothing.
    if value and not any(unicodedata.category(char)[0] in "LNPS" for char in value):
        raise ValidationError(NAME_INVISIBLE_MESSAGE, code="invisible")


def validate_no_bidi_controls(value):
    """Descriptions: no text direction controls, which could disguise what they say."""
    if BIDI_CONTROLS.intersection(value):
        raise ValidationError(BIDI_MESSAGE, code="bidi")


def normalize_email(email):
    """The one spelling of an email we store and look up: trimmed and lower-cased."""
    return (email or "").strip().lower()


def collapse_spaces(name):
    """A name as stored: each run of spaces (of any width) one plain space, none at
    either end. Line breaks stay, for validate_printable to refuse."""
    return SPACES.sub(" ", name).strip()


def confusable_key(text):
    """What two look-alike texts share: Unicode's skeleton (UTS #39) of the text in
    compatibility form, case-folded before and after, so that "Alpha X", "ALPHA  X",
    "Alpha\u200b X" and Cyrillic "\u0410lpha X" are one key, on SQLite as on PostgreSQL."""
    key = unicodedata.normalize("NFKC", collapse_spaces(text))
    # A lone surrogate (never from a request) can't be passed to ICU.
    key = key.encode("utf-8", "replace").decode()
    # Case-folded first, as UTS #39 advises for case-insensitive names: the skeleton
    # of a capital may differ from its small letter's ("I" is "l", "i" is itself).
    key = SPOOF_CHECKER.getSkeleton(0, key.casefold()).casefold()
    return collapse_spaces(key)
