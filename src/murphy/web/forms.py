"""HTML form plumbing shared by the pages: form models, messages for people, rendering."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import UploadFile

from murphy.core.errors import ValidationFailed
from murphy.web.templating import humanize

M = TypeVar("M", bound=BaseModel)


class FormModel(BaseModel):
    """A posted form: every field text, unknown fields ignored, checked by the handler."""

    model_config = ConfigDict(extra="ignore")

    csrf_token: str = ""


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page that is never cached (it shows live data the caller is scoped to)."""
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def photos(request: Request, max_bytes: int) -> list[tuple[str, bytes]]:
    """The files of a multipart form's `photos` field: (file name, bytes), each read to at
    most `max_bytes + 1` so that the service can refuse one that is too large. An empty
    file input arrives as a part without a file name, which is not an upload."""
    form = await request.form()  # parsed once per request; the handler may read it too
    out = []
    for upload in form.getlist("photos"):
        if not isinstance(upload, UploadFile):
            continue
        raw = await upload.read(max_bytes + 1)
        if raw or upload.filename:
            out.append((upload.filename or "photo", raw))
    return out


def comma_list(text: str) -> list[str]:
    """The items of a comma-separated field, trimmed, empty ones dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def validated(model: type[M], labels: dict[str, str] | None = None, **fields: Any) -> M:
    """`model` built from form fields, or ValidationFailed with a message for people."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ValidationFailed(explain(exc, labels or {})) from None


def explain(exc: ValidationError, labels: dict[str, str]) -> str:
    """What is wrong with a form, field by field, in words ('Title is required.')."""
    messages = []
    for err in exc.errors()[:4]:
        field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "input")
        label = labels.get(field, humanize(field))
        ctx = err.get("ctx", {})
        kind = err["type"]
        if kind == "string_too_short" and ctx.get("min_length") == 1:
            messages.append(f"{label} is required")
        elif kind == "string_too_long":
            messages.append(f"{label} is too long: at most {ctx.get('max_length')} characters")
        elif kind.startswith(("datetime", "date")):
            messages.append(f"{label}: give a date and a time, e.g. 2026-11-28 03:15")
        elif kind == "enum":
            messages.append(f"{label}: choose one of the options offered")
        elif kind == "value_error" and ctx.get("error"):
            messages.append(f"{label}: {ctx['error']}")  # the model's own words
        elif kind == "string_pattern_mismatch":
            messages.append(f"{label}: check how it is written")
        else:
            messages.append(f"{label}: {err['msg']}")
    return "; ".join(messages) + "."


def plain(message: str, words: dict[str, str]) -> str:
    """A service message with API field names put in the page's words."""
    if not words:
        return message
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b")
    return pattern.sub(lambda m: words[m.group(1)], message)


def version(text: str) -> int | None:
    """The record version a form was made from (hidden field), to refuse lost updates."""
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise ValidationFailed("the form is damaged: reload the page and try again")
    return int(text)
