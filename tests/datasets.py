"""Small hand-made Olist-format datasets for tests, written as real CSV files.

Rows are plain dicts keyed by the CSV headers, so a test can break one field
and write the files again.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

from loaders.formats import FILES

HEADERS: dict[str, list[str]] = {s.file: [c.header for c in s.columns] for s in FILES}
F_TRANSLATION = "product_category_name_translation.csv"
F_CUSTOMERS = "olist_customers_dataset.csv"
F_GEO = "olist_geolocation_dataset.csv"
F_SELLERS = "olist_sellers_dataset.csv"
F_PRODUCTS = "olist_products_dataset.csv"
F_ORDERS = "olist_orders_dataset.csv"
F_ITEMS = "olist_order_items_dataset.csv"
F_PAYMENTS = "olist_order_payments_dataset.csv"
F_REVIEWS = "olist_order_reviews_dataset.csv"


def _h(n: int) -> str:
    return f"{n:032x}"


def tiny() -> dict[str, list[dict[str, str]]]:
    """Five orders with the real quirks: a repeat customer, an order without items,
    a product without category, an untranslated category, a multi-line review comment,
    a review id shared by two orders, a voucher split payment."""
    o = [_h(100 + i) for i in range(1, 6)]
    c = [_h(200 + i) for i in range(1, 6)]
    rows: dict[str, list[dict[str, str]]] = {
        F_TRANSLATION: [
            {"product_category_name": "beleza_saude", "product_category_name_english": "health_beauty"},
            {"product_category_name": "esporte_lazer", "product_category_name_english": "sports_leisure"},
        ],
        F_CUSTOMERS: [
            {"customer_id": c[0], "customer_unique_id": _h(301), "customer_zip_code_prefix": "01151", "customer_city": "sao paulo", "customer_state": "SP"},
            {"customer_id": c[1], "customer_unique_id": _h(302), "customer_zip_code_prefix": "20040", "customer_city": "rio de janeiro", "customer_state": "RJ"},
            {"customer_id": c[2], "customer_unique_id": _h(301), "customer_zip_code_prefix": "01151", "customer_city": "sao paulo", "customer_state": "SP"},
            {"customer_id": c[3], "customer_unique_id": _h(303), "customer_zip_code_prefix": "30110", "customer_city": "belo horizonte", "customer_state": "MG"},
            {"customer_id": c[4], "customer_unique_id": _h(304), "customer_zip_code_prefix": "69005", "customer_city": "manaus", "customer_state": "AM"},
        ],
        F_GEO: [
            {"geolocation_zip_code_prefix": "01151", "geolocation_lat": "-23.5456", "geolocation_lng": "-46.6393", "geolocation_city": "sao paulo", "geolocation_state": "SP"},
            {"geolocation_zip_code_prefix": "01151", "geolocation_lat": "-23.5460", "geolocation_lng": "-46.6390", "geolocation_city": "são paulo", "geolocation_state": "SP"},
        ],
        F_SELLERS: [
            {"seller_id": _h(401), "seller_zip_code_prefix": "13023", "seller_city": "campinas", "seller_state": "SP"},
            {"seller_id": _h(402), "seller_zip_code_prefix": "22790", "seller_city": "rio de janeiro", "seller_state": "RJ"},
        ],
        F_PRODUCTS: [
            {"product_id": _h(501), "product_category_name": "beleza_saude", "product_name_lenght": "40", "product_description_lenght": "287", "product_photos_qty": "1", "product_weight_g": "225", "product_length_cm": "16", "product_height_cm": "10", "product_width_cm": "14"},
            {"product_id": _h(502), "product_category_name": "esporte_lazer", "product_name_lenght": "44", "product_description_lenght": "276", "product_photos_qty": "1", "product_weight_g": "1000", "product_length_cm": "30", "product_height_cm": "18", "product_width_cm": "20"},
            {"product_id": _h(503), "product_category_name": "", "product_name_lenght": "", "product_description_lenght": "", "product_photos_qty": "", "product_weight_g": "650", "product_length_cm": "17", "product_height_cm": "14", "product_width_cm": "12"},
            {"product_id": _h(504), "product_category_name": "pc_gamer", "product_name_lenght": "50", "product_description_lenght": "900", "product_photos_qty": "3", "product_weight_g": "5000", "product_length_cm": "50", "product_height_cm": "40", "product_width_cm": "30"},
        ],
        F_ORDERS: [
            {"order_id": o[0], "customer_id": c[0], "order_status": "delivered", "order_purchase_timestamp": "2020-03-02 10:00:00", "order_approved_at": "2020-03-02 10:15:00", "order_delivered_carrier_date": "2020-03-03 09:00:00", "order_delivered_customer_date": "2020-03-09 15:00:00", "order_estimated_delivery_date": "2020-03-20 00:00:00"},
            {"order_id": o[1], "customer_id": c[1], "order_status": "delivered", "order_purchase_timestamp": "2020-03-15 23:59:59", "order_approved_at": "2020-03-16 08:00:00", "order_delivered_carrier_date": "2020-03-17 08:00:00", "order_delivered_customer_date": "2020-04-02 12:00:00", "order_estimated_delivery_date": "2020-03-31 00:00:00"},
            {"order_id": o[2], "customer_id": c[2], "order_status": "canceled", "order_purchase_timestamp": "2020-04-01 08:30:00", "order_approved_at": "", "order_delivered_carrier_date": "", "order_delivered_customer_date": "", "order_estimated_delivery_date": "2020-04-20 00:00:00"},
            {"order_id": o[3], "customer_id": c[3], "order_status": "unavailable", "order_purchase_timestamp": "2020-04-05 12:00:00", "order_approved_at": "2020-04-05 12:10:00", "order_delivered_carrier_date": "", "order_delivered_customer_date": "", "order_estimated_delivery_date": "2020-04-25 00:00:00"},
            {"order_id": o[4], "customer_id": c[4], "order_status": "shipped", "order_purchase_timestamp": "2020-04-10 18:45:00", "order_approved_at": "2020-04-10 19:00:00", "order_delivered_carrier_date": "2020-04-12 10:00:00", "order_delivered_customer_date": "", "order_estimated_delivery_date": "2020-05-05 00:00:00"},
        ],
        F_ITEMS: [
            {"order_id": o[0], "order_item_id": "1", "product_id": _h(501), "seller_id": _h(401), "shipping_limit_date": "2020-03-06 10:00:00", "price": "58.90", "freight_value": "13.29"},
            {"order_id": o[0], "order_item_id": "2", "product_id": _h(502), "seller_id": _h(402), "shipping_limit_date": "2020-03-06 10:00:00", "price": "100.10", "freight_value": "20.00"},
            {"order_id": o[1], "order_item_id": "1", "product_id": _h(503), "seller_id": _h(401), "shipping_limit_date": "2020-03-19 10:00:00", "price": "19.99", "freight_value": "8.72"},
            {"order_id": o[2], "order_item_id": "1", "product_id": _h(504), "seller_id": _h(402), "shipping_limit_date": "2020-04-05 10:00:00", "price": "1200.00", "freight_value": "45.50"},
            {"order_id": o[4], "order_item_id": "1", "product_id": _h(501), "seller_id": _h(401), "shipping_limit_date": "2020-04-14 10:00:00", "price": "58.90", "freight_value": "15.10"},
            {"order_id": o[4], "order_item_id": "2", "product_id": _h(501), "seller_id": _h(401), "shipping_limit_date": "2020-04-14 10:00:00", "price": "58.90", "freight_value": "15.10"},
        ],
        F_PAYMENTS: [
            {"order_id": o[0], "payment_sequential": "1", "payment_type": "credit_card", "payment_installments": "3", "payment_value": "150.00"},
            {"order_id": o[0], "payment_sequential": "2", "payment_type": "voucher", "payment_installments": "1", "payment_value": "42.29"},
            {"order_id": o[1], "payment_sequential": "1", "payment_type": "boleto", "payment_installments": "1", "payment_value": "28.71"},
            {"order_id": o[2], "payment_sequential": "1", "payment_type": "credit_card", "payment_installments": "10", "payment_value": "1245.50"},
            {"order_id": o[3], "payment_sequential": "1", "payment_type": "debit_card", "payment_installments": "1", "payment_value": "99.00"},
            {"order_id": o[4], "payment_sequential": "1", "payment_type": "credit_card", "payment_installments": "0", "payment_value": "148.00"},
        ],
        F_REVIEWS: [
            {"review_id": _h(601), "order_id": o[0], "review_score": "5", "review_comment_title": "", "review_comment_message": "Chegou antes do prazo, \"ótimo\",\nrecomendo", "review_creation_date": "2020-03-10 00:00:00", "review_answer_timestamp": "2020-03-11 10:00:00"},
            {"review_id": _h(602), "order_id": o[1], "review_score": "2", "review_comment_title": "atraso", "review_comment_message": "Demorou muito", "review_creation_date": "2020-04-03 00:00:00", "review_answer_timestamp": ""},
            {"review_id": _h(602), "order_id": o[4], "review_score": "4", "review_comment_title": "", "review_comment_message": "", "review_creation_date": "2020-04-20 00:00:00", "review_answer_timestamp": "2020-04-21 00:00:00"},
            {"review_id": _h(603), "order_id": o[0], "review_score": "3", "review_comment_title": "", "review_comment_message": "", "review_creation_date": "2020-03-12 00:00:00", "review_answer_timestamp": "2020-03-13 00:00:00"},
        ],
    }
    return copy.deepcopy(rows)


def write(rows: dict[str, list[dict[str, str]]], folder: Path,
          quoting: int = csv.QUOTE_MINIMAL) -> Path:
    """Write each file with its exact Olist header; files absent from `rows` are not written."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in rows.items():
        header = HEADERS[name]
        bom = "\ufeff" if name == F_TRANSLATION else ""
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            fh.write(bom)
            writer = csv.writer(fh, quoting=quoting)
            writer.writerow(header)
            for r in records:
                writer.writerow([r.get(h, "") for h in header])
    return folder


