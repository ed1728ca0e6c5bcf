"""A hand-made dataset for customers, retention and lateness (tests/test_customers.py).

The tiny dataset (tests/datasets.py) plus customers whose every figure is worked out by
hand in the tests, against `END` (2021-06-30):

- A: sales orders in January (two categories, two sellers; delivered on its estimated
  day) and March 2021: cohort 2021-01, active at k = 0 and k = 2, not k = 1.
- B: a canceled order in January, then a sales order in February (delivered 3 days
  early): their first order is the February one, cohort 2021-02.
- C: February in RJ (15 days late), April in MG: a customer in two states.
- D90, D91, D365, D366: one order each, 90, 91, 365 and 366 days before END.
- L: two orders, the last 180 days before END (loyal); R: the last 181 days (at_risk).
- E: two orders at the same second, SP (larger id) and RJ (smaller id): their first is
  the RJ one, in byte order of the ids.
- F: 27 February and 1 March 2021: active at k = 1, three days after their first order.
"""

from __future__ import annotations

from datetime import date

import datasets

H = "{:032x}".format
END = date(2021, 6, 30)
A, B, C, D90, D91, D365, D366, L, R, E, F = (H(700 + n) for n in range(1, 12))
HEALTH, SPORTS, UNKNOWN = H(501), H(502), H(503)
S1, S2 = H(401), H(402)

#: (order no, customer, state, purchased, status, items [(product, seller, price)],
#:  payment type, delivered day, estimated day, review score)
ORDERS = [
    (801, A, "SP", "2021-01-10 10:00:00", "delivered",
     [(HEALTH, S1, "30.00"), (SPORTS, S2, "70.00")], "credit_card",
     "2021-01-20 18:00:00", "2021-01-20 00:00:00", 5),
    (802, A, "SP", "2021-03-05 10:00:00", "delivered", [(SPORTS, S1, "20.00")], "boleto",
     None, None, None),
    (803, B, "SP", "2021-01-05 10:00:00", "canceled", [(HEALTH, S1, "500.00")], "boleto",
     None, None, None),
    (804, B, "SP", "2021-02-10 10:00:00", "delivered", [(HEALTH, S2, "40.00")], "voucher",
     "2021-02-17 09:00:00", "2021-02-20 00:00:00", 2),
    (805, C, "RJ", "2021-02-01 10:00:00", "delivered", [(UNKNOWN, S1, "15.50")], "boleto",
     "2021-03-01 08:00:00", "2021-02-14 00:00:00", 1),
    (806, C, "MG", "2021-04-01 10:00:00", "delivered", [(SPORTS, S2, "60.00")],
     "credit_card", None, None, None),
    (807, D90, "SP", "2021-04-01 23:59:59", "delivered", [(SPORTS, S1, "10.00")],
     "credit_card", None, None, None),
    (808, D91, "SP", "2021-03-31 00:00:00", "delivered", [(SPORTS, S1, "11.00")],
     "credit_card", None, None, None),
    (809, D365, "SP", "2020-06-30 12:00:00", "delivered", [(SPORTS, S1, "12.00")],
     "credit_card", None, None, None),
    (810, D366, "SP", "2020-06-29 12:00:00", "delivered", [(SPORTS, S1, "13.00")],
     "credit_card", None, None, None),
    (811, L, "RS", "2020-11-01 12:00:00", "delivered", [(HEALTH, S1, "25.00")],
     "credit_card", None, None, None),
    (812, L, "RS", "2021-01-01 12:00:00", "delivered", [(HEALTH, S1, "35.00")],
     "credit_card", None, None, None),
    (813, R, "BA", "2020-10-01 12:00:00", "delivered", [(HEALTH, S2, "45.00")],
     "credit_card", None, None, None),
    (814, R, "BA", "2020-12-31 12:00:00", "delivered", [(HEALTH, S2, "55.00")],
     "credit_card", None, None, None),
    (816, E, "SP", "2021-05-05 12:00:00", "delivered", [(SPORTS, S1, "8.00")],
     "credit_card", None, None, None),
    (815, E, "RJ", "2021-05-05 12:00:00", "delivered", [(SPORTS, S1, "9.00")],
     "credit_card", None, None, None),
    (817, F, "PR", "2021-02-27 12:00:00", "delivered", [(SPORTS, S1, "3.00")],
     "credit_card", None, None, None),
    (818, F, "PR", "2021-03-01 00:00:00", "delivered", [(SPORTS, S1, "4.00")],
     "credit_card", None, None, None),
]


def order_id(n: int) -> str:
    return H(n)


def rows() -> dict[str, list[dict[str, str]]]:
    out = datasets.tiny()
    base = out[datasets.F_CUSTOMERS][0]
    for n, person, state, when, status, items, pay, delivered, estimated, score in ORDERS:
        customer = H(n + 1000)
        out[datasets.F_CUSTOMERS].append({**base, "customer_id": customer,
                                          "customer_unique_id": person,
                                          "customer_state": state})
        out[datasets.F_ORDERS].append({
            "order_id": H(n), "customer_id": customer, "order_status": status,
            "order_purchase_timestamp": when, "order_approved_at": when,
            "order_delivered_carrier_date": "",
            "order_delivered_customer_date": delivered or "",
            "order_estimated_delivery_date": estimated or "2021-12-31 00:00:00"})
        total = 0.0
        for k, (product, seller, price) in enumerate(items, start=1):
            total += float(price) + 1
            out[datasets.F_ITEMS].append({
                "order_id": H(n), "order_item_id": str(k), "product_id": product,
                "seller_id": seller, "shipping_limit_date": when, "price": price,
                "freight_value": "1.00"})
        out[datasets.F_PAYMENTS].append({
            "order_id": H(n), "payment_sequential": "1", "payment_type": pay,
            "payment_installments": "1", "payment_value": f"{total:.2f}"})
        if score is not None:
            out[datasets.F_REVIEWS].append({
                "review_id": H(n + 2000), "order_id": H(n), "review_score": str(score),
                "review_comment_title": "", "review_comment_message": "",
                "review_creation_date": delivered or when, "review_answer_timestamp": ""})
    return out
