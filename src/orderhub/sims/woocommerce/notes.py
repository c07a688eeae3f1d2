"""The order-notes routes of the simulated WooCommerce store: list, create, read, delete."""

from __future__ import annotations

from orderhub.sims.woocommerce.base import _as_bool, _wp_list
from orderhub.sims.woocommerce.generation import WooGeneration
from orderhub.sims.woocommerce.records import WooNote
from orderhub.testing.sim import SimRequest, SimResponse, route

_NOTE_TYPES = ("any", "customer", "internal")


class WooNotes(WooGeneration):
    """``/orders/{id}/notes`` and ``/orders/{id}/notes/{note_id}``."""

    # -- notes ---------------------------------------------------------------------------------

    @route("GET", "/orders/{id:int}/notes", operation="notes.list")
    def list_notes(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}/notes`` (newest first; ``type`` any, customer or internal)."""
        note_type = request.param("type", "any") or "any"
        if note_type not in _NOTE_TYPES:
            return self._invalid_params({"type": f"type is not one of {_wp_list(_NOTE_TYPES)}."})
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        notes = [
            n
            for n in self._notes.get(order_id, [])
            if note_type == "any" or n.customer_note == (note_type == "customer")
        ]
        notes.sort(key=lambda n: (n.created, n.id), reverse=True)
        return SimResponse.json(200, [self._render_note(n, request.base_url) for n in notes])

    @route("POST", "/orders/{id:int}/notes", operation="notes.create")
    def create_note(self, request: SimRequest) -> SimResponse:
        """``POST /orders/{id}/notes``: 201 with the note and a ``Location`` header."""
        payload = self._json_body(request)
        if isinstance(payload, SimResponse):
            return payload
        if not isinstance(payload.get("note"), str) or not payload["note"]:
            return self.error_response(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): note",
                {"params": ["note"]},
            )
        customer_note = _as_bool(payload.get("customer_note", False))
        if customer_note is None:
            return self._invalid_params({"customer_note": "customer_note is not of type boolean."})
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        by_user = _as_bool(payload.get("added_by_user", False)) is True
        note = self._add_note(
            order_id, payload["note"], customer_note, "shop-manager" if by_user else "system", None
        )
        location = f"{request.base_url}{self.base_path}/orders/{order_id}/notes/{note.id}"
        return SimResponse.json(
            201, self._render_note(note, request.base_url), {"Location": location}
        )

    @route("GET", "/orders/{id:int}/notes/{note_id:int}", operation="notes.get")
    def get_note(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}/notes/{note_id}``."""
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        if denied is not None:
            return denied
        found = self._find_note(request)
        if isinstance(found, SimResponse):
            return found
        return SimResponse.json(200, self._render_note(found, request.base_url))

    @route("DELETE", "/orders/{id:int}/notes/{note_id:int}", operation="notes.delete")
    def delete_note(self, request: SimRequest) -> SimResponse:
        """``DELETE /orders/{id}/notes/{note_id}?force=true`` (``force`` is required)."""
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        if denied is not None:
            return denied
        found = self._find_note(request)
        if isinstance(found, SimResponse):
            return found
        if _as_bool(request.param("force", "false")) is not True:
            return self.error_response(
                501,
                "woocommerce_rest_trash_not_supported",
                "The resource does not support trashing.",
            )
        self._notes[found.order_id].remove(found)
        return SimResponse.json(200, self._render_note(found, request.base_url))

    def _find_note(self, request: SimRequest) -> WooNote | SimResponse:
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        note_id = int(request.path_params["note_id"])
        for note in self._notes.get(order_id, []):
            if note.id == note_id:
                return note
        return self.error_response(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
