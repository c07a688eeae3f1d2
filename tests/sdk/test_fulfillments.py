"""Push helpers (sdk/fulfillments.py): a shipment checked before sending, found again among
the channel's fulfillments by its tracking number, units already shipped by another route
refused, and push_checked / CheckedPush putting them together (a 409 looks again)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    CheckedPush,
    FulfillmentShape,
    PushOutcome,
    PushResult,
    RejectedError,
    ShipmentDraft,
    ShipmentLine,
    check_shipment,
    explain_rejection,
    find_by_tracking,
    id_from_location,
    normalise_tracking_number,
    ordered_lines,
    over_shipped,
    over_shipped_refusal,
    plain_tracking,
    push_checked,
    shipped_lines,
    units_shipped,
)

SHAPE = FulfillmentShape(
    lines="items", line_id="id", tracking=("trackingNumber", "fulfillmentId"), reference="fid"
)


def shipment(
    *lines: tuple[str, int], tracking: str = "1Z 999-AA1", carrier: str = "UPS"
) -> ShipmentDraft:
    return ShipmentDraft(
        order_external_id="o-1",
        reference="ship-1",
        carrier_code=carrier,
        tracking_number=tracking,
        shipped_at=datetime(2026, 1, 15, tzinfo=UTC),
        lines=tuple(ShipmentLine(line, quantity) for line, quantity in lines),
    )


def fulfillment(number: str, *lines: tuple[str, int]) -> dict[str, Any]:
    return {
        "fid": f"F-{number}",
        "trackingNumber": number,
        "items": [{"id": line, "quantity": quantity} for line, quantity in lines],
    }


# -- the pieces ---------------------------------------------------------------------------


@given(st.text(alphabet="ABC123xyz", min_size=1), st.lists(st.sampled_from([" ", "-", "\t"])))
def test_separators_are_removed_wherever_they_are(number: str, separators: list[str]) -> None:
    messy = "".join(sep + char for sep, char in zip(separators, number, strict=False))
    messy += number[len(separators) :]
    assert normalise_tracking_number(messy) == number == plain_tracking(messy)


@pytest.mark.parametrize("value", ["", " - ", "AB/12", "1Z.99", "TRACK#1", None])
def test_tracking_numbers_other_than_letters_and_digits_are_refused(value: str | None) -> None:
    with pytest.raises(ValueError, match="tracking number"):
        normalise_tracking_number(value)


@pytest.mark.parametrize(
    ("draft", "code", "words"),
    [
        (shipment(("L1", 1), tracking="AB/1"), "tracking_number", "letters and digits"),
        (shipment(("L1", 1), carrier=" "), "carrier", "no carrier code"),
        (shipment(), "lines", "no line items"),
        (shipment(("L1", 0)), "lines", "quantity 0"),
    ],
)
def test_a_shipment_that_cannot_be_sent_is_refused_naming_account_and_order(
    draft: ShipmentDraft, code: str, words: str
) -> None:
    with pytest.raises(RejectedError) as caught:
        check_shipment(draft, "Shop", label="Shop account a", carriers="UPS, DHL")
    error = caught.value
    assert error.code == code and words in error.message + (error.fix or "")
    assert error.message.startswith("Shop account a, order o-1: ") and "not sent" in error.message


def test_a_good_shipment_gives_its_normalised_tracking_number() -> None:
    draft = shipment(("L1", 2))
    assert check_shipment(draft, "Shop", label="a", carriers="UPS") == "1Z999AA1"
    assert shipped_lines(draft, "eBay", "lineItemId") == [{"lineItemId": "L1", "quantity": 2}]


def test_a_fulfillment_is_found_by_tracking_number_without_case_spaces_or_dashes() -> None:
    records = [fulfillment("1Z111"), {"trackingNumber": None, "fulfillmentId": "1z-999 aa1"}]
    assert find_by_tracking(records, "1Z999AA1", *SHAPE.tracking) is records[1]
    assert find_by_tracking(records, "1Z000", *SHAPE.tracking) is None


def test_units_shipped_add_up_per_line_and_skip_what_is_not_a_count() -> None:
    records = [
        fulfillment("T1", ("L1", 1), ("L2", 1)),
        fulfillment("T2", ("L1", 1)),
        {"fid": "F3", "items": [{"id": "L1", "quantity": True}, {"id": 7, "quantity": 1}, "x"]},
        {"fid": "F4", "items": [{"id": "L2", "quantity": 0}]},
    ]
    shipped = units_shipped(records, lines="items", line_id="id", tracking=SHAPE.tracking)
    assert shipped == {"L1": (2, ["T1", "T2"]), "L2": (1, ["T1"])}


def test_only_lines_asking_for_more_than_is_left_are_named() -> None:
    ordered = ordered_lines(
        [{"lineItemId": "L1", "quantity": 2, "sku": "TEE"}, {"lineItemId": "L2", "quantity": 1}]
    )
    assert ordered == {"L1": (2, "TEE"), "L2": (1, None)}
    shipped = {"L1": (1, ["T1"]), "L2": (1, [])}
    asked = (ShipmentLine("L1", 2), ShipmentLine("L2", 1), ShipmentLine("L9", 5))
    problems = over_shipped(asked, ordered, shipped, channel="Shop")
    assert problems == [
        "line item L1 (SKU TEE): this shipment sends 2 unit(s), but Shop already shows 1 of "
        "its 2 unit(s) shipped (tracking T1), so only 1 can still ship",
        "line item L2: this shipment sends 1 unit(s), but Shop already shows 1 of its 1 "
        "unit(s) shipped (tracking no tracking number), so only 0 can still ship",
    ]
    error = over_shipped_refusal(
        "Shop account a, order o-1", problems, channel="Shop", console="Hub"
    )
    assert error.code == "already_shipped" and "Check the order in Hub" in (error.fix or "")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://api.example/v1/order/o-1/shipping_fulfillment/1Z%2099", "1Z 99"),
        ("/v1/order/o-1/shipping_fulfillment/F1/", "F1"),
        ("https://api.example/v1/order/o-1/other/F1", None),
        ("", None),
        (None, None),
    ],
)
def test_the_created_id_is_read_from_the_location(
    location: str | None, expected: str | None
) -> None:
    assert id_from_location(location, "shipping_fulfillment") == expected


def test_a_refusal_is_explained_from_the_catalog_keeping_status_and_code() -> None:
    refusal = RejectedError("bad carrier", status=400, code="E1")
    catalog = {"E1": ("the carrier is unknown", "Pick a listed carrier.")}
    told = explain_rejection(
        refusal,
        "Shop account a, order o-1",
        catalog,
        default=("refused", "Read the log."),
        sent="carrier 'X'; ",
        channel="Shop",
    )
    assert told.message == (
        "Shop account a, order o-1: the carrier is unknown "
        "(carrier 'X'; Shop answered: bad carrier)"
    )
    assert (told.fix, told.status, told.code) == ("Pick a listed carrier.", 400, "E1")
    other = explain_rejection(RejectedError("no"), "w", catalog, default=("refused", "Read."))
    assert other.message == "w: refused (the channel answered: no)" and other.fix == "Read."


# -- the whole push -----------------------------------------------------------------------


class FakeShop:
    """A channel's state as push_checked sees it: fulfillments, the order's lines, and
    what the create does."""

    def __init__(self, *existing: dict[str, Any], conflict: bool = False) -> None:
        self.fulfillments = list(existing)
        self.calls: list[str] = []
        self.conflict = conflict

    def existing(self) -> list[dict[str, Any]]:
        self.calls.append("list")
        return list(self.fulfillments)

    def ordered(self) -> dict[str, tuple[int, str | None]]:
        self.calls.append("order")
        return {"L1": (2, "TEE"), "L2": (1, None)}

    def create(self, draft: ShipmentDraft, tracking: str) -> PushResult:
        self.calls.append("create")
        lines = [(line.line_external_id, line.quantity) for line in draft.lines]
        self.fulfillments.append(fulfillment(tracking, *lines))
        if self.conflict:
            raise RejectedError("conflict", status=409)
        return PushResult(PushOutcome.APPLIED, channel_reference=f"F-{tracking}")

    def push(self, draft: ShipmentDraft, **options: Any) -> PushResult:
        return push_checked(
            draft,
            label="Shop account a",
            channel="Shop",
            console="Hub",
            carriers="UPS",
            shape=SHAPE,
            existing=self.existing,
            ordered=self.ordered,
            create=lambda tracking: self.create(draft, tracking),
            **options,
        )


def test_a_push_lists_then_creates_and_a_second_push_is_already_applied() -> None:
    shop = FakeShop()
    first = shop.push(shipment(("L1", 2)))
    assert first.outcome is PushOutcome.APPLIED and first.channel_reference == "F-1Z999AA1"
    again = shop.push(shipment(("L1", 2), tracking="1z999-aa1"))
    assert again.outcome is PushOutcome.ALREADY_APPLIED and again.channel_reference == "F-1Z999AA1"
    assert shop.calls == ["list", "create", "list"] and len(shop.fulfillments) == 1


def test_units_shipped_elsewhere_are_refused_before_creating() -> None:
    shop = FakeShop(fulfillment("HUB1", ("L1", 2)))
    with pytest.raises(RejectedError) as caught:
        shop.push(shipment(("L1", 1)))
    assert caught.value.code == "already_shipped" and "(tracking HUB1)" in caught.value.message
    assert shop.calls == ["list", "order"]


def test_what_is_still_unshipped_goes_out_and_untouched_lines_cost_no_order_read() -> None:
    shop = FakeShop(fulfillment("HUB1", ("L1", 1)))
    assert shop.push(shipment(("L1", 1))).outcome is PushOutcome.APPLIED
    assert shop.calls == ["list", "order", "create"]
    shop = FakeShop(fulfillment("HUB1", ("L1", 2)))
    assert shop.push(shipment(("L2", 1))).outcome is PushOutcome.APPLIED
    assert shop.calls == ["list", "create"]


def test_a_409_finds_the_fulfillment_that_went_through() -> None:
    shop = FakeShop(conflict=True)
    result = shop.push(shipment(("L1", 1)))
    assert result.outcome is PushOutcome.ALREADY_APPLIED
    assert result.detail["after"] == "409 Conflict"


def test_a_409_with_nothing_found_and_other_refusals_are_explained_and_raised() -> None:
    class Refusing(FakeShop):
        def create(self, draft: ShipmentDraft, tracking: str) -> PushResult:
            raise RejectedError("no", status=409)

    shop = Refusing()
    with pytest.raises(RejectedError, match="explained: no"):
        shop.push(
            shipment(("L1", 1)), rejected=lambda exc: RejectedError(f"explained: {exc.message}")
        )
    assert shop.calls == ["list", "list"]


def test_checked_push_is_push_checked_with_the_connector_s_calls() -> None:
    shop = FakeShop(fulfillment("HUB1", ("L1", 2)))

    class ShopConnector(CheckedPush):
        channel_title = "Shop"
        console = "Hub"
        carrier_examples = "UPS"
        fulfillment_shape = SHAPE
        account_id = "a"

        def list_fulfillments(self, order_id: str) -> list[dict[str, Any]]:
            assert order_id == "o-1"
            return shop.existing()

        def order_lines(self, order_id: str) -> dict[str, tuple[int, str | None]]:
            return shop.ordered()

        def create_fulfillment(self, draft: ShipmentDraft, tracking: str) -> PushResult:
            return shop.create(draft, tracking)

    with pytest.raises(RejectedError) as caught:
        ShopConnector().push_tracking(shipment(("L1", 1)))
    assert caught.value.message.startswith("Shop account a, order o-1: line item L1 (SKU TEE)")
    assert ShopConnector().push_tracking(shipment(("L2", 1))).outcome is PushOutcome.APPLIED
