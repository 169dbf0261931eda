from django.shortcuts import render

# What was not found, by the URL namespace of the view that raised the 404.
NOT_FOUND = {
    "products": ("product", "products:index", "See all products"),
    "stores": ("store", "stores:index", "See all stores"),
}
NOT_FOUND_DEFAULT = ("page", "stores:index", "See all stores")


def page_not_found(request, exception):
    match = request.resolver_match
    missing, link_url, link_text = NOT_FOUND.get(
        match.namespace if match else "", NOT_FOUND_DEFAULT
    )
    if "page" in request.GET:
        # A list page past its end: the store or the list itself is there.
        missing = "page"
    context = {"missing": missing, "link_url": link_url, "link_text": link_text}
    return render(request, "404.html", context, status=404)
