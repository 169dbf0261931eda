"""Uploaded pictures, a product's or a store's avatar: checked before they are decoded,
re-encoded, and served in sizes.

An upload is stored as Pillow re-encodes it (orientation applied, EXIF, GPS, XMP and
comments dropped) under a generated name, beside its sizes in WebP that pages serve: a
product's card and page sizes, so that a product grid never loads a full picture; a
store avatar's square crops, for the circle pages show it in.
"""

import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FRAMES = 100
# Pillow's format: the format and extension we store it in. An MPO is a JPEG with more
# pictures after the first (Android's Ultra HDR, stereo photos); a GIF keeps its first
# frame, as a PNG.
STORED_AS = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
}
# Pillow's JPEG opener reads MPO files too.
OPENERS = ["JPEG", "PNG", "WEBP", "GIF"]


@dataclass(frozen=True)
class Sizes:
    """The sizes pages ask for of one kind of picture: each size's name and width;
    `square` ones are centred square crops (an avatar, shown in a circle)."""

    widths: dict
    square: bool = False

    def __iter__(self):
        return iter(self.widths)


# A product card, and a product page.
PRODUCT_SIZES = Sizes({"card": 480, "page": 1200})
# A store's avatar: 6rem on its page, smaller in lists; once and twice as sharp.
AVATAR_SIZES = Sizes({"avatar": 96, "avatar-2x": 192}, square=True)
SIZES = PRODUCT_SIZES

INVALID_MESSAGE = "Upload a JPEG, PNG, WebP or GIF image."
TOO_LARGE_MESSAGE = "The image must be 5 MB or smaller."
TOO_MANY_PIXELS_MESSAGE = (
    "The image must be at most 40 megapixels; this one is {width} by {height} pixels."
)
TOO_MANY_PIXELS_MESSAGE_SHORT = "The image must be at most 40 megapixels."
TOO_MANY_FRAMES_MESSAGE = (
    f"An animated image may have at most {MAX_FRAMES} frames; this one has {{frames}}."
)


def picture_check(file):
    """Open `file` with Pillow and refuse, with a message, what we won't decode.

    Only the header and the frame table are read: a 20 KB PNG can announce 169
    megapixels, and it is refused before a byte of it is decompressed.
    """
    if file.size > MAX_BYTES:
        raise ValidationError(TOO_LARGE_MESSAGE, code="too_large")
    try:
        file.seek(0)
        with warnings.catch_warnings():
            # We say it ourselves, to the person uploading, just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file, formats=OPENERS)
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    TOO_MANY_PIXELS_MESSAGE.format(width=width, height=height),
                    code="too_many_pixels",
                )
            frames = getattr(image, "n_frames", 1)
            if image.format != "MPO" and frames > MAX_FRAMES:
                raise ValidationError(
                    TOO_MANY_FRAMES_MESSAGE.format(frames=frames), code="too_many_frames"
                )
            image.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        # Past twice Pillow's own limit, it refuses to open the file at all.
        raise ValidationError(TOO_MANY_PIXELS_MESSAGE_SHORT, code="too_many_pixels") from error
    except Exception as error:
        # Pillow raises many kinds of errors for a broken or hostile file.
        raise ValidationError(INVALID_MESSAGE, code="invalid_image") from error
    finally:
        file.seek(0)


def picture_encode(file):
    """The picture in `file` re-encoded: turned upright, without metadata, under a
    generated name."""
    file.seek(0)
    with Image.open(file, formats=OPENERS) as image:
        stored_format, extension = STORED_AS[image.format]
        image.seek(0)
        picture = _upright(image)
    output = io.BytesIO()
    _save(picture, output, stored_format)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _upright(image):
    """The first frame, turned as its EXIF orientation says, with no metadata left."""
    icc_profile = image.info.get("icc_profile")
    picture = ImageOps.exif_transpose(image)
    if picture.mode not in {"RGB", "RGBA", "L", "LA"}:
        has_alpha = "transparency" in image.info or picture.mode in {"PA", "RGBa", "La"}
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    picture.info = {"icc_profile": icc_profile} if icc_profile else {}
    return picture


def _save(picture, output, image_format, **options):
    # The colour profile stays: without it, colours shift.
    icc_profile = picture.info.get("icc_profile")
    if icc_profile:
        options["icc_profile"] = icc_profile
    picture.save(output, format=image_format, **options)


def size_name(name, size):
    """Where the `size` of the picture stored as `name` is: beside it, in WebP."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}-{size}.webp"))


def size_dimensions(width, height, size, sizes=PRODUCT_SIZES):
    """The width and height of a size: the picture scaled down to fit, never up; for
    square sizes, its centred square, scaled down so."""
    target = sizes.widths[size]
    if sizes.square:
        side = min(width, height, target)
        return side, side
    if width <= target:
        return width, height
    return target, max(1, round(height * target / width))


def size_urls(file, width, height, sizes=PRODUCT_SIZES):
    """Each size of the stored picture `file` (a field's file, `width` by `height`) as
    (url, width, height), smallest first, one per width; empty for a picture stored
    before it had sizes (no width)."""
    if not file or not width:
        return []
    urls = {}
    for size in sizes:
        size_width, size_height = size_dimensions(width, height, size, sizes)
        url = file.storage.url(size_name(file.name, size))
        urls.setdefault(size_width, (url, size_width, size_height))
    return list(urls.values())


def sizes_save(storage, name, sizes=PRODUCT_SIZES):
    """Make and store every size of the picture stored as `name`."""
    with storage.open(name) as file, Image.open(file) as image:
        image.load()
        for size in sizes:
            dimensions = size_dimensions(*image.size, size, sizes)
            if sizes.square:
                resized = ImageOps.fit(image, dimensions, Image.Resampling.LANCZOS)
            else:
                resized = image.resize(dimensions, Image.Resampling.LANCZOS)
            resized.info = image.info
            output = io.BytesIO()
            _save(resized, output, "WEBP", quality=80, method=4)
            storage.save(size_name(name, size), ContentFile(output.getvalue()))


def picture_delete(storage, name, sizes=PRODUCT_SIZES):
    """Remove a stored picture and every size of it."""
    for path in [name, *(size_name(name, size) for size in sizes)]:
        storage.delete(path)


def avatar_delete(storage, name):
    """Remove a stored avatar and every size of it."""
    picture_delete(storage, name, AVATAR_SIZES)
