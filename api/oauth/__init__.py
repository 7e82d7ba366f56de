"""OAuth 2.0 for third-party apps, on top of sign-in with Ethereum.

A holder lets an app (a portfolio tracker, a tax tool, an accountant) read their data without
handing over a wallet: the app sends them to `/oauth/authorize` (authorization code with PKCE
S256), the dApp's consent page signs them in with their wallet and shows the app's name,
redirect URI and scopes, and their approval sends a single-use code back to the app, which
exchanges it for a scoped access token and a rotating refresh token. Registered apps also get
their own tokens (client credentials) with a higher rate limit than anonymous callers.

The protocol is Authlib's (`authlib.oauth2.rfc6749` grants, `rfc7636`, `rfc7009`, `rfc7662`,
`rfc8414`); this package gives it storage (`store`), its models (`models`), a Starlette adapter
(`starlette`) and the server's policy (`server`).
"""
