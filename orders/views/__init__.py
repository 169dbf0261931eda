"""The orders app's pages, a module a group: checkout, the receipt, webhook, downloads,
and the buyer's and seller's pages (library, sales). orders/urls.py names each view."""
