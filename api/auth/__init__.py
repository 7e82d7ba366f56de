"""Sign-in with Ethereum (EIP-4361) and the API's bearer tokens."""
