"""How models are written into Redis: compact JSON, shared by every part of the store."""

from __future__ import annotations

import json

from pydantic import BaseModel

from chatops.domain import Mention


def compact(model: BaseModel) -> str:
    """JSON without the fields that hold their defaults: memory per open case is a target."""
    return model.model_dump_json(exclude_defaults=True)


def stored_mention(mention: Mention) -> str:
    """A mention as kept in its case, with its key so an edit can find it in the list."""
    data = json.loads(compact(mention))
    data["key"] = mention.key
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
