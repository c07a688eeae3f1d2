"""Mappings on the real store: scopes, multipacks, bundles, nested bundles, the refusals
(cycles, unknown components, quantities), history, re-resolution and CSV imports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from orderhub.matching import (
    InputRejected,
    MappingRequest,
    MatchingError,
    delete_mapping,
    import_mappings_csv,
    list_mappings,
    mapping_history,
    set_mappings,
)
from orderhub.matching.index import MAPPINGS
from orderhub.matching.mappings import HISTORY

from .conftest import T0, awaiting, catalog, line, mapping, order, resolutions, sync_page


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            int(connection.execute(select(func.count()).select_from(MAPPINGS)).scalar_one()),
            int(connection.execute(select(func.count()).select_from(HISTORY)).scalar_one()),
        )


def write_csv(tmp_path: Path, text: str, name: str = "map.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mapping_releases_the_waiting_orders_at_once(store_engine: Engine) -> None:
    catalog(store_engine, "BLUE-TEE", "MUG", "COASTER")
    sync_page(
        store_engine,
        [
            order("1", line("a", "PACK3-BLUE", 2), line("b", "MUG")),
            order("2", line("a", "pack3 blue")),
            order("3", line("a", "GIFTSET")),
        ],
    )
    assert [awaiting(store_engine, ref) for ref in "123"] == [True, True, True]
    result = mapping(store_engine, "PACK3-BLUE", ("BLUE-TEE", 3))
    assert [change.action for change in result.changes] == ["created"]
    assert (result.resolved.orders, result.resolved.released) == (2, 2)
    assert resolutions(store_engine, "1")["a"].components == (("BLUE-TEE", 6, None),)
    assert resolutions(store_engine, "2")["a"].components == (("BLUE-TEE", 3, None),)
    assert [awaiting(store_engine, ref) for ref in "123"] == [False, False, True]

    mapping(store_engine, "GIFTSET", ("MUG", 1), ("COASTER", 2))
    assert resolutions(store_engine, "3")["a"].components == (
        ("MUG", 1, None),
        ("COASTER", 2, None),
    )
    assert not awaiting(store_engine, "3")


def test_nested_bundles_expand_to_catalog_skus(store_engine: Engine) -> None:
    catalog(store_engine, "MUG", "COASTER", "CAP")
    mapping(store_engine, "GIFTSET", ("MUG", 1), ("COASTER", 2))
    mapping(store_engine, "XMAS-BOX", ("GIFTSET", 2), ("CAP", 1))
    sync_page(store_engine, [order("1", line("a", "XMAS-BOX", 3))])
    assert resolutions(store_engine, "1")["a"].components == (
        ("MUG", 6, "GIFTSET"),
        ("COASTER", 12, "GIFTSET"),
        ("CAP", 3, None),
    )
    # Changing the inner bundle re-resolves lines of the outer one.
    mapping(store_engine, "GIFTSET", ("MUG", 2))
    assert resolutions(store_engine, "1")["a"].components == (
        ("MUG", 12, "GIFTSET"),
        ("CAP", 3, None),
    )


def test_scope_precedence_on_the_store(store_engine: Engine) -> None:
    catalog(store_engine, "A", "B", "C")
    mapping(store_engine, "TEE", ("A", 1))
    mapping(store_engine, "TEE", ("B", 1), channel="amazon")
    mapping(store_engine, "TEE", ("C", 1), account="amz-eu")
    sync_page(store_engine, [order("1", line("a", "TEE"))], account="amz-eu", channel="amazon")
    sync_page(store_engine, [order("1", line("a", "TEE"))], account="amz-us", channel="amazon")
    sync_page(store_engine, [order("1", line("a", "TEE"))], account="shop", channel="woocommerce")
    eu = resolutions(store_engine, "1", "amz-eu")["a"]
    assert (eu.components, eu.scope) == ((("C", 1, None),), "account:amz-eu")
    assert resolutions(store_engine, "1", "amz-us")["a"].scope == "channel:amazon"
    assert resolutions(store_engine, "1", "shop")["a"].scope == "global"


def test_history_records_what_changed_and_who(store_engine: Engine) -> None:
    catalog(store_engine, "A", "B")
    mapping(store_engine, "X", ("A", 1), actor="cli")
    mapping(store_engine, "x", ("A", 1), actor="cli")  # same mapping, same components
    mapping(store_engine, "X", ("B", 2), actor="import:fix.csv", now=T0 + timedelta(hours=1))
    with store_engine.begin() as connection:
        delete_mapping(connection, "X", actor="cli", now=T0 + timedelta(hours=2))
    with store_engine.connect() as connection:
        entries = mapping_history(connection, external_sku="x")
    assert [(e.action, e.old, e.new, e.actor) for e in entries] == [
        ("deleted", (("B", 2),), None, "cli"),
        ("changed", (("A", 1),), (("B", 2),), "import:fix.csv"),
        ("created", None, (("A", 1),), "cli"),
    ]
    assert entries[1].at == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        ((("BLUE-TE", 1),), "'BLUE-TE' is not in the catalog (nor a mapped SKU). Did you mean"),
        ((("BLUE-TEE", 0),), "quantity 0 for BLUE-TEE"),
        ((("BLUE-TEE", -2),), "quantity -2"),
        ((), "no component"),
        ((("BLUE-TEE", 1), ("blue_tee", 2)), "listed twice"),
    ],
)
def test_bad_mappings_are_refused_and_nothing_changes(
    store_engine: Engine, components: tuple[tuple[str, int], ...], expected: str
) -> None:
    catalog(store_engine, "BLUE-TEE")
    with pytest.raises(MatchingError) as caught:
        mapping(store_engine, "PACK", *components)
    assert expected in caught.value.message
    assert caught.value.fix
    assert counts(store_engine) == (0, 0)


def test_account_and_channel_together_are_refused(store_engine: Engine) -> None:
    catalog(store_engine, "A")
    with pytest.raises(MatchingError, match="both an account and a channel"):
        mapping(store_engine, "X", ("A", 1), account="shop", channel="amazon")


def test_cycles_are_refused(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    with pytest.raises(MatchingError, match=r"bundle cycle: SELF -> SELF"):
        mapping(store_engine, "SELF", ("SELF", 1))
    mapping(store_engine, "A", ("MUG", 1))
    mapping(store_engine, "B", ("A", 2))
    mapping(store_engine, "C", ("B", 1))
    with pytest.raises(MatchingError, match=r"bundle cycle: A -> C -> B -> A"):
        mapping(store_engine, "A", ("C", 1))
    # The refused change left A as it was.
    sync_page(store_engine, [order("1", line("a", "C"))])
    assert resolutions(store_engine, "1")["a"].components == (("MUG", 2, "B > A"),)


def test_a_mapped_catalog_sku_is_not_a_cycle(store_engine: Engine) -> None:
    # Components name catalog SKUs first: mapping a catalog SKU to itself is an identity.
    catalog(store_engine, "MUG")
    mapping(store_engine, "MUG", ("MUG", 2))
    sync_page(store_engine, [order("1", line("a", "MUG"))])
    assert resolutions(store_engine, "1")["a"].components == (("MUG", 2, None),)


def test_component_spelling_is_stored_as_the_catalog_sku(store_engine: Engine) -> None:
    catalog(store_engine, "BLUE-TEE-M")
    result = mapping(store_engine, "PACK3", ("blue tee m", 3))
    assert result.notes == ["'blue tee m' is stored as 'BLUE-TEE-M'"]
    with store_engine.connect() as connection:
        assert list_mappings(connection)[0].components == (("BLUE-TEE-M", 3),)


def test_a_mapping_in_use_as_a_component_cannot_be_removed(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    mapping(store_engine, "SET", ("MUG", 2))
    mapping(store_engine, "BOX", ("SET", 1))
    with store_engine.begin() as connection, pytest.raises(MatchingError, match="'BOX'"):
        delete_mapping(connection, "SET", actor="cli", now=T0)
    with store_engine.begin() as connection, pytest.raises(MatchingError, match="no global"):
        delete_mapping(connection, "NOPE", actor="cli", now=T0)


def test_removing_a_mapping_puts_open_orders_back_in_the_queue(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    mapping(store_engine, "MUG-X", ("MUG", 1))
    sync_page(store_engine, [order("1", line("a", "MUG-X"))])
    assert not awaiting(store_engine, "1")
    with store_engine.begin() as connection:
        delete_mapping(connection, "mug x", actor="cli", now=T0)
    assert awaiting(store_engine, "1")


def test_csv_import_applies_bundles_and_records_the_file(
    store_engine: Engine, tmp_path: Path
) -> None:
    catalog(store_engine, "BLUE-TEE", "MUG", "COASTER")
    sync_page(store_engine, [order("1", line("a", "GIFTSET"), line("b", "PACK3-BLUE"))])
    path = write_csv(
        tmp_path,
        "ext_sku,internal_sku,quantity,account,channel\n"
        "PACK3-BLUE,BLUE-TEE,3,,\n"
        "GIFTSET,MUG,,,\n"
        "GIFTSET,COASTER,2,,\n"
        "BIG-GIFT,GIFTSET,2,,\n",  # uses a bundle defined in the same file
    )
    with store_engine.begin() as connection:
        result = import_mappings_csv(connection, path, now=T0)
    assert sorted(change.external_sku for change in result.changes) == [
        "BIG-GIFT",
        "GIFTSET",
        "PACK3-BLUE",
    ]
    assert resolutions(store_engine, "1")["a"].components == (
        ("MUG", 1, None),
        ("COASTER", 2, None),
    )
    assert not awaiting(store_engine, "1")
    with store_engine.connect() as connection:
        actors = {entry.actor for entry in mapping_history(connection)}
    assert actors == {f"import:{path}"}


def test_csv_with_bad_rows_is_refused_whole_with_every_row(
    store_engine: Engine, tmp_path: Path
) -> None:
    catalog(store_engine, "BLUE-TEE", "MUG")
    path = write_csv(
        tmp_path,
        "ext_sku,internal_sku,quantity,account,channel\n"
        "GOOD,MUG,1,,\n"  # 2
        ",MUG,1,,\n"  # 3: no ext_sku
        "PACK,BLUE-TEE,zero,,\n"  # 4: not a number
        "PACK2,BLUE-TEE,0,,\n"  # 5: zero
        "X,MUG,1,shop,amazon\n"  # 6: both scopes
        "Y,\n",  # 7: no internal sku
    )
    with store_engine.begin() as connection, pytest.raises(InputRejected) as caught:
        import_mappings_csv(connection, path, now=T0)
    assert [problem.row for problem in caught.value.problems] == [3, 4, 5, 6, 7]
    assert "ext_sku is empty" in caught.value.problems[0].message
    assert "nothing was applied" in caught.value.message
    assert counts(store_engine) == (0, 0)


def test_csv_unknown_components_and_cycles_name_their_rows(
    store_engine: Engine, tmp_path: Path
) -> None:
    catalog(store_engine, "MUG")
    path = write_csv(
        tmp_path,
        "ext_sku,internal_sku,quantity\n"
        "OK,MUG,1\n"  # 2
        "SET,MUG,1\n"  # 3
        "SET,COASTR,2\n"  # 4: not in the catalog
        "LOOP-A,LOOP-B,1\n"  # 5
        "LOOP-B,LOOP-A,1\n",  # 6
    )
    with store_engine.begin() as connection, pytest.raises(InputRejected) as caught:
        import_mappings_csv(connection, path, now=T0)
    problems = {problem.row: problem.message for problem in caught.value.problems}
    assert list(problems) == [4, 5]
    assert "'COASTR' is not in the catalog" in problems[4]
    assert problems[5] == (
        "bundle cycle: LOOP-A -> LOOP-B -> LOOP-A (a bundle cannot contain itself)"
    )
    assert counts(store_engine) == (0, 0)


def test_csv_file_problems(store_engine: Engine, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with store_engine.begin() as connection, pytest.raises(MatchingError, match="does not exist"):
        import_mappings_csv(connection, missing, now=T0)
    typo = write_csv(tmp_path, "ext_sku,internal_sku,qty\nA,B,1\n")
    with store_engine.begin() as connection, pytest.raises(MatchingError) as caught:
        import_mappings_csv(connection, typo, now=T0)
    assert "unknown column 'qty'" in caught.value.message
    assert "quantity" in (caught.value.fix or "")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ext_sku,internal_sku\nCAFÉ,MUG\n".encode("latin-1"))
    with store_engine.begin() as connection, pytest.raises(MatchingError, match="UTF-8"):
        import_mappings_csv(connection, latin, now=T0)


def test_a_spreadsheet_export_with_bom_and_semicolons_is_read(
    store_engine: Engine, tmp_path: Path
) -> None:
    catalog(store_engine, "MUG")
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffExt_SKU;Internal_SKU;Quantity\r\nMUG-2;MUG;2\r\n\r\n".encode())
    with store_engine.begin() as connection:
        import_mappings_csv(connection, path, now=T0)
        assert list_mappings(connection)[0].components == (("MUG", 2),)


def test_one_call_many_requests_all_or_nothing(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    with store_engine.begin() as connection, pytest.raises(InputRejected) as caught:
        set_mappings(
            connection,
            [MappingRequest("A", (("MUG", 1),)), MappingRequest("B", (("NOPE", 1),))],
            actor="cli",
            now=T0,
        )
    assert len(caught.value.problems) == 1
    assert counts(store_engine) == (0, 0)
