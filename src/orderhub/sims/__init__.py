"""The first-party simulated channels (Amazon, eBay, Shopify, WooCommerce) that serve
``orderhub demo``, the benchmarks and orderhub's own tests. They are built on the generic
framework in :mod:`orderhub.testing.sim`; a connector's suite does not need them.
"""
