class StoreSlugConverter:
    """A store slug: letters and digits of any script, hyphens and underscores.

    Django's <slug:> takes ASCII only, and <str:> lets through characters such as NUL
    that the database refuses in a lookup.
    """

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
