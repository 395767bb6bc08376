"""The `{user_id:user_id}` path convertor every route naming a user uses (and `{...:row_id}`,
the same bound, on the routes naming an account or an API token).

Starlette's `int` convertor matches any run of digits and calls int() on it: past 4,300
digits Python refuses the conversion (ValueError, a 500 on every such request). Ids are
64-bit integers, so an id of more than 19 digits cannot name a user: such a path matches no
route and gets the router's 404 error document, and nothing converts it.
"""

from __future__ import annotations

from typing import Final

from starlette.convertors import Convertor, register_url_convertor

#: The most digits an id has: 2**63 - 1, the largest stored id, has 19.
ID_DIGITS_MAX: Final = 19
CONVERTOR_NAME: Final = "user_id"
#: Accounts and API tokens have 64-bit ids too (account_routes.py).
ROW_ID_CONVERTOR_NAME: Final = "row_id"


class UserIdConvertor(Convertor[int]):
    regex = f"[0-9]{{1,{ID_DIGITS_MAX}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= value < 10**ID_DIGITS_MAX:
            raise ValueError("a user id is a non-negative integer of at most 19 digits")
        return str(value)


register_url_convertor(CONVERTOR_NAME, UserIdConvertor())
register_url_convertor(ROW_ID_CONVERTOR_NAME, UserIdConvertor())
