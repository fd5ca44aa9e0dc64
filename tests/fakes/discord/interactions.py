"""Application commands and interactions: the command registry routes, the interaction
callback and webhook follow-up routes (Discord's 3 s / 15 min rules), the handle tests get back
from ``slash``/``click``/``submit_modal``, and helpers that build interaction data."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import limits
from . import payloads as p
from .server import Fail, Handler, RecordedFile, Req

if TYPE_CHECKING:
    from . import FakeDiscord

# Which callback types Discord accepts per interaction type (6/7 also need a source message).
_ALLOWED = {1: {1}, 2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
_TRUE = ("1", "true")
_A = r"/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands"
_W = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"


class InteractionHandle:
    """One interaction the fake dispatched, and everything the bot did with it."""

    def __init__(self, fake: FakeDiscord, payload: dict[str, Any]) -> None:
        self.fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.dispatched_at = 0.0
        self.callback: dict[str, Any] | None = None
        self.callback_type: int | None = None
        self.ack_latency: float | None = None
        self.original_id: int | None = None
        self.original_final = False
        self.followup_ids: list[int] = []
        self.modal: dict[str, Any] | None = None
        self.choices: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} callback={self.callback_type}>"

    @property
    def message_id(self) -> int | None:
        """The message the interaction came from (components, modals opened from components)."""
        msg = self.payload.get("message")
        return int(msg["id"]) if msg else None

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def original(self) -> dict[str, Any] | None:
        return self.fake.message(self.original_id) if self._alive(self.original_id) else None

    @property
    def followups(self) -> list[dict[str, Any]]:
        return [self.fake.message(i) for i in self.followup_ids if self._alive(i)]

    @property
    def ephemeral(self) -> bool:
        first = self.original_id or (self.followup_ids[0] if self.followup_ids else None)
        if first is None or not self._alive(first):
            return False
        return bool(int(self.fake.message(first)["flags"]) & p.EPHEMERAL)

    def _alive(self, message_id: int | None) -> bool:
        return message_id is not None and message_id in self.fake.messages

    def _final_id(self) -> int | None:
        if self.original_final and self._alive(self.original_id):
            return self.original_id
        alive = [i for i in self.followup_ids if self._alive(i)]
        return alive[-1] if alive else None

    async def ack(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the bot's callback; returns its body ``{"type": n, "data": {...}}``."""
        await self.fake.wait_until(
            lambda: self.callback is not None, timeout=timeout, what=f"a callback to {self!r}"
        )
        assert self.callback is not None
        return self.callback

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The visible answer: the original response once final (type 4/7 or edited after a
        defer), else the latest follow-up. Returns the message's current state."""
        await self.fake.wait_until(
            lambda: self._final_id() is not None, timeout=timeout, what=f"a reply to {self!r}"
        )
        final = self._final_id()
        assert final is not None
        return self.fake.message(final)


