"""How figures, dates and codes read in each language the templates speak.

Values reach templates already formatted, so a template never formats money itself and
French readers see ``1 234,50 €`` where English readers see ``€1,234.50``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from orderflow.domain.money import Money

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
_NARROW_NBSP = "\u202f"
_NBSP = "\u00a0"

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # cancel reasons, as the customer reads them
        "customer": "at your request",
        "declined": "payment declined",
        "fraud": "payment could not be verified",
        "inventory": "items unavailable",
        "staff": "an error on our side",
        "other": "other reason",
        # refund reasons, as the customer reads them
        "customer_request": "at your request",
        "not_received": "not received",
        "out_of_stock": "out of stock",
        "price_adjustment": "a price adjustment",
        "goodwill": "a gesture of goodwill",
        "wrong_item": "wrong item",
    },
    "fr": {
        # cancel reasons, as the customer reads them
        "customer": "à votre demande",
        "declined": "paiement refusé",
        "fraud": "paiement non vérifié",
        "inventory": "articles indisponibles",
        "staff": "erreur de notre part",
        "other": "autre raison",
        # refund reasons
        "customer_request": "à votre demande",
        "damaged": "article endommagé",
        "defective": "article défectueux",
        "wrong_item": "mauvais article",
        "not_received": "non reçu",
        "out_of_stock": "en rupture de stock",
        "price_adjustment": "ajustement de prix",
        "goodwill": "geste commercial",
        # hold reasons
        "awaiting_payment": "en attente de paiement",
        "awaiting_return_items": "en attente des articles retournés",
        "high_risk_of_fraud": "risque élevé de fraude",
        "incorrect_address": "adresse incorrecte",
        "inventory_out_of_stock": "article en rupture de stock",
        "post_purchase_upsell": "offre après achat en cours",
        "unknown_delivery_date": "date de livraison inconnue",
        # shipment statuses
        "in_transit": "en transit",
        "out_for_delivery": "en cours de livraison",
        "attempted_delivery": "tentative de livraison",
        "delayed": "retardé",
        "delivered": "livré",
        "failure": "incident de livraison",
        "confirmed": "confirmé",
        "carrier_picked_up": "pris en charge par le transporteur",
        "label_printed": "étiquette imprimée",
        "label_purchased": "étiquette achetée",
        "ready_for_pickup": "prêt à être retiré",
        "picked_up": "retiré",
        # financial statuses
        "pending": "en attente",
        "authorized": "autorisé",
        "partially_paid": "partiellement payé",
        "paid": "payé",
        "partially_refunded": "partiellement remboursé",
        "refunded": "remboursé",
        "voided": "annulé",
        "expired": "expiré",
        # fulfillment statuses
        "not_required": "traitement non requis",
        "fulfilled": "traité",
        "partially_fulfilled": "partiellement traité",
        "request_declined": "demande refusée",
        "in_progress": "en cours",
        "on_hold": "en attente",
        "scheduled": "programmé",
        "unfulfilled": "non traité",
        # delivery methods
        "shipping": "expédition",
        "pick_up": "retrait en magasin",
        "local_delivery": "livraison locale",
        "pickup_point": "point relais",
        "retail": "vente en magasin",
        "none": "sans livraison",
    },
}


def language(locale: str) -> str:
    """``"fr-CA"`` -> ``"fr"``."""
    return locale.replace("_", "-").split("-")[0].lower()


def money(value: Money, locale: str) -> str:
    symbol = _SYMBOLS.get(value.currency)
    if language(locale) == "fr":
        digits = _grouped(value.amount, thousands=_NARROW_NBSP, decimal=",")
        return f"{digits}{_NBSP}{symbol or value.currency}"
    digits = _grouped(abs(value.amount), thousands=",", decimal=".")
    sign = "-" if value.amount < 0 else ""
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {value.currency}"


def _grouped(amount: Decimal, *, thousands: str, decimal: str) -> str:
    whole, _, fraction = f"{amount:,f}".partition(".")
    whole = whole.replace(",", thousands)
    return f"{whole}{decimal}{fraction}" if fraction else whole


def date(value: datetime, locale: str, zone: tzinfo) -> str:
    """``24 novembre 2026`` / ``November 24, 2026``, in the store's time zone."""
    local = value.astimezone(zone)
    months = _MONTHS.get(language(locale), _MONTHS["en"]).split()
    month = months[local.month - 1]
    if language(locale) == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        return f"{day} {month} {local.year}"
    return f"{month} {local.day}, {local.year}"


def colon(locale: str) -> str:
    """``:`` as the language sets it: French puts a no-break space before it."""
    return f"{_NBSP}:" if language(locale) == "fr" else ":"


def label(code: str, locale: str) -> str:
    """A stored code (``"out_for_delivery"``) in words of ``locale``."""
    return LABELS.get(language(locale), {}).get(code, code.replace("_", " "))
