"""Discord's documented payload limits, checked the way Discord checks them.

Each ``check_*`` function returns a :class:`FormErrors` tree that serialises to Discord's
``Invalid Form Body`` error (code 50035)::

    {"code": 50035, "message": "Invalid Form Body",
     "errors": {"embeds": {"0": {"title": {"_errors": [
         {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}]}}}}}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_NAME_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_PLACEHOLDER_MAX = 100
TEXT_INPUT_VALUE_MAX = 4000
LABEL_DESCRIPTION_MAX = 100
COMMANDS_MAX = 100
COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
COMMAND_TOTAL_MAX = 4000
CHOICE_NAME_MAX = 100
CHOICE_STRING_VALUE_MAX = 100
AUTOCOMPLETE_CHOICES_MAX = 25

Path = Sequence[str | int]


class FormErrors:
    """Accumulates errors into Discord's nested ``{"field": {"_errors": [...]}}`` tree."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(self.tree)

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: Path, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_len(self, path: Path, value: Any, low: int, high: int) -> None:
        if value is None or not (low <= len(value) <= high):
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: Path, value: Any) -> bool:
        if value is None:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def body(self) -> dict[str, Any]:
        return invalid_form_body(self.tree)


def invalid_form_body(errors: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": 50035, "message": "Invalid Form Body", "errors": dict(errors)}


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters Discord counts towards the 6000 limit."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    return total


def check_embeds(embeds: Sequence[Mapping[str, Any]], errs: FormErrors, base: Path) -> None:
    path = [*base, "embeds"]
    errs.max_len(path, embeds, EMBEDS_MAX)
    for i, embed in enumerate(embeds):
        p = [*path, i]
        errs.max_len([*p, "title"], embed.get("title"), EMBED_TITLE_MAX)
        errs.max_len([*p, "description"], embed.get("description"), EMBED_DESCRIPTION_MAX)
        errs.max_len(
            [*p, "footer", "text"], (embed.get("footer") or {}).get("text"), EMBED_FOOTER_MAX
        )
        author = (embed.get("author") or {}).get("name")
        errs.max_len([*p, "author", "name"], author, EMBED_AUTHOR_NAME_MAX)
        fields = embed.get("fields") or []
        errs.max_len([*p, "fields"], fields, EMBED_FIELDS_MAX)
        for j, field in enumerate(fields):
            errs.bad_len([*p, "fields", j, "name"], field.get("name"), 1, EMBED_FIELD_NAME_MAX)
            errs.bad_len([*p, "fields", j, "value"], field.get("value"), 1, EMBED_FIELD_VALUE_MAX)
    if sum(embed_size(e) for e in embeds) > EMBED_TOTAL_MAX:
        errs.add(
            path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        )


def _check_interactive(comp: Mapping[str, Any], errs: FormErrors, p: list[Any]) -> None:
    kind = comp.get("type")
    if kind == 2:  # button
        errs.max_len([*p, "label"], comp.get("label"), BUTTON_LABEL_MAX)
        style = comp.get("style")
        if style == 5:
            errs.required([*p, "url"], comp.get("url"))
        elif style != 6 and errs.required([*p, "custom_id"], comp.get("custom_id")):
            errs.bad_len([*p, "custom_id"], comp["custom_id"], 1, CUSTOM_ID_MAX)
    elif kind in (3, 5, 6, 7, 8):  # selects
        if errs.required([*p, "custom_id"], comp.get("custom_id")):
            errs.bad_len([*p, "custom_id"], comp["custom_id"], 1, CUSTOM_ID_MAX)
        errs.max_len([*p, "placeholder"], comp.get("placeholder"), SELECT_PLACEHOLDER_MAX)
        if kind == 3:
            options = comp.get("options") or []
            errs.bad_len([*p, "options"], options, 1, SELECT_OPTIONS_MAX)
            for k, opt in enumerate(options):
                errs.bad_len(
                    [*p, "options", k, "label"], opt.get("label"), 1, SELECT_OPTION_TEXT_MAX
                )
                errs.bad_len(
                    [*p, "options", k, "value"], opt.get("value"), 1, SELECT_OPTION_TEXT_MAX
                )
                desc = opt.get("description")
                errs.max_len([*p, "options", k, "description"], desc, SELECT_OPTION_TEXT_MAX)


def _walk(components: Iterable[Mapping[str, Any]], path: list[Any]) -> Iterable[tuple[dict, list]]:
    for i, comp in enumerate(components):
        p = [*path, i]
        yield dict(comp), p
        yield from _walk(comp.get("components") or [], [*p, "components"])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), Mapping):
                yield dict(comp[key]), [*p, key]