class InteractionRoutes:
    """REST handlers mixed into FakeDiscord (``self`` is the FakeDiscord)."""

    def _interaction_routes(self: FakeDiscord) -> list[tuple[str, str, Handler]]:
        hook_msg = _W + r"/messages/(?P<m>@original|\d+)"
        return [
            ("GET", _A, self._list_commands),
            ("PUT", _A, self._put_commands),
            ("POST", _A, self._post_command),
            ("GET", _A + r"/(?P<cmd>\d+)", self._get_command),
            ("PATCH", _A + r"/(?P<cmd>\d+)", self._patch_command),
            ("DELETE", _A + r"/(?P<cmd>\d+)", self._delete_command),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", _W, self._followup),
            ("GET", hook_msg, self._get_hook_message),
            ("PATCH", hook_msg, self._edit_hook_message),
            ("DELETE", hook_msg, self._delete_hook_message),
        ]

    # ---- application commands --------------------------------------------------------------
    def _scope(self: FakeDiscord, req: Req) -> int | None:
        if int(req.m["app"]) != self.app_id:
            raise Fail(404, 10002, "Unknown Application")
        self._guild(req)
        return int(req.m["guild"]) if "guild" in req.m else None

    def _stored(
        self: FakeDiscord, cmd: dict[str, Any], scope: int | None, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": 1,
            "description": "",
            "default_member_permissions": None,
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
            "integration_types": [0],
            "contexts": None,
            **copy.deepcopy(cmd),
        }
        out.update(
            id=old["id"] if old else str(p.snowflake()),
            application_id=str(self.app_id),
            version=str(p.snowflake()),
        )
        if scope is not None:
            out["guild_id"] = str(scope)
        return out

    def _command(self: FakeDiscord, req: Req) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        cmds = self._commands.setdefault(self._scope(req), [])
        for cmd in cmds:
            if cmd["id"] == req.m["cmd"]:
                return cmds, cmd
        raise Fail(404, 10063, "Unknown application command")

    async def _list_commands(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._commands.get(self._scope(req), [])

    async def _put_commands(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        scope, body = self._scope(req), req.json
        if not isinstance(body, list):
            errs = limits.FormErrors()
            errs.add((), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
            raise Fail.form(errs)
        if errs := limits.check_commands(body):
            raise Fail.form(errs)
        old = {(c["name"], c["type"]): c for c in self._commands.get(scope, [])}
        stored = [self._stored(c, scope, old.get((c["name"], c.get("type", 1)))) for c in body]
        self._commands[scope] = stored
        return 200, stored

    async def _post_command(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        scope, body, errs = self._scope(req), req.json or {}, limits.FormErrors()
        limits.check_command(body, errs)
        if errs:
            raise Fail.form(errs)
        cmds = self._commands.setdefault(scope, [])
        key = (body.get("name"), body.get("type", 1))
        old = next((c for c in cmds if (c["name"], c["type"]) == key), None)
        if old is None and sum(c["type"] == 1 for c in cmds) >= limits.COMMANDS_MAX:
            raise Fail(400, 30032, "Maximum number of application commands reached (100)")
        stored = self._stored(body, scope, old)
        cmds[:] = [c for c in cmds if c is not old] + [stored]
        return (200 if old else 201), stored

    async def _get_command(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._command(req)[1]

    async def _patch_command(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        _, cmd = self._command(req)
        merged, errs = {**cmd, **(req.json or {})}, limits.FormErrors()
        limits.check_command(merged, errs)
        if errs:
            raise Fail.form(errs)
        cmd.update(req.json or {}, version=str(p.snowflake()))
        return 200, cmd

    async def _delete_command(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        cmds, cmd = self._command(req)
        cmds.remove(cmd)
        return 204, None

    # ---- interactions ----------------------------------------------------------------------
    async def _callback(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        h = self.interactions.get(int(req.m["iid"]))
        if h is None or h.token != req.m["token"]:
            raise Fail(404, 10062, "Unknown interaction")
        if time.perf_counter() - h.dispatched_at > self.interaction_timeout:
            raise Fail(404, 10062, "Unknown interaction")
        if h.callback is not None:
            raise Fail(400, 40060, "Interaction has already been acknowledged.")
        body = req.json if isinstance(req.json, dict) else {}
        kind, data = body.get("type"), body.get("data") or {}
        allowed = _ALLOWED.get(h.type, set()) - (set() if h.message_id else {6, 7})
        errs = limits.FormErrors()
        if kind not in allowed:
            errs.add(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)}.")
        elif kind in (4, 7):
            self._validate(data, req.files, create=kind == 4, base=("data",))
        elif kind == 9:
            errs = limits.check_modal(data)
        elif kind == 8:
            limits.check_choices(data.get("choices") or [], errs, ["data", "choices"])
        if errs:
            raise Fail.form(errs)
        h.callback, h.callback_type = copy.deepcopy(body), kind
        h.ack_latency = time.perf_counter() - h.dispatched_at
        msg = await self._apply_callback(h, kind, data, req.files)
        if req.query.get("with_response", "").lower() not in _TRUE:
            return 204, None
        inter: dict[str, Any] = {"id": str(h.id), "type": h.type}
        out: dict[str, Any] = {"interaction": inter}
        if msg is not None and kind in (4, 5, 7):
            inter.update(
                response_message_id=msg["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(msg["flags"] & p.EPHEMERAL),
            )
            out["resource"] = {"type": kind, "message": msg}
        return 200, out

    async def _apply_callback(
        self: FakeDiscord,
        h: InteractionHandle,
        kind: int,
        data: dict[str, Any],
        files: list[RecordedFile],
    ) -> dict[str, Any] | None:
        if kind in (4, 5):
            chan = self.channels[h.channel_id]
            if kind == 5:  # the "<bot> is thinking..." placeholder
                data, files = {"flags": (int(data.get("flags") or 0) & p.EPHEMERAL) | p.LOADING}, []
            msg = self._new_message(chan, data, files, interaction=h)
            h.original_id, h.original_final = int(msg["id"]), kind == 4
            await self._emit("MESSAGE_CREATE", msg)
            return msg
        if kind in (6, 7):
            h.original_id = h.message_id
            msg = self.messages.get(h.message_id or 0)
            if kind == 7 and msg is not None:
                self._apply(msg, data, files, edit=True)
                h.original_final = True
                await self._emit("MESSAGE_UPDATE", msg)
            return msg
        if kind == 8:
            h.choices = copy.deepcopy(data.get("choices") or [])
        elif kind == 9:
            h.modal = copy.deepcopy(data)
        return None

    def _hook(self: FakeDiscord, req: Req) -> InteractionHandle:
        if int(req.m["app"]) != self.app_id:
            raise Fail(404, 10015, "Unknown Webhook")
        h = next((h for h in self.interactions.values() if h.token == req.m["token"]), None)
        if h is None or time.perf_counter() - h.dispatched_at > self.token_ttl:
            raise Fail(401, 50027, "Invalid Webhook Token")
        if h.callback is None:
            raise Fail(404, 10015, "Unknown Webhook")
        return h

    def _hook_msg(self: FakeDiscord, req: Req, h: InteractionHandle) -> dict[str, Any]:
        ref = req.m["m"]
        mid = h.original_id if ref == "@original" else int(ref)
        if mid is None or mid not in self.messages or mid not in (h.original_id, *h.followup_ids):
            raise Fail(404, 10008, "Unknown Message")
        return self.messages[mid]

    async def _followup(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        h, body = self._hook(req), req.json or {}
        self._validate(body, req.files, create=True)
        orig = self.messages.get(h.original_id or 0)
        if h.callback_type == 5 and orig is not None and orig["flags"] & p.LOADING:
            # The first follow-up after a deferred reply fills in the "thinking" message.
            self._apply(orig, body, req.files, edit=True)
            msg, event, h.original_final = orig, "MESSAGE_UPDATE", True
        else:
            msg = self._new_message(
                self.channels[h.channel_id], body, req.files, interaction=h, followup=True
            )
            event = "MESSAGE_CREATE"
        h.followup_ids.append(int(msg["id"]))
        await self._emit(event, msg)
        return (200, msg) if req.query.get("wait", "").lower() in _TRUE else (204, None)

    async def _get_hook_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._hook_msg(req, self._hook(req))

    async def _edit_hook_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        h = self._hook(req)
        msg = self._hook_msg(req, h)
        self._validate(req.json or {}, req.files, create=False)
        self._apply(msg, req.json or {}, req.files, edit=True)
        if int(msg["id"]) == h.original_id:
            h.original_final = True
        await self._emit("MESSAGE_UPDATE", msg)
        return 200, msg

    async def _delete_hook_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        h = self._hook(req)
        await self._delete(self._hook_msg(req, h))
        return 204, None


_SCALAR = {3: str, 4: int, 5: bool, 10: float}
_ENTITY = (6, 7, 8, 9, 11)


def typed_options(
    schema: list[Mapping[str, Any]], values: Mapping[str, Any], *, focused: str | None = None
) -> list[dict[str, Any]]:
    """Turn ``{"symbol": "AAPL"}`` into Discord's typed option list using the registered schema.

    Raises ``ValueError`` where the Discord client would refuse (unknown name, missing required
    option, value outside the declared choices).
    """
    by_name = {o["name"]: o for o in schema}
    unknown = set(values) - set(by_name)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; registered: {sorted(by_name)}")
    out: list[dict[str, Any]] = []
    for opt in schema:
        name = opt["name"]
        if name not in values:
            if opt.get("required") and focused is None:
                raise ValueError(f"required option {name!r} missing")
            continue
        kind, raw = int(opt["type"]), values[name]
        item: dict[str, Any] = {"name": name, "type": kind}
        if name == focused:
            item.update(value=str(raw), focused=True)
        elif kind in _SCALAR:
            item["value"] = _SCALAR[kind](raw)
            choices = opt.get("choices")
            if choices and item["value"] not in [c["value"] for c in choices]:
                raise ValueError(f"{raw!r} is not one of the choices of {name!r}")
        elif kind in _ENTITY:
            item["value"] = str(p.as_id(raw))
        else:
            raise ValueError(f"option {name!r} has non-value type {kind}")
        out.append(item)
    return out


def find_component(
    components: Iterable[Mapping[str, Any]], custom_id: str
) -> dict[str, Any] | None:
    """Depth-first search for a component by ``custom_id`` (action rows, sections, containers)."""
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return dict(comp)
        children = list(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), Mapping):
                children.append(comp[key])
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None


def leaves(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in components:
        if c.get("type") == 1:
            out.extend(leaves(c.get("components") or []))
        elif c.get("type") == 18:
            out.extend(leaves([c["component"]]))
        else:
            out.append(c)
    return out


def submitted(comp: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Mirror one component of the modal the bot sent as Discord's MODAL_SUBMIT data."""
    kind = comp.get("type")
    out: dict[str, Any] = {"type": kind}
    if comp.get("id") is not None:
        out["id"] = comp["id"]
    if kind == 1:
        out["components"] = [submitted(c, values) for c in comp.get("components") or []]
    elif kind == 18:
        out["component"] = submitted(comp["component"], values)
    elif kind == 4:
        cid = comp["custom_id"]
        value = values.get(cid, comp.get("value") or "")
        if comp.get("required", True) and not value:
            raise ValueError(f"required text input {cid!r} left empty")
        out.update(custom_id=cid, value=str(value))
    elif comp.get("custom_id"):
        raw = values.get(comp["custom_id"], [])
        out.update(
            custom_id=comp["custom_id"], values=list(raw) if isinstance(raw, list) else [raw]
        )
    return out
