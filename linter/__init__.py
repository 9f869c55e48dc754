"""fwlint: reads firewall configurations, models what they let through, and checks them."""

__version__ = "0.1.0"
