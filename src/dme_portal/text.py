"""Free text accepted from callers: any Unicode except NUL, which PostgreSQL cannot store."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(pattern=NO_NUL)]