def check_components(
    components: Sequence[Mapping[str, Any]], errs: FormErrors, base: Path, *, v2: bool = False
) -> None:
    path = [*base, "components"]
    if not v2:
        errs.max_len(path, components, ACTION_ROWS_MAX)
        for i, row in enumerate(components):
            children = row.get("components") or []
            if row.get("type") != 1:
                errs.add([*path, i, "type"], "UNION_TYPE_CHOICES", "Value must be an action row.")
                continue
            errs.bad_len([*path, i, "components"], children, 1, ROW_COMPONENTS_MAX)
            if len(children) > 1 and any(c.get("type") != 2 for c in children):
                errs.add(
                    [*path, i, "components"],
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
    seen: set[str] = set()
    for comp, p in _walk(components, path):
        _check_interactive(comp, errs, p)
        cid = comp.get("custom_id")
        if cid is not None and comp.get("type") != 4:
            if cid in seen:
                msg = "Component custom id cannot be duplicated"
                errs.add([*p, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", msg)
            seen.add(cid)


def check_message(payload: Mapping[str, Any], base: Path = ()) -> FormErrors:
    """Validate a create/edit message body (channel message, webhook or interaction data)."""
    errs = FormErrors()
    errs.max_len([*base, "content"], payload.get("content"), CONTENT_MAX)
    check_embeds(payload.get("embeds") or [], errs, base)
    v2 = bool(int(payload.get("flags") or 0) & (1 << 15))
    check_components(payload.get("components") or [], errs, base, v2=v2)
    return errs


def is_empty_message(payload: Mapping[str, Any], files: int) -> bool:
    """Discord answers 50006 "Cannot send an empty message" for these."""
    keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    return files == 0 and not any(payload.get(k) for k in keys)


def _check_text_input(
    comp: Mapping[str, Any], errs: FormErrors, p: list[Any], labelled: bool
) -> None:
    if errs.required([*p, "custom_id"], comp.get("custom_id")):
        errs.bad_len([*p, "custom_id"], comp["custom_id"], 1, CUSTOM_ID_MAX)
    if not labelled and errs.required([*p, "label"], comp.get("label")):
        errs.bad_len([*p, "label"], comp["label"], 1, TEXT_INPUT_LABEL_MAX)
    errs.max_len([*p, "placeholder"], comp.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
    errs.max_len([*p, "value"], comp.get("value"), TEXT_INPUT_VALUE_MAX)
    for key in ("min_length", "max_length"):
        n = comp.get(key)
        if n is not None and not (0 <= int(n) <= TEXT_INPUT_VALUE_MAX):
            msg = f"int value should be between 0 and {TEXT_INPUT_VALUE_MAX}."
            errs.add([*p, key], "NUMBER_TYPE_MAX", msg)


def check_modal(data: Mapping[str, Any], base: Path = ("data",)) -> FormErrors:
    errs = FormErrors()
    if errs.required([*base, "title"], data.get("title")):
        errs.bad_len([*base, "title"], data["title"], 1, MODAL_TITLE_MAX)
    if errs.required([*base, "custom_id"], data.get("custom_id")):
        errs.bad_len([*base, "custom_id"], data["custom_id"], 1, CUSTOM_ID_MAX)
    components = data.get("components") or []
    errs.bad_len([*base, "components"], components, 1, MODAL_COMPONENTS_MAX)
    for i, comp in enumerate(components):
        p = [*base, "components", i]
        if comp.get("type") == 18:  # Label wrapping one component
            errs.bad_len([*p, "label"], comp.get("label"), 1, TEXT_INPUT_LABEL_MAX)
            errs.max_len([*p, "description"], comp.get("description"), LABEL_DESCRIPTION_MAX)
            inner = comp.get("component")
            if errs.required([*p, "component"], inner) and inner.get("type") == 4:
                _check_text_input(inner, errs, [*p, "component"], labelled=True)
        elif comp.get("type") == 1:
            for j, child in enumerate(comp.get("components") or []):
                if child.get("type") == 4:
                    _check_text_input(child, errs, [*p, "components", j], labelled=False)
    return errs


def check_choices(choices: Sequence[Mapping[str, Any]], errs: FormErrors, path: list[Any]) -> None:
    errs.max_len(path, choices, COMMAND_CHOICES_MAX)
    for k, choice in enumerate(choices):
        errs.bad_len([*path, k, "name"], choice.get("name"), 1, CHOICE_NAME_MAX)
        if isinstance(choice.get("value"), str):
            errs.max_len([*path, k, "value"], choice["value"], CHOICE_STRING_VALUE_MAX)


def _command_size(node: Mapping[str, Any]) -> int:
    total = len(node.get("name") or "") + len(node.get("description") or "")
    for choice in node.get("choices") or []:
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total + sum(_command_size(o) for o in node.get("options") or [])


def _check_name(errs: FormErrors, path: list[Any], name: Any) -> None:
    if not isinstance(name, str) or not COMMAND_NAME_RE.fullmatch(name):
        errs.add(path, "STRING_TYPE_REGEX", "String value did not match validation regex.")
    elif name != name.lower():
        errs.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_options(options: Sequence[Mapping[str, Any]], errs: FormErrors, path: list[Any]) -> None:
    errs.max_len(path, options, COMMAND_OPTIONS_MAX)
    names: set[str] = set()
    for i, opt in enumerate(options):
        p = [*path, i]
        _check_name(errs, [*p, "name"], opt.get("name"))
        errs.bad_len([*p, "description"], opt.get("description"), 1, COMMAND_DESCRIPTION_MAX)
        if opt.get("name") in names:
            errs.add([*p, "name"], "APPLICATION_COMMAND_OPTION_NAME_NOT_UNIQUE", "Name not unique")
        names.add(opt.get("name"))
        check_choices(opt.get("choices") or [], errs, [*p, "choices"])
        _check_options(opt.get("options") or [], errs, [*p, "options"])


def check_command(cmd: Mapping[str, Any], errs: FormErrors, base: Path = ()) -> None:
    kind = int(cmd.get("type") or 1)
    if kind == 1:
        _check_name(errs, [*base, "name"], cmd.get("name"))
        desc = cmd.get("description")
        errs.bad_len([*base, "description"], desc, 1, COMMAND_DESCRIPTION_MAX)
        _check_options(cmd.get("options") or [], errs, [*base, "options"])
    else:  # user / message context menus: free-form names, empty description
        errs.bad_len([*base, "name"], cmd.get("name"), 1, 32)
    if _command_size(cmd) > COMMAND_TOTAL_MAX:
        errs.add(base, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)")


def check_commands(cmds: Sequence[Mapping[str, Any]]) -> FormErrors:
    """Bulk overwrite: per-command errors are keyed by list index, as Discord does."""
    errs = FormErrors()
    if sum(1 for c in cmds if int(c.get("type") or 1) == 1) > COMMANDS_MAX:
        errs.max_len((), list(range(COMMANDS_MAX + 1)), COMMANDS_MAX)
    seen: set[tuple[Any, Any]] = set()
    for i, cmd in enumerate(cmds):
        check_command(cmd, errs, (i,))
        key = (cmd.get("name"), int(cmd.get("type") or 1))
        if key in seen:
            msg = "Application command names must be unique"
            errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", msg)
        seen.add(key)
    return errs