def returning() -> dict[str, list[dict[str, str]]]:
    """The tiny dataset plus customers who come back, for counting distinct customers:
    one who moves from SP to RJ and back (several states), and one in MG with orders a
    month apart, a day apart and twice on one day (ranges starting between them)."""
    rows = tiny()
    base = rows[F_CUSTOMERS][0]
    extra = [  # (customer_id, unique_id, state, order_id, purchase timestamp)
        (_h(211), _h(301), "RJ", _h(111), "2020-03-20 09:00:00"),
        (_h(212), _h(301), "SP", _h(112), "2020-04-25 09:00:00"),
        (_h(213), _h(303), "MG", _h(113), "2020-03-01 08:00:00"),
        (_h(214), _h(303), "MG", _h(114), "2020-04-04 08:00:00"),
        (_h(215), _h(303), "MG", _h(115), "2020-04-05 09:00:00"),
        (_h(216), _h(303), "MG", _h(116), "2020-04-05 17:00:00"),
    ]
    for customer, unique, state, order, when in extra:
        rows[F_CUSTOMERS].append({**base, "customer_id": customer, "customer_unique_id": unique,
                                  "customer_state": state})
        rows[F_ORDERS].append({
            "order_id": order, "customer_id": customer, "order_status": "delivered",
            "order_purchase_timestamp": when, "order_approved_at": when,
            "order_delivered_carrier_date": "", "order_delivered_customer_date": "",
            "order_estimated_delivery_date": "2020-06-01 00:00:00"})
        rows[F_ITEMS].append({
            "order_id": order, "order_item_id": "1", "product_id": _h(502 if order < _h(114)
                                                                      else 501),
            "seller_id": _h(401), "shipping_limit_date": "2020-06-01 00:00:00",
            "price": "10.00", "freight_value": "1.50"})
        rows[F_PAYMENTS].append({
            "order_id": order, "payment_sequential": "1",
            "payment_type": "boleto" if order < _h(114) else "credit_card",
            "payment_installments": "1", "payment_value": "11.50"})
    return rows


