"""National Provider Identifier (NPI) check-digit validation."""

# CMS NPI check digit: Luhn over the ISO 7812 card-issuer prefix 80840 followed by the NPI.
_NPI_PREFIX = "80840"


def is_valid_npi(value: str) -> bool:
    """Return True if value is exactly 10 ASCII digits with a correct NPI Luhn check digit."""
    if len(value) != 10 or not _is_ascii_digits(value):
        return False
    return _luhn_check_digit(_NPI_PREFIX + value[:9]) == int(value[9])


def with_check_digit(first9: str) -> str:
    """Return the 10-digit NPI made of first9 (9 ASCII digits) and its check digit."""
    if len(first9) != 9 or not _is_ascii_digits(first9):
        raise ValueError("an NPI base must be exactly 9 ASCII digits")
    return f"{first9}{_luhn_check_digit(_NPI_PREFIX + first9)}"


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _luhn_check_digit(payload: str) -> int:
    # Double every second digit counting from the rightmost payload digit (the check digit
    # position is to its right), then pick the digit that brings the sum to a multiple of 10.
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10
