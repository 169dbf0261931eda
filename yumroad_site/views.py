from django.shortcuts import render

# What was not found, by the URL namespace of the view that raised the 404.
NOT_FOUND = {
    "products": ("We couldn't find that product", "products:index", "See all products"),
    "stores": ("We couldn't find that store", "stores:index", "See all stores"),
}
NOT_FOUND_DEFAULT = ("We couldn't find that page", "stores:index", "See all stores")


def page_not_found(request, exception):
    match = request.resolver_match
    headline, link_url, link_text = NOT_FOUND.get(
        match.namespace if match else "", NOT_FOUND_DEFAULT
    )
    context = {"headline": headline, "link_url": link_url, "link_text": link_text}
    return render(request, "404.html", context, status=404)
