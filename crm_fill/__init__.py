"""CRM fields: the field schemas teams fill from calls, validation of proposed values, and the rep's approval."""
