"""Vendor and vendor-network contract tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum


class ContractStatus(StrEnum):
    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"


class Vendor(UUIDPk, Base):
    __tablename__ = "vendor"

    npi: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VendorContract(UUIDPk, Base):
    """A vendor's contract with a network over a period; no row means out of network."""

    __tablename__ = "vendor_contract"
    __table_args__ = (Index("ix_vendor_contract_vendor_network", "vendor_id", "network_id"),)

    vendor_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("vendor.id"))
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"), index=True)
    status: Mapped[ContractStatus] = mapped_column(str_enum(ContractStatus))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
