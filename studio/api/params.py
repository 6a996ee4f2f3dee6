"""Parameter types every router shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from studio.numbers import ID_MAX

# A row id in a path: a whole number the databases can hold. Larger ones (which would overflow
# inside the query) and non-ASCII digits ("١٢") are a 422 naming `path.id`, never a 500.
RowId = Annotated[int, Field(ge=1, le=ID_MAX)]
