"""One module per telephony provider: each turns a provider's HTTP request into a verified IncomingCall."""
