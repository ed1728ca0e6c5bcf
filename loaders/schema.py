"""The warehouse schema: the 9 Olist tables, faithful to their CSV files.

These models are the single description of the data format: the loader derives
each file's expected header, column types and required values from them (see
`loaders.formats`), and Alembic's migrations were generated from them. Column
names follow the CSV headers, except the source's misspelt `..._lenght`
columns, stored correctly spelt and still accepted under the old header
(`info["csv"]`).

Money is `NUMERIC(14, 2)`: exact decimals, never binary floats (METRICS.md).
Zip prefixes are 5-character text, because "01151" is not the number 1151.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(14, 2)
Zip = String(5)


class Base(DeclarativeBase):
    """Declarative base of the warehouse; `Base.metadata` is what Alembic compares."""


def zip_column(nullable: bool = True) -> Mapped[str | None]:
    return mapped_column(Zip, nullable=nullable, info={"kind": "zip"})


class CategoryTranslation(Base):
    __tablename__ = "product_category_name_translation"
    __table_args__ = {"info": {"file": "product_category_name_translation.csv"}}

    product_category_name: Mapped[str] = mapped_column(Text, primary_key=True)
    product_category_name_english: Mapped[str] = mapped_column(Text, nullable=False)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_unique_id", "customer_unique_id"),
        {"info": {"file": "olist_customers_dataset.csv"}},
    )

    customer_id: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_unique_id: Mapped[str] = mapped_column(Text, nullable=False)
    customer_zip_code_prefix: Mapped[str | None] = zip_column()
    customer_city: Mapped[str | None] = mapped_column(Text)
    customer_state: Mapped[str] = mapped_column(Text, nullable=False)


class Geolocation(Base):
    """Zip prefix coordinates; optional, repeats prefixes, so it has a surrogate key."""

    __tablename__ = "geolocation"
    __table_args__ = (
        Index("ix_geolocation_zip", "geolocation_zip_code_prefix"),
        {"info": {"file": "olist_geolocation_dataset.csv", "optional": True}},
    )

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=True, info={"csv": None}
    )
    geolocation_zip_code_prefix: Mapped[str] = mapped_column(
        Zip, nullable=False, info={"kind": "zip"}
    )
    geolocation_lat: Mapped[float] = mapped_column(Float, nullable=False)
    geolocation_lng: Mapped[float] = mapped_column(Float, nullable=False)
    geolocation_city: Mapped[str | None] = mapped_column(Text)
    geolocation_state: Mapped[str | None] = mapped_column(Text)


class Seller(Base):
    __tablename__ = "sellers"
    __table_args__ = {"info": {"file": "olist_sellers_dataset.csv"}}

    seller_id: Mapped[str] = mapped_column(Text, primary_key=True)
    seller_zip_code_prefix: Mapped[str | None] = zip_column()
    seller_city: Mapped[str | None] = mapped_column(Text)
    seller_state: Mapped[str | None] = mapped_column(Text)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = {"info": {"file": "olist_products_dataset.csv"}}

    product_id: Mapped[str] = mapped_column(Text, primary_key=True)
    product_category_name: Mapped[str | None] = mapped_column(Text)
    product_name_length: Mapped[int | None] = mapped_column(
        Integer, info={"csv": "product_name_lenght"}
    )
    product_description_length: Mapped[int | None] = mapped_column(
        Integer, info={"csv": "product_description_lenght"}
    )
    product_photos_qty: Mapped[int | None] = mapped_column(Integer)
    product_weight_g: Mapped[int | None] = mapped_column(Integer)
    product_length_cm: Mapped[int | None] = mapped_column(Integer)
    product_height_cm: Mapped[int | None] = mapped_column(Integer)
    product_width_cm: Mapped[int | None] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_purchase", "order_purchase_timestamp"),
        {"info": {"file": "olist_orders_dataset.csv"}},
    )

    order_id: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        Text, ForeignKey("customers.customer_id"), nullable=False
    )
    order_status: Mapped[str] = mapped_column(Text, nullable=False)
    order_purchase_timestamp: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    order_approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    order_delivered_carrier_date: Mapped[datetime | None] = mapped_column(DateTime)
    order_delivered_customer_date: Mapped[datetime | None] = mapped_column(DateTime)
    order_estimated_delivery_date: Mapped[datetime | None] = mapped_column(DateTime)


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_order_items_price"),
        CheckConstraint("freight_value >= 0", name="ck_order_items_freight"),
        Index("ix_order_items_product", "product_id"),
        Index("ix_order_items_seller", "seller_id"),
        {"info": {"file": "olist_order_items_dataset.csv"}},
    )

    order_id: Mapped[str] = mapped_column(Text, ForeignKey("orders.order_id"), primary_key=True)
    order_item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(
        Text, ForeignKey("products.product_id"), nullable=False
    )
    seller_id: Mapped[str] = mapped_column(Text, ForeignKey("sellers.seller_id"), nullable=False)
    shipping_limit_date: Mapped[datetime | None] = mapped_column(DateTime)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    freight_value: Mapped[Decimal] = mapped_column(Money, nullable=False)


class OrderPayment(Base):
    __tablename__ = "order_payments"
    __table_args__ = (
        CheckConstraint("payment_value >= 0", name="ck_order_payments_value"),
        CheckConstraint("payment_installments >= 0", name="ck_order_payments_installments"),
        {"info": {"file": "olist_order_payments_dataset.csv"}},
    )

    order_id: Mapped[str] = mapped_column(Text, ForeignKey("orders.order_id"), primary_key=True)
    payment_sequential: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_type: Mapped[str] = mapped_column(Text, nullable=False)
    payment_installments: Mapped[int] = mapped_column(Integer, nullable=False, info={"min": 0})
    payment_value: Mapped[Decimal] = mapped_column(Money, nullable=False)


class OrderReview(Base):
    __tablename__ = "order_reviews"
    __table_args__ = (
        CheckConstraint("review_score BETWEEN 1 AND 5", name="ck_order_reviews_score"),
        Index("ix_order_reviews_order", "order_id"),
        {"info": {"file": "olist_order_reviews_dataset.csv"}},
    )

    review_id: Mapped[str] = mapped_column(Text, primary_key=True)
    order_id: Mapped[str] = mapped_column(Text, ForeignKey("orders.order_id"), primary_key=True)
    review_score: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, info={"min": 1, "max": 5}
    )
    review_comment_title: Mapped[str | None] = mapped_column(Text)
    review_comment_message: Mapped[str | None] = mapped_column(Text)
    review_creation_date: Mapped[datetime | None] = mapped_column(DateTime)
    review_answer_timestamp: Mapped[datetime | None] = mapped_column(DateTime)


# --- Pulse's own bookkeeping -------------------------------------------------


class DatasetMeta(Base):
    """One row: which data is loaded. `data_version` changes at every load; caches key on it."""

    __tablename__ = "pulse_meta"
    __table_args__ = (CheckConstraint("id = 1", name="ck_pulse_meta_single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    data_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source: Mapped[str | None] = mapped_column(Text)


class LoadLog(Base):
    """One row per successful load: an audit trail of what changed the data and when."""

    __tablename__ = "pulse_load_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    data_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    mode: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    rows: Mapped[dict] = mapped_column(JSONB, nullable=False)


#: Olist tables in dependency order: parents before children.
DATA_TABLES = [
    CategoryTranslation.__table__,
    Customer.__table__,
    Geolocation.__table__,
    Seller.__table__,
    Product.__table__,
    Order.__table__,
    OrderItem.__table__,
    OrderPayment.__table__,
    OrderReview.__table__,
]
