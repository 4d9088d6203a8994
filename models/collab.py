"""The events people's work on calls and deals sends to subscribers: a mention in a comment, a shared snippet."""

from datetime import datetime

from pydantic import BaseModel, Field


class CommentMentioned(BaseModel):
    """The event `comment.mention`: one person was mentioned in a comment on a call or a deal."""

    comment_id: int
    call_id: str | None = Field(description="The call commented on; null for a comment on a deal.")
    deal_id: int | None = Field(description="The deal commented on; null for a comment on a call.")
    author: str = Field(description="The login of who wrote the comment.")
    mentioned: str = Field(description="The login of who was mentioned.")
    text: str = Field(description="The comment, with personal data redacted as the settings say.")
    path: str = Field(description="Where the comment is in the web app, e.g. /app/calls/ID#comment-7.")
    at: datetime


class SnippetShared(BaseModel):
    """The event `snippet.created`: part of a call was shared as a snippet."""

    snippet_id: str
    call_id: str
    start_s: float
    end_s: float
    note: str = Field(description="What the sharer wrote about it, redacted as the settings say.")
    created_by: str = Field(description="The login of who shared it.")
    path: str = Field(description="The snippet's page in the web app, e.g. /app/snippets/ID.")
    at: datetime