#: (order number, state, purchase timestamp, price) of `two_years`' extra orders.
TWO_YEARS = [
    (121, "SP", "2019-12-31 10:00:00", "50.00"),
    (122, "SP", "2020-01-20 10:00:00", "40.00"),
    (123, "SP", "2020-12-05 10:00:00", "30.00"),
    (124, "SP", "2020-12-22 10:00:00", "10.00"),
    (125, "RJ", "2020-12-28 10:00:00", "20.00"),
    (126, "SP", "2021-01-03 10:00:00", "25.00"),
    (127, "SP", "2021-01-04 10:00:00", "5.00"),
    (128, "SP", "2021-01-05 10:00:00", "15.00"),
    (129, "SP", "2021-01-20 10:00:00", "75.00"),
    (130, "SP", "2021-02-14 10:00:00", "60.00"),
    (131, "SP", "2021-03-10 10:00:00", "89.50"),
]


def two_years() -> dict[str, list[dict[str, str]]]:
    """The tiny dataset plus one-item orders from Dec 2019 to Mar 2021 (TWO_YEARS), for
    month-over-month and year-over-year changes whose reference periods lie before the
    range's start: each a new customer, delivered, one sports_leisure item, one boleto
    payment of price + freight."""
    rows = tiny()
    base = rows[F_CUSTOMERS][0]
    for n, state, when, price in TWO_YEARS:
        customer, order = _h(200 + n), _h(n)
        rows[F_CUSTOMERS].append({**base, "customer_id": customer,
                                  "customer_unique_id": _h(300 + n), "customer_state": state})
        rows[F_ORDERS].append({
            "order_id": order, "customer_id": customer, "order_status": "delivered",
            "order_purchase_timestamp": when, "order_approved_at": when,
            "order_delivered_carrier_date": "", "order_delivered_customer_date": "",
            "order_estimated_delivery_date": "2021-06-01 00:00:00"})
        rows[F_ITEMS].append({
            "order_id": order, "order_item_id": "1", "product_id": _h(502),
            "seller_id": _h(401), "shipping_limit_date": "2021-06-01 00:00:00",
            "price": price, "freight_value": "1.00"})
        rows[F_PAYMENTS].append({
            "order_id": order, "payment_sequential": "1", "payment_type": "boleto",
            "payment_installments": "1",
            "payment_value": f"{float(price) + 1:.2f}"})
    return rows


