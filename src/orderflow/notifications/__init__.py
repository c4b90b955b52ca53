"""Messages to customers, staff and fulfillment services, from the order's events.

>>> from orderflow.notifications import NotificationSettings, Notifications
>>> notifications = Notifications(
...     NotificationSettings(store_name="Maison Lune", admin_url="https://admin.example/orders/{number}")
... )
>>> "order_confirmation" in notifications.templates.names()
True
"""

from orderflow.notifications.composer import Notifications
from orderflow.notifications.rules import BUILT_IN, Route, Rule
from orderflow.notifications.settings import NotificationSettings, ServiceContact, StaffContact

__all__ = [
    "BUILT_IN",
    "NotificationSettings",
    "Notifications",
    "Route",
    "Rule",
    "ServiceContact",
    "StaffContact",
]
