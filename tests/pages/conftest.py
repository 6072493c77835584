import pytest

from tests.bookings.factories import Bookable


@pytest.fixture
def bookable(app, owner) -> Bookable:
    return Bookable(app, owner)
