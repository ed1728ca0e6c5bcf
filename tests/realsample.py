"""A loadable dataset around the real Olist files in ../shared/olist-sample.

Four real files are there (products, sellers, category translation, payments);
this writes the other five so that every payment's order exists, each order
has a customer, items point at real products and sellers, and reviews carry
the real quirks. The real files are read from shared/, never copied into the repo.
"""

from __future__ import annotations

import csv
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from datasets import F_CUSTOMERS, F_ITEMS, F_ORDERS, F_REVIEWS, HEADERS

REAL = [
    "olist_products_dataset.csv",
    "olist_sellers_dataset.csv",
    "product_category_name_translation.csv",
    "olist_order_payments_dataset.csv",
]


def _ids(path: Path, column: str) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [row[column] for row in csv.DictReader(fh)]


def build(sample: Path, out: Path, seed: int = 7) -> dict[str, int]:
    """Write the dataset into `out` (real files linked or copied from `sample`)."""
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    for name in REAL:
        shutil.copyfile(sample / name, out / name)
    order_ids = list(dict.fromkeys(_ids(sample / REAL[3], "order_id")))
    products = _ids(sample / REAL[0], "product_id")
    sellers = _ids(sample / REAL[1], "seller_id")
    start = datetime(2017, 1, 1)
    states = ["SP"] * 42 + ["RJ"] * 13 + ["MG"] * 12 + ["RS", "PR", "BA", "SC", "DF", "AC"]
    people = [f"{rnd.getrandbits(128):032x}" for _ in range(len(order_ids))]
    counts = {F_ORDERS: 0, F_CUSTOMERS: 0, F_ITEMS: 0, F_REVIEWS: 0}
    with open(out / F_ORDERS, "w", newline="") as fo, \
            open(out / F_CUSTOMERS, "w", newline="") as fc, \
            open(out / F_ITEMS, "w", newline="") as fi, \
            open(out / F_REVIEWS, "w", newline="") as fr:
        wo, wc, wi, wr = (csv.writer(f) for f in (fo, fc, fi, fr))
        wo.writerow(HEADERS[F_ORDERS])
        wc.writerow(HEADERS[F_CUSTOMERS])
        wi.writerow(HEADERS[F_ITEMS])
        wr.writerow(HEADERS[F_REVIEWS])
        for n, oid in enumerate(order_ids):
            cid = f"{rnd.getrandbits(128):032x}"
            person = people[n] if rnd.random() > 0.03 else people[rnd.randrange(max(n, 1))]
            wc.writerow([cid, person, f"{rnd.randrange(1000, 99999):05d}", "cidade",
                         rnd.choice(states)])
            t = start + timedelta(seconds=rnd.randrange(0, 600 * 86400))
            status = "delivered" if rnd.random() > 0.02 else rnd.choice(["canceled", "unavailable"])
            fmt = "%Y-%m-%d %H:%M:%S"
            delivered = (t + timedelta(days=rnd.randrange(3, 30))).strftime(fmt) \
                if status == "delivered" else ""
            wo.writerow([oid, cid, status, t.strftime(fmt), t.strftime(fmt), "", delivered,
                         (t + timedelta(days=21)).strftime(fmt)])
            if status == "delivered" or rnd.random() > 0.5:
                for k in range(1, 1 + (1 if rnd.random() < 0.9 else rnd.randrange(2, 4))):
                    wi.writerow([oid, k, rnd.choice(products), rnd.choice(sellers),
                                 t.strftime(fmt), f"{rnd.randrange(500, 50000) / 100:.2f}",
                                 f"{rnd.randrange(0, 5000) / 100:.2f}"])
                    counts[F_ITEMS] += 1
            review = f"{rnd.getrandbits(128):032x}"
            wr.writerow([review, oid, rnd.choice([5, 5, 5, 4, 3, 2, 1]), "",
                         'bom, "mas"\nchegou tarde' if n % 50 == 0 else "", t.strftime(fmt), ""])
            counts[F_REVIEWS] += 1
            counts[F_ORDERS] += 1
            counts[F_CUSTOMERS] += 1
    return counts
