"""Working together on calls and deals: comments with mentions, the mentions inbox, shared call snippets."""