#: (order number, customer state, status, carrier date, [(product, price, freight,
#: shipping limit)], payment type, review scores) of `with_sellers`' orders of seller 403.
SELLER_403_ORDERS = [
    # late: handed over after the latest limit (05-09), another item's limit is earlier
    (141, "SP", "delivered", "2020-05-10 12:00:00",
     [(501, "30.00", "5.00", "2020-05-08 10:00:00"),
      (502, "20.00", "5.00", "2020-05-09 10:00:00")], "credit_card", [1]),
    # on time: after its health_beauty item's limit (05-11), before the latest (05-13)
    (142, "SP", "delivered", "2020-05-12 12:00:00",
     [(501, "40.00", "4.00", "2020-05-11 10:00:00"),
      (502, "10.00", "4.00", "2020-05-13 10:00:00")], "boleto", [5, 4]),
    # not handed to the carrier yet: outside late_shipping_rate's denominator
    (143, "RJ", "invoiced", "", [(501, "15.00", "2.00", "2020-05-20 10:00:00")],
     "credit_card", []),
    # no shipping limit at all: not late, but in the denominator
    (144, "MG", "delivered", "2020-05-25 09:00:00", [(502, "25.00", "3.00", "")],
     "voucher", [3]),
    # canceled: only canceled_rate sees it (its review does not count)
    (145, "SP", "canceled", "", [(501, "60.00", "6.00", "2020-05-30 10:00:00")],
     "credit_card", [1]),
]


def with_sellers() -> dict[str, list[dict[str, str]]]:
    """The tiny dataset plus a third seller (403, MG) with the orders of
    SELLER_403_ORDERS (May 2020), for the seller breakdown's hand-computed rows: late and
    on-time hand-overs judged against the latest limit of the seller's items, an order
    not yet shipped, one without a limit, a canceled one, two reviews of one order."""
    rows = tiny()
    rows[F_SELLERS].append({"seller_id": _h(403), "seller_zip_code_prefix": "30110",
                            "seller_city": "belo horizonte", "seller_state": "MG"})
    base = rows[F_CUSTOMERS][0]
    for n, state, status, carrier, items, pay, scores in SELLER_403_ORDERS:
        order, customer = _h(n), _h(100 + n)
        when = f"2020-05-{n - 140:02d} 10:00:00"
        rows[F_CUSTOMERS].append({**base, "customer_id": customer,
                                  "customer_unique_id": _h(200 + n), "customer_state": state})
        rows[F_ORDERS].append({
            "order_id": order, "customer_id": customer, "order_status": status,
            "order_purchase_timestamp": when, "order_approved_at": when,
            "order_delivered_carrier_date": carrier, "order_delivered_customer_date": "",
            "order_estimated_delivery_date": "2020-06-30 00:00:00"})
        for k, (product, price, freight, limit) in enumerate(items, start=1):
            rows[F_ITEMS].append({
                "order_id": order, "order_item_id": str(k), "product_id": _h(product),
                "seller_id": _h(403), "shipping_limit_date": limit, "price": price,
                "freight_value": freight})
        total = sum(float(p) + float(f) for _, p, f, _ in items)
        rows[F_PAYMENTS].append({
            "order_id": order, "payment_sequential": "1", "payment_type": pay,
            "payment_installments": "1", "payment_value": f"{total:.2f}"})
        for k, score in enumerate(scores):
            rows[F_REVIEWS].append({
                "review_id": _h(700 + 10 * (n - 140) + k), "order_id": order,
                "review_score": str(score), "review_comment_title": "",
                "review_comment_message": "", "review_creation_date": "2020-06-01 00:00:00",
                "review_answer_timestamp": ""})
    return rows
